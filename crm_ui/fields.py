"""Small pieces every form shares: messages next to a field, user text shown as plain text.

User text is never rendered as HTML or markdown: notes go through `st.text`, labels through
`plain()`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")


def plain(text: object) -> str:
    """text with every markdown character escaped, for st.markdown, captions and labels."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", "" if text is None else str(text))


def field_errors(errors: Sequence[tuple[str, str]], name: str) -> None:
    """Show the messages about one field right under it."""
    for field_name, message in errors:
        if field_name == name:
            st.error(message, icon=":material/error:")


def other_errors(errors: Sequence[tuple[str, str]], shown: set[str]) -> None:
    """Show the messages about fields the form does not display (none should be lost)."""
    for field_name, message in errors:
        if field_name not in shown:
            st.error(message, icon=":material/error:")


def clear_keys(prefix: str) -> None:
    """Forget every session value whose key starts with prefix (a closed or reloaded form)."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]
