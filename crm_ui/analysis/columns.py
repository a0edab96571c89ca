"""The analysis tables as a reader sees them, on screen and in the files they hand on: French
headers, amounts to the cent, rates and durations with a comma, months in French, blanks for
missing values. The figures themselves come from crm_data unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from crm_ui import formatting
from crm_ui.analysis.charts import SCENARIOS

LABELS = {
    "etape": "Étape",
    "mois": "Mois",
    "type": "Type",
    "code_cloture": "Code clôture",
    "categorie": "Catégorie",
    "gestion_par": "Gestion par",
    "famille_article": "Famille d'article",
    "nombre": "Nombre",
    "nombre_ouvertes": "Ouvertes",
    "ca_potentiel": "CA potentiel",
    "ca_pondere": "CA pondéré",
    "ca_attendu": "CA attendu",
    **SCENARIOS,
    "gagnees": "Gagnées",
    "perdues": "Perdues",
    "abandonnees": "Abandonnées",
    "taux_reussite": "Taux de réussite",
    "ca_signe": "CA signé",
    "ca_signe_annee_precedente": "CA signé un an plus tôt",
    "panier_moyen": "Panier moyen",
    "cycle_moyen_jours": "Cycle moyen (jours)",
    "part": "Part",
    "realisation": "Réalisation",
    "remise": "Remise",
    "actions_faites": "Actions faites",
    "entrees": "Entrées",
    "passees_suivante": "Passées à la suite",
    "taux_passage": "Taux de passage",
    "jours_median": "Jours (médiane)",
    "controle": "Contrôle",
    "id": "N°",
    "nom": "Nom",
    "depuis": "Dans l'étape depuis",
    "jours": "Jours",
}
"""Column name (SPEC §3) → the header shown on screen and written in exports."""

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
DAYS_COLUMNS = {"cycle_moyen_jours", "jours_median"}
MONTH_COLUMNS = {"mois"}
PLAIN_COLUMNS = {"id"}
"""Numbers that are names (an affaire's N°): no thousands separator."""


def header(column: object) -> str:
    """The French header of an analysis column; a column that is a value (a code clôture in the
    losses matrix) keeps its name."""
    return LABELS.get(str(column), str(column))


def _screen_format(column: str, values: pd.Series) -> Callable[[object], str] | None:
    if column in AMOUNT_COLUMNS:
        return lambda v: formatting.euro(v)  # type: ignore[arg-type]
    if column in RATE_COLUMNS:
        return lambda v: formatting.percent(v)  # type: ignore[arg-type]
    if column in DAYS_COLUMNS:
        return lambda v: formatting.number(v, 1)  # type: ignore[arg-type]
    if column in MONTH_COLUMNS:
        return formatting.month_fr
    if column in PLAIN_COLUMNS:
        return _integer
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return lambda v: formatting.number(v)  # type: ignore[arg-type]
    return None


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the screen shows it: every figure as French text (« 1 026 », « 41,7 % »,
    « 1 234,50 € », « déc. 2026 »), dates JJ/MM/AAAA, missing values blank, French headers.

    Text, not numbers with a browser format: Streamlit writes "None" in an empty number cell
    and formats numbers in the browser's language, which may be English.
    """
    shown = formatting.blank_missing(frame)
    for column in frame.columns:
        fmt = _screen_format(str(column), frame[column])
        if fmt is not None:
            shown[column] = [fmt(v) for v in frame[column]]
    shown.columns = [header(c) for c in frame.columns]
    return shown


def _file_value(column: str, values: pd.Series) -> pd.Series | None:
    if column in AMOUNT_COLUMNS:
        return pd.to_numeric(values, errors="coerce").round(2)
    if column in RATE_COLUMNS:
        return pd.to_numeric(values, errors="coerce").round(4)
    if column in DAYS_COLUMNS:
        return pd.to_numeric(values, errors="coerce").round(1)
    if column in MONTH_COLUMNS:
        return values.map(formatting.month_fr)
    return None


def for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as an export writes it: French headers, amounts rounded to the cent, rates as
    fractions to four places (formatted as % by the workbook), months in French. Numbers stay
    numbers."""
    out = frame.copy()
    for column in frame.columns:
        converted = _file_value(str(column), frame[column])
        if converted is not None:
            out[column] = converted
    out.columns = [header(c) for c in frame.columns]
    return out


def _decimal(value: object, places: int) -> str:
    if formatting.is_missing(value):
        return ""
    return f"{float(value):.{places}f}".replace(".", ",")  # type: ignore[arg-type]


def _integer(value: object) -> str:
    return "" if formatting.is_missing(value) else str(int(value))  # type: ignore[call-overload]


def _csv_cell(column: str, values: pd.Series) -> Callable[[object], str] | None:
    if column in AMOUNT_COLUMNS:
        return lambda v: _decimal(v, 2)
    if column in RATE_COLUMNS:
        return lambda v: formatting.percent(v).replace(formatting.NBSP, " ")  # type: ignore[arg-type]
    if column in DAYS_COLUMNS:
        return lambda v: _decimal(v, 1)
    if column in MONTH_COLUMNS:
        return formatting.month_fr
    if pd.api.types.is_integer_dtype(values):
        return _integer
    return None


def csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as a French CSV carries it: French headers; amounts `16571502,53`, rates
    `41,7 %`, durations `64,1`, counts `1026` (no thousands separator, so that a spreadsheet
    reads them as numbers), months in French, dates JJ/MM/AAAA, missing values blank."""
    out = formatting.blank_missing(frame)
    for column in frame.columns:
        cell = _csv_cell(str(column), frame[column])
        if cell is not None:
            out[column] = [cell(v) for v in frame[column]]
    out.columns = [header(c) for c in frame.columns]
    return out
