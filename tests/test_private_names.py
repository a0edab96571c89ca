"""No module takes another module's private names (STYLE.md): `from x import _y`, `x._y`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crm_data", "crm_ui", "app_pages")


def private_uses(source: str) -> list[str]:
    """The private names of our own modules that this source takes, as `module._name`."""
    tree = ast.parse(source)
    ours: dict[str, str] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                else:
                    ours[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    ours[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in ours
        ):
            found.append(f"{ours[node.value.id]}.{node.attr}")
    return found


def test_no_module_takes_another_modules_private_names() -> None:
    offenders = {
        str(path.relative_to(ROOT)): uses
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_private_name_check_sees_an_imported_private_name() -> None:
    assert private_uses("from crm_data.imports.canonical import _write\n") == [
        "crm_data.imports.canonical._write"
    ]


def test_the_private_name_check_sees_a_private_attribute_of_an_imported_module() -> None:
    source = "from crm_data.imports import canonical\ncanonical._load_names(None)\n"
    assert private_uses(source) == ["crm_data.imports.canonical._load_names"]


def test_the_private_name_check_ignores_third_party_and_dunder_names() -> None:
    source = "import duckdb\nduckdb._private\nfrom crm_data import model\nmodel.__name__\n"
    assert private_uses(source) == []
