"""French over Streamlit's own English chrome, which it cannot translate: the file uploader's
button and limit, the date input's placeholder, the "Press Enter" hints of text fields.

CSS only, checked in Chromium against what Streamlit 1.67 renders (tests/browser): the English
element is removed (display: none, so it is not in the page's text either) and French is drawn
by a pseudo-element of its holder; the date's placeholders, which are the editable segments
themselves, are drawn over at a zero font size instead.
"""

from __future__ import annotations

import streamlit as st


def _replace(selector: str, text: str) -> str:
    """CSS drawing text instead of the element's own (English) text, in the same place."""
    return (
        f"{selector} {{ font-size: 0 !important; }}\n"
        f'{selector}::after {{ content: "{_css_string(text)}"; font-size: 0.875rem; }}\n'
    )


def _swap(english: str, holder: str, text: str, where: str = "after") -> str:
    """CSS removing the English element (gone from the page's text too, as a screen reader or a
    copy reads it) and drawing text in its holder instead (a pseudo-element before or after)."""
    return (
        f"{english} {{ display: none !important; }}\n"
        f'{holder}::{where} {{ content: "{_css_string(text)}"; font-size: 0.875rem; }}\n'
    )


def _css_string(text: str) -> str:
    return "".join(c if c.isalnum() or c in " ,.;:()/'-+•" else f"\\{ord(c):x} " for c in text)


def _date_segment(kind: str, text: str) -> str:
    # Each part of an empty date shows its own placeholder (dd / mm / yyyy) until typed in.
    return _replace(
        f'[data-testid="stDateInput"] [data-placeholder="true"][data-type="{kind}"]', text
    )


def chrome_css(max_upload_mb: int) -> str:
    """The page-wide CSS; max_upload_mb is the server's limit, the default an uploader shows."""
    # The hint is the first span; a max_chars counter (3/200) follows it, and is alone while
    # the text is unchanged: a field with max_chars then shows this hint in the counter's place.
    hints = '[data-testid="InputInstructions"]'
    hint = f"{hints} > span:first-child"
    button = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
    limit = '[data-testid="stFileUploaderDropzoneInstructions"] > div'
    return "".join(
        (
            _swap(f"{button} p", button, "Parcourir"),
            _swap(f"{limit} > span", limit, f"Déposez un fichier ici, {max_upload_mb} Mo au plus"),
            _swap(
                f'[data-testid="stTextInput"] {hint}',
                f'[data-testid="stTextInput"] {hints}',
                "Entrée pour valider",
                "before",
            ),
            _swap(
                f'[data-testid="stForm"] [data-testid="stTextInput"] {hint}',
                f'[data-testid="stForm"] [data-testid="stTextInput"] {hints}',
                "Entrée pour envoyer",
                "before",
            ),
            _swap(
                f'[data-testid="stTextArea"] {hint}',
                f'[data-testid="stTextArea"] {hints}',
                "Ctrl+Entrée pour valider",
                "before",
            ),
            _date_segment("day", "jj"),
            _date_segment("month", "mm"),
            _date_segment("year", "aaaa"),
        )
    )


def cover_chrome() -> None:
    """Put the page-wide French chrome on this run's page (once, from dashboard.py)."""
    st.html(f"<style>{chrome_css(int(st.get_option('server.maxUploadSize')))}</style>")


def upload_note(label: str, note: str) -> None:
    """Show note (`PDF, 10 Mo au plus`) as the limit of the uploader labelled label, in place
    of the page-wide default: its real limit, when the app checks a smaller one itself."""
    dropzone = f'[data-testid="stFileUploaderDropzone"][aria-label="{_css_string(label)}"]'
    limit = f'{dropzone} [data-testid="stFileUploaderDropzoneInstructions"] > div'
    st.html(f"<style>{_swap(f'{limit} > span', limit, note)}</style>")
