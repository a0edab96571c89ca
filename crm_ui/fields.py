"""Small pieces every form shares: messages next to a field, user text shown as plain text,
amounts typed as French text (`45 000,00`, parsed by crm_data.money on save).

User text is never rendered as HTML or markdown: notes go through `st.text`, labels through
`plain()`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import streamlit as st

from crm_ui import formatting

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


def amount_text(value: Decimal | float | int | None) -> str:
    """An amount as its field shows it: `45 000,00` (no € sign, blank for none)."""
    return formatting.number(value, 2)


def amount_input(label: str, key: str) -> None:
    """A French amount field: free text, so that nothing typed is lost or clamped by the
    browser (st.number_input shows `45000.00` and drops a value out of its range); crm_data's
    one parser reads it on save and a bad value is told next to the field."""
    st.text_input(label, key=key, placeholder="ex. 45 000,00")
