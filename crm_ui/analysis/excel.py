"""Screen exports: an Excel workbook with one sheet per table (the screen's French headers,
amounts to the cent, rates and dates formatted the French way, months in French) and a
"Filtres" sheet recording the filters and the extraction date; CSV per table.

Text a spreadsheet would run as a formula (`=HYPERLINK(…)` as an affaire's name) is neutralised
by crm_data's own export rule, in every cell and header, and xlsxwriter never writes a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

from crm_data.files.export_tables import neutralise
from crm_ui.analysis import columns

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
        days = book.add_format({"num_format": "0.0"})
        header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        taken: set[str] = {FILTERS_SHEET.lower()}
        for title, frame in tables.items():
            name = _sheet_name(title, taken)
            safe_frame(columns.for_file(frame)).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for col, column in enumerate(frame.columns):
                label = columns.header(column)
                sheet.write_string(0, col, str(neutralise(label)), header)
                fmt = None
                if column in columns.AMOUNT_COLUMNS:
                    fmt = amount
                elif column in columns.RATE_COLUMNS:
                    fmt = rate
                elif column in columns.DAYS_COLUMNS:
                    fmt = days
                elif (
                    pd.api.types.is_datetime64_any_dtype(frame[column])
                    or str(column).startswith("date")
                    or column == "depuis"
                ):
                    fmt = date
                sheet.set_column(col, col, max(12, min(40, len(label) + 4)), fmt)
            sheet.freeze_panes(1, 0)
        rows = [*filters.items(), ("Date d'extraction", extracted_at.strftime("%d/%m/%Y %H:%M"))]
        safe_frame(pd.DataFrame(rows, columns=["Filtre", "Valeur"])).to_excel(
            writer, sheet_name=FILTERS_SHEET, index=False
        )
        writer.sheets[FILTERS_SHEET].set_column(0, 1, 30)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as a CSV a French spreadsheet opens directly: `;` separator, the screen's
    headers, decimal comma, amounts to the cent, UTF-8 with BOM, dates JJ/MM/AAAA, months in
    French; formula-like text neutralised."""
    text = safe_frame(columns.csv_cells(frame)).to_csv(index=False, sep=";")
    return text.encode("utf-8-sig")
