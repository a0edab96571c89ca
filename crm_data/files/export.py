"""Exporting affaires to the canonical file (SPEC §4), CSV for French Excel or XLSX.

Rows stream from DuckDB (COPY for CSV, chunks for XLSX) so a million affaires never sit in
Python at once. Cells a spreadsheet would run as formulas are neutralised with a leading `'`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from decimal import Decimal
from pathlib import Path
from typing import Any

from crm_data.files.canonical import FORMULA_PREFIXES
from crm_data.model import AFFAIRE_FIELDS, AFFAIRE_LABELS, Actor, CrmError
from crm_data.store.db import Connection, read
from crm_data.store.sql import VISIBLE, visibility

Progress = Callable[[float, str], None]

XLSX_MAX_ROWS = 1_048_575
"""Excel's row limit, header row aside."""

_CHUNK = 10_000
_DATE_FIELDS = ("date_debut", "date_fin", "date_signature", "date_cloture")
_AMOUNT_FIELDS = ("ca_potentiel", "ca_attendu", "total_ht")
_SOURCES = {
    "compte_id": "c.nom",
    "contact_id": "trim(coalesce(ct.prenom, '') || ' ' || ct.nom)",
    "gestion_par": "u.nom",
    "reussite": "a.reussite",
}
_FORMULA_CHARS = ", ".join(f"chr({ord(c)})" for c in FORMULA_PREFIXES)


def _expression(name: str, formatted: bool) -> str:
    """The SELECT expression of one column: names for ids, French text when formatted."""
    source = _SOURCES.get(name, f"a.{name}")
    if name in _DATE_FIELDS:
        return f"strftime({source}, '%d/%m/%Y')" if formatted else source
    if name in _AMOUNT_FIELDS:
        return f"replace(CAST({source} AS VARCHAR), '.', ',')" if formatted else source
    if name == "reussite":
        return source
    # The rule of fileformat.needs_quote: leading quotes are looked through, so that the
    # import, which removes one quote, gives every value back unchanged.
    return (
        f"CASE WHEN left(ltrim({source}, chr(39)), 1) IN ({_FORMULA_CHARS})"
        f" THEN chr(39) || {source} ELSE {source} END"
    )


def _query(formatted: bool) -> str:
    columns = ",\n".join(
        f'{_expression(name, formatted)} AS "{AFFAIRE_LABELS[name]}"' for name in AFFAIRE_FIELDS
    )
    return f"""
        SELECT {columns}
        FROM affaire AS a
        JOIN compte AS c ON c.id = a.compte_id
        LEFT JOIN contact AS ct ON ct.id = a.contact_id
        JOIN utilisateur AS u ON u.id = a.gestion_par
        WHERE {VISIBLE}
          AND (NOT $filtered OR a.id IN (SELECT unnest($ids)))
        ORDER BY a.id
        """


def _params(actor: Actor, affaire_ids: Collection[int] | None) -> dict[str, Any]:
    return {
        **visibility(actor),
        "filtered": affaire_ids is not None,
        "ids": sorted(affaire_ids or []),
    }


def export_affaires(
    con: Connection,
    actor: Actor,
    path: str | Path,
    affaire_ids: Collection[int] | None = None,
    *,
    progress: Progress | None = None,
) -> int:
    """Write the affaires the actor sees (only affaire_ids when given) to path; return the count.

    The format follows the suffix: .csv (UTF-8 with BOM, `;`, `1234,50`, `JJ/MM/AAAA`) or .xlsx
    (real dates and numbers). Columns: the guide's labels plus Date de clôture, names not ids.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CrmError("Format d'export inconnu : choisissez un fichier .csv ou .xlsx.")
    params = _params(actor, affaire_ids)
    with read(con) as cur:
        row = cur.execute(
            f"""
            SELECT count(*)
            FROM affaire AS a
            WHERE {VISIBLE}
              AND (NOT $filtered OR a.id IN (SELECT unnest($ids)))
            """,
            params,
        ).fetchone()
        count = int(row[0]) if row else 0
        if progress:
            progress(0.0, f"Export de {count} affaires…")
        if suffix == ".csv":
            _write_csv(cur, target, params)
        else:
            if count > XLSX_MAX_ROWS:
                raise CrmError(
                    f"{count} affaires dépassent la limite d'Excel ({XLSX_MAX_ROWS} lignes) : "
                    "exportez au format CSV."
                )
            _write_xlsx(cur, target, params, count, progress)
    if progress:
        progress(1.0, f"{count} affaires exportées.")
    return count


def _write_csv(cur: Connection, target: Path, params: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, raw_name = tempfile.mkstemp(suffix=".csv", dir=target.parent)
    os.close(fd)
    raw = Path(raw_name)
    try:
        cur.execute(
            f"COPY ({_query(formatted=True)}) TO $path (HEADER, DELIMITER ';')",
            {**params, "path": str(raw)},
        )
        # French Excel reads UTF-8 only after a byte order mark, which COPY does not write.
        with target.open("wb") as out, raw.open("rb") as body:
            out.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(body, out, 1024 * 1024)
    finally:
        raw.unlink(missing_ok=True)


def _write_xlsx(
    cur: Connection,
    target: Path,
    params: dict[str, Any],
    count: int,
    progress: Progress | None,
) -> None:
    import xlsxwriter

    target.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    try:
        sheet = book.add_worksheet("Affaires")
        header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        formats = {
            "date": book.add_format({"num_format": "dd/mm/yyyy"}),
            "amount": book.add_format({"num_format": "#,##0.00"}),
            "int": book.add_format({"num_format": "0"}),
        }
        kinds = [_kind(name) for name in AFFAIRE_FIELDS]
        for col, name in enumerate(AFFAIRE_FIELDS):
            width = 12 if kinds[col] != "text" else (40 if name in ("nom", "notes") else 22)
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, AFFAIRE_LABELS[name], header)
        sheet.freeze_panes(1, 0)
        result = cur.execute(_query(formatted=False), params)
        line = 1
        while chunk := result.fetchmany(_CHUNK):
            for values in chunk:
                _write_row(sheet, line, values, kinds, formats)
                line += 1
            if progress and count:
                progress(0.95 * line / count, f"Export : {line - 1} affaires sur {count}")
        sheet.autofilter(0, 0, max(line - 1, 1), len(AFFAIRE_FIELDS) - 1)
    finally:
        book.close()


def _kind(name: str) -> str:
    if name in _DATE_FIELDS:
        return "date"
    if name in _AMOUNT_FIELDS:
        return "amount"
    return "int" if name == "reussite" else "text"


def _write_row(
    sheet: Any, line: int, values: tuple[Any, ...], kinds: list[str], formats: dict[str, Any]
) -> None:
    for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
        if value is None:
            continue
        if kind == "date" and isinstance(value, dt.date):
            sheet.write_datetime(line, col, dt.datetime.combine(value, dt.time()), formats[kind])
        elif kind in ("amount", "int") and isinstance(value, int | Decimal):
            sheet.write_number(line, col, float(value), formats[kind])
        else:
            sheet.write_string(line, col, str(value))
