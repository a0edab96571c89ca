"""Helpers for the AppTest page tests: run dashboard.py on a page, find widgets by key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def run_app(page: str | None = None, **query: str) -> AppTest:
    """dashboard.py run once, on page (an app_pages file) when given, with query params."""
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def widget(at: AppTest, key: str) -> Any:
    """The widget drawn with this key, whatever its kind."""
    for kind in (
        "text_input",
        "text_area",
        "selectbox",
        "multiselect",
        "number_input",
        "date_input",
        "button",
        "checkbox",
        "toggle",
    ):
        for element in getattr(at, kind):
            if getattr(element, "key", None) == key:
                return element
    raise AssertionError(f"no widget with key {key!r}")


def shown(markdown: str) -> str:
    """The text a reader sees of markdown escaped by crm_ui.fields.plain."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def texts(at: AppTest, kind: str) -> list[str]:
    """Every value of the elements of one kind (error, warning, info, caption...), as read."""
    return [shown(str(e.value)) for e in getattr(at, kind)]


def select_row(at: AppTest, table_key: str, row: int) -> AppTest:
    """Select a row of the st.dataframe(on_select=...) whose key starts with table_key, as a
    click would, and rerun."""
    key = next(str(d.key) for d in at.dataframe if str(d.key).startswith(table_key))
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def open_tab(at: AppTest, affaire_id: int, tab: str) -> AppTest:
    """Open one of the record's tabs (only the open one is drawn), as a click would, and rerun."""
    at.session_state[f"fiche_tab.{affaire_id}"] = tab
    return at.run()
