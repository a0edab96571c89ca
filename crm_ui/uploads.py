"""Streamlit's file uploader in French: its English button and limit line ("Upload",
"50MB per file") replaced by a French button; the screens say the limits in their labels.

Streamlit cannot translate its own widgets: CSS hides the English text and draws the French.
"""

from __future__ import annotations

import streamlit as st

BUTTON = "Choisir un fichier"

_CSS = f"""
<style>
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{
  display: none;
}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{
  content: "{BUTTON}";
}}
</style>
"""


def french_uploaders() -> None:
    """Restyle every file uploader of the page (call once per run, before or after them)."""
    st.html(_CSS)
