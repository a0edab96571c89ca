"""Screen exports: an Excel workbook with one sheet per table (amounts, rates and dates formatted
the French way) and a "Filtres" sheet recording the filters and the extraction date; CSV per table.

Text a spreadsheet would run as a formula (`=HYPERLINK(…)` as an affaire's name) is neutralised
by crm_data's own export rule, in every cell and header, and xlsxwriter never writes a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

from crm_data.files.export_tables import neutralise

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


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame whose text cells and headers are neutralised (crm_data's export rule);
    numbers, dates and missing values are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            safe[column] = values.astype(object).map(neutralise).where(values.notna(), None)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def workbook(
    tables: dict[str, pd.DataFrame],
    filters: dict[str, str],
    extracted_at: dt.datetime | None = None,
) -> bytes:
    """The .xlsx bytes: a sheet per table (title → frame, in order), then the Filtres sheet."""
    extracted_at = extracted_at or dt.datetime.now()
    buffer = io.BytesIO()
    # Without this option xlsxwriter writes any text starting with "=" as a formula.
    options = {"options": {"strings_to_formulas": False}}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs=options) as writer:
        book = writer.book
        amount = book.add_format({"num_format": '#,##0.00 "€"'})
        rate = book.add_format({"num_format": "0.0 %"})
        date = book.add_format({"num_format": "dd/mm/yyyy"})
        header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        taken: set[str] = {FILTERS_SHEET.lower()}
        for title, frame in tables.items():
            name = _sheet_name(title, taken)
            safe_frame(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for col, column in enumerate(frame.columns):
                sheet.write_string(0, col, str(neutralise(str(column))), header)
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
        safe_frame(pd.DataFrame(rows, columns=["Filtre", "Valeur"])).to_excel(
            writer, sheet_name=FILTERS_SHEET, index=False
        )
        writer.sheets[FILTERS_SHEET].set_column(0, 1, 30)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as a CSV a French spreadsheet opens directly: `;` separator, decimal comma,
    UTF-8 with BOM, dates JJ/MM/AAAA; formula-like text neutralised."""
    text = safe_frame(frame).to_csv(index=False, sep=";", decimal=",", date_format="%d/%m/%Y")
    return text.encode("utf-8-sig")
