"""Sauvegardes: an administrator downloads a backup of the running base or restores one."""

from __future__ import annotations

import streamlit as st

from crm_ui import session
from crm_ui.admin import backup_panel

st.title("Sauvegardes")
backup_panel.render(session.connection(), session.current_actor())
