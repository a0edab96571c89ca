"""French over Streamlit's own English chrome, which it cannot translate: the file uploader's
button and limit, the date input's placeholder, the "Press Enter" hints of text fields.

CSS only, checked in Chromium against what Streamlit 1.67 renders (tests/browser): the English
text is set to a zero font size and French is drawn in its place by a pseudo-element.
"""

from __future__ import annotations

import streamlit as st


def _replace(selector: str, text: str) -> str:
    """CSS drawing text instead of the element's own (English) text."""
    return (
        f"{selector} {{ font-size: 0 !important; }}\n"
        f'{selector}::after {{ content: "{_css_string(text)}"; font-size: 0.875rem; }}\n'
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
    hint = '[data-testid="InputInstructions"] > span:first-child'
    button = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
    return "".join(
        (
            _replace(f"{button} p", "Parcourir"),
            _replace(
                '[data-testid="stFileUploaderDropzoneInstructions"] span',
                f"Déposez un fichier ici, {max_upload_mb} Mo au plus",
            ),
            _replace(f'[data-testid="stTextInput"] {hint}', "Entrée pour valider"),
            _replace(
                f'[data-testid="stForm"] [data-testid="stTextInput"] {hint}', "Entrée pour envoyer"
            ),
            _replace(f'[data-testid="stTextArea"] {hint}', "Ctrl+Entrée pour valider"),
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
    selector = (
        f'[data-testid="stFileUploaderDropzone"][aria-label="{_css_string(label)}"] '
        '[data-testid="stFileUploaderDropzoneInstructions"] span'
    )
    st.html(f"<style>{_replace(selector, note)}</style>")
