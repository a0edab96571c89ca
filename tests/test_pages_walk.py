"""A walk over every page of a filled base under AppTest: every option of every choice widget is
selected, one at a time, and every tab opened; no run may end in an exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.state.common import TESTING_KEY
from streamlit.testing.v1 import AppTest

from crm_data.demo import generate as demo
from crm_data.store import db
from tests.pages import run_app

PAGES = sorted(
    f"app_pages/{p.name}"
    for p in (Path(__file__).resolve().parents[1] / "app_pages").glob("*.py")
    if p.name != "__init__.py"
)
CHOICES = ("selectbox", "multiselect", "radio", "segmented_control", "pills", "select_slider")
TABS = {"app_pages/ventes.py": "ventes_tab"}
"""Pages whose tabs run only when open (st.tabs on_change="rerun"): their state key."""


def _choices(at: AppTest) -> Iterator[tuple[str, int, Any]]:
    for kind in CHOICES:
        for position, widget in enumerate(getattr(at, kind)):
            yield kind, position, widget


def _labels(widget: Any) -> list[str] | None:
    """The labels of the options selected now (None when there is no selection to restore)."""
    if type(widget).__name__ == "Multiselect":
        return list(widget.values)
    index = getattr(widget, "index", None)
    return None if index is None else [widget.options[index]]


def _find(at: AppTest, kind: str, position: int, key: str | None) -> Any:
    widgets = list(getattr(at, kind))
    if key is not None:
        return next((w for w in widgets if w.key == key), None)
    return widgets[position] if position < len(widgets) else None


def _choose(at: AppTest, widget: Any, labels: list[str]) -> None:
    """Set widget to the options shown as labels, and run. AppTest formats a value with the
    widget's format_func, which may not accept a label (dict.get gives None): for this run the
    labels the widget shows stand for themselves."""
    kind = type(widget).__name__
    value: Any = labels if kind == "Multiselect" else (labels[0] if labels else None)
    widget.set_value(value)
    formats = at.session_state[TESTING_KEY]
    original = formats[widget.id]
    formats[widget.id] = lambda v: v if isinstance(v, str) and v in widget.options else original(v)
    at.run()


def _fail_message(at: AppTest, what: str) -> str:
    return f"{what}: " + "; ".join(str(e.value) for e in at.exception)


def walk(at: AppTest, where: str) -> int:
    """Select every option of every choice widget drawn now, then restore it; the run count."""
    runs = 0
    seen = [(kind, position, widget.key) for kind, position, widget in _choices(at)]
    for kind, position, key in seen:
        widget = _find(at, kind, position, key)
        if widget is None or getattr(widget, "disabled", False):
            continue
        original = _labels(widget)
        for option in list(widget.options):
            widget = _find(at, kind, position, key)
            if widget is None or option not in widget.options:
                break
            _choose(at, widget, [option])
            runs += 1
            assert not at.exception, _fail_message(at, f"{where}, {key or kind}={option}")
        widget = _find(at, kind, position, key)
        if widget is not None and original is not None:
            _choose(at, widget, original)
            assert not at.exception, _fail_message(at, f"{where}, {key or kind} restored")
    return runs


@pytest.fixture
def filled(_isolated_base: Path) -> Path:
    con = db.open_base(_isolated_base)
    demo.generate(con, affaires=300, seed=7)
    con.close()
    return _isolated_base


@pytest.mark.parametrize("page", PAGES)
def test_every_choice_and_tab_of_a_page_runs(page: str, filled: Path) -> None:
    at = run_app(page)
    runs = walk(at, page)
    for tab in at.tabs:
        if page in TABS:
            at.session_state[TABS[page]] = tab.label
            at.run()
            assert not at.exception, _fail_message(at, f"{page}, tab {tab.label}")
            runs += 1 + walk(at, f"{page} / {tab.label}")
    assert not at.exception


def test_every_choice_of_a_record_runs(filled: Path) -> None:
    con = db.shared_connection(filled)
    with db.read(con) as cur:
        row = cur.execute("SELECT min(id) FROM affaire WHERE statut = 'En cours'").fetchone()
    assert row is not None
    at = run_app(affaire=str(row[0]))
    assert walk(at, f"affaire {row[0]}")
