"""Every table on screen leaves a missing value blank: st.dataframe writes the English word
« None » in a missing number's cell (a date's and a text's too) unless its placeholder says
otherwise, and crm_ui.formatting.blank_missing can only blank texts and dates (a number column
keeps its numbers). So every st.dataframe call of the screens passes placeholder=""."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py"))]
SCREENS += sorted((ROOT / "crm_ui").rglob("*.py"))


def _dataframe_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "dataframe"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "st"
    ]


def _blank(call: ast.Call) -> bool:
    return any(
        k.arg == "placeholder" and isinstance(k.value, ast.Constant) and k.value.value == ""
        for k in call.keywords
    )


def test_every_table_of_the_screens_leaves_missing_values_blank() -> None:
    calls = [(path, call) for path in SCREENS for call in _dataframe_calls(path)]
    assert len(calls) >= 15, "the screens' tables were not found"
    missing = [f"{p.relative_to(ROOT)}:{c.lineno}" for p, c in calls if not _blank(c)]
    assert missing == []


def test_a_table_without_the_placeholder_is_seen(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text("import streamlit as st\nst.dataframe([1], hide_index=True)\n")
    assert [_blank(c) for c in _dataframe_calls(page)] == [False]
