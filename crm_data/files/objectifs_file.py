"""The objectifs file (SPEC §5): columns Commercial, Mois, Objectif, CSV or XLSX, read through
the one streaming reader and written for French Excel. Reading is all or nothing: every bad cell
is reported with its line and column, and nothing is set unless the whole file is valid.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from crm_data.files.canonical import FORMULA_PREFIXES
from crm_data.files.reader import SourceTable, open_source
from crm_data.model import Actor, ValidationError
from crm_data.money import parse_amount
from crm_data.objectifs import Change, list_objectifs, parse_month, parse_objectif, set_objectifs
from crm_data.store.db import Connection
from crm_data.text import fold
from crm_data.users import users_by_name

HEADERS = ("Commercial", "Mois", "Objectif")
"""The file's columns, in order."""


def _columns(header: list[str]) -> dict[str, int]:
    """Each of HEADERS → its position in the file's header (matched ignoring case and
    accents); ValidationError naming the missing ones."""
    found = {fold(h.lstrip("\ufeff")): i for i, h in enumerate(header)}
    missing = [h for h in HEADERS if fold(h) not in found]
    if missing:
        raise ValidationError(
            [
                (
                    "fichier",
                    "Colonne(s) manquante(s) : " + ", ".join(missing) + " (attendu : "
                    "Commercial, Mois, Objectif).",
                )
            ]
        )
    return {h: found[fold(h)] for h in HEADERS}


def read_changes(con: Connection, source: SourceTable) -> list[Change]:
    """The objectifs a file sets, one per row; ValidationError listing every bad cell as
    « Ligne N, colonne X : message » (unknown commercial, bad month, amount empty, negative or
    not a number, a commercial and month given twice)."""
    try:
        positions = _columns(source.header)
    except ValidationError:
        source.release()
        raise
    users = users_by_name(con)
    changes: list[Change] = []
    seen: dict[tuple[int, dt.date], int] = {}
    errors: list[tuple[str, str]] = []
    for line, cells in source.rows:
        values = {h: (cells[i] if i < len(cells) else "").strip() for h, i in positions.items()}
        if not any(values.values()):
            continue
        problems: list[tuple[str, str]] = []
        name = values["Commercial"]
        if name[:1] == "'" and name[1:2] in FORMULA_PREFIXES:
            name = name[1:]
        user_id = users.get(fold(name))
        if user_id is None:
            problems.append(("Commercial", f"Commercial inconnu « {name} »."))
        try:
            month: dt.date | None = parse_month(values["Mois"])
        except ValueError as exc:
            month, problems = None, [*problems, ("Mois", str(exc))]
        try:
            amount = parse_objectif(values["Objectif"])
            if amount is None:
                problems.append(("Objectif", "Objectif vide : indiquez un montant (0 accepté)."))
        except ValueError as exc:
            amount, problems = None, [*problems, ("Objectif", str(exc))]
        if user_id is not None and month is not None:
            first = seen.setdefault((user_id, month), line)
            if first != line:
                problems.append(("Mois", f"{name} a déjà un objectif pour ce mois ligne {first}."))
        errors.extend((column, f"Ligne {line}, colonne {column} : {m}") for column, m in problems)
        if not problems and user_id is not None and month is not None:
            changes.append(Change(user_id, month, amount))
    if errors:
        raise ValidationError(errors)
    return changes


def import_objectifs(con: Connection, actor: Actor, path: str | Path) -> int:
    """Set the objectifs of the file at path, all or nothing (managers and admins); returns how
    many rows it holds. The objectifs it does not name stay as they were."""
    changes = read_changes(con, open_source(path))
    set_objectifs(con, actor, changes)
    return len(changes)


def export_objectifs(
    con: Connection, actor: Actor, path: str | Path, du: dt.date, au: dt.date
) -> int:
    """Write the objectifs of the months from du's to au's (a commercial: their own) to path,
    .csv (UTF-8 with BOM, `;`, amounts `1234.50`) or .xlsx; returns how many rows."""
    found = list_objectifs(con, actor, du, au)
    rows = [
        (_neutral(str(name)), f"{mois:%Y-%m}", parse_amount(montant) or Decimal(0))
        for name, mois, montant in found[["gestion_par", "mois", "montant"]].itertuples(index=False)
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".xlsx":
        _write_xlsx(target, rows)
    else:
        with target.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(HEADERS)
            writer.writerows((n, m, f"{a:.2f}") for n, m, a in rows)
    return len(rows)


def _neutral(text: str) -> str:
    """A name a spreadsheet would run as a formula, prefixed with `'`."""
    return "'" + text if text[:1] in FORMULA_PREFIXES else text


def _write_xlsx(target: Path, rows: list[tuple[str, str, Decimal]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"strings_to_formulas": False})
    try:
        sheet = book.add_worksheet("Objectifs")
        header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        amount = book.add_format({"num_format": "#,##0.00"})
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 2, 14)
        for col, title in enumerate(HEADERS):
            sheet.write_string(0, col, title, header)
        for line, (name, month, value) in enumerate(rows, start=1):
            sheet.write_string(line, 0, name)
            sheet.write_string(line, 1, month)
            sheet.write_number(line, 2, float(value), amount)
        sheet.freeze_panes(1, 0)
    finally:
        book.close()
