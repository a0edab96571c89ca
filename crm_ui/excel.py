"""Screen exports: an Excel workbook with one sheet per table (amounts, rates and dates formatted
the French way) and a "Filtres" sheet recording the filters and the extraction date; CSV per table.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

AMOUNT_COLUMNS = {
    "ca_potentiel",
    "ca_pondere",
    "ca_attendu",
    "ca_signe",
    "ca_signe_annee_precedente",
    "panier_moyen",
    "bas",
    "pondere",
    "haut",
    "total_ht",
}
RATE_COLUMNS = {"taux_reussite", "taux_passage", "part", "realisation", "remise"}
FILTERS_SHEET = "Filtres"
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _FORBIDDEN.sub(" ", title).strip()[:31] or "Feuille"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def workbook(
    tables: dict[str, pd.DataFrame],
    filters: dict[str, str],
    extracted_at: dt.datetime | None = None,
) -> bytes:
    """The .xlsx bytes: a sheet per table (title → frame, in order), then the Filtres sheet."""
    extracted_at = extracted_at or dt.datetime.now()
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        book = writer.book
        amount = book.add_format({"num_format": '#,##0.00 "€"'})
        rate = book.add_format({"num_format": "0.0 %"})
        date = book.add_format({"num_format": "dd/mm/yyyy"})
        header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        taken: set[str] = {FILTERS_SHEET.lower()}
        for title, frame in tables.items():
            name = _sheet_name(title, taken)
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for col, column in enumerate(frame.columns):
                sheet.write(0, col, str(column), header)
                fmt = None
                if column in AMOUNT_COLUMNS:
                    fmt = amount
                elif column in RATE_COLUMNS:
                    fmt = rate
                elif pd.api.types.is_datetime64_any_dtype(frame[column]) or str(column).startswith(
                    "date"
                ):
                    fmt = date
                sheet.set_column(col, col, max(12, min(40, len(str(column)) + 4)), fmt)
            sheet.freeze_panes(1, 0)
        rows = [*filters.items(), ("Date d'extraction", extracted_at.strftime("%d/%m/%Y %H:%M"))]
        pd.DataFrame(rows, columns=["Filtre", "Valeur"]).to_excel(
            writer, sheet_name=FILTERS_SHEET, index=False
        )
        writer.sheets[FILTERS_SHEET].set_column(0, 1, 30)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as a CSV a French spreadsheet opens directly: `;` separator, decimal comma,
    UTF-8 with BOM, dates JJ/MM/AAAA."""
    text = frame.to_csv(index=False, sep=";", decimal=",", date_format="%d/%m/%Y")
    return text.encode("utf-8-sig")
