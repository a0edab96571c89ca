"""Small pieces every form shares: messages next to a field, user text shown as plain text.

User text is never rendered as HTML or markdown: notes go through `st.text`, labels through
`plain()`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")
# GFM turns a bare URL or e-mail address into a link even when its characters are escaped: a
# zero-width space after the scheme's colon, after "www" or after "@" keeps it plain text.
_AUTOLINKS = re.compile(r"(?i)(\b(?:https?|ftp|mailto)\\:|\bwww|@)")


def plain(text: object) -> str:
    """text with every markdown character escaped, for st.markdown, captions and labels."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", "" if text is None else str(text))
    return _AUTOLINKS.sub("\\1\u200b", escaped)


def field_errors(errors: Sequence[tuple[str, str]], name: str) -> None:
    """Show the messages about one field right under it."""
    for field_name, message in errors:
        if field_name == name:
            st.error(plain(message), icon=":material/error:")


def other_errors(errors: Sequence[tuple[str, str]], shown: set[str]) -> None:
    """Show the messages about fields the form does not display (none should be lost)."""
    for field_name, message in errors:
        if field_name not in shown:
            st.error(plain(message), icon=":material/error:")


def clear_keys(prefix: str) -> None:
    """Forget every session value whose key starts with prefix (a closed or reloaded form)."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]
