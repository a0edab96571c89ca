"""The Affaires list's table: the columns a salesperson scans by default, a chooser for the
others, late and dormant marks, and a click on any cell of a row (or its box) to open it; the
same click reads the Comptes and Contacts tables (CLICK, clicked_id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from crm_ui import formatting

COLUMNS: dict[str, Any] = {
    "id": st.column_config.NumberColumn("N°", format="%d", width="small"),
    "alerte": st.column_config.TextColumn("Alerte", width="small"),
    "nom": st.column_config.TextColumn("Nom", width="large"),
    "compte": st.column_config.TextColumn("Compte", width="medium"),
    "etape": "Étape",
    "statut": "Statut",
    "ca_potentiel": st.column_config.NumberColumn("CA potentiel", format="euro"),
    "reussite": st.column_config.NumberColumn("Réussite", format="%d %%", width="small"),
    "date_fin": "Date fin",
    "gestion_par": "Gestion par",
    "contact": "Contact",
    "type": "Type",
    "famille_article": "Famille d'article",
    "date_debut": "Date de début",
    "ca_pondere": st.column_config.NumberColumn("CA pondéré", format="euro"),
    "total_ht": st.column_config.NumberColumn("Total HT", format="euro"),
    "date_signature": "Date de signature",
    "code_cloture": "Code clôture",
    "reports": st.column_config.NumberColumn("Reports de date fin", format="%d", width="small"),
}
"""Every column the list can show, in display order, with its French heading (dates arrive as
French text from formatting.blank_missing)."""

DEFAULT: tuple[str, ...] = ("id", "alerte", "nom", "compte", "etape", "statut", "ca_potentiel")
DEFAULT += ("reussite", "date_fin", "gestion_par")
OPTIONAL = tuple(c for c in COLUMNS if c not in DEFAULT)
ROW_PX = 35
CLICK: Any = ["single-row", "single-cell"]
"""The selection mode of a table whose rows open a record: its box, or any one of its cells."""


def _label(column: str) -> str:
    config = COLUMNS[column]
    return str(config if isinstance(config, str) else config["label"])


def column_chooser() -> list[str]:
    """The chooser of the columns shown beside the default ones; returns the columns to show."""
    extra = st.multiselect(
        "Autres colonnes",
        OPTIONAL,
        format_func=_label,
        key="affaires_columns",
        placeholder="Ajouter des colonnes",
    )
    return [c for c in COLUMNS if c in DEFAULT or c in extra]


def alerts(frame: pd.DataFrame) -> pd.Series:
    """The list's mark of each row: « En retard » (open, date fin past), « Dormante »."""
    late = frame["en_retard"].astype(bool)
    dormant = frame["dormante"].astype(bool)
    return pd.Series(
        [
            " · ".join(m for m, on in (("⏰ En retard", a), ("💤 Dormante", b)) if on)
            for a, b in zip(late, dormant, strict=True)
        ],
        index=frame.index,
        dtype="object",
    )


def affaires_table(
    frame: pd.DataFrame, shown: list[str], key: str, on_select: Callable[[], None] | None = None
) -> int | None:
    """Draw one page of the list, every row visible; return the id of the row clicked (any cell
    or the row's box), if any. on_select, when given, runs on the click before the script (it
    opens the record in one run); the id returned serves runs where it did not switch page."""
    view = frame.assign(alerte=alerts(frame))[shown]
    event = st.dataframe(
        formatting.blank_missing(view),
        hide_index=True,
        width="stretch",
        height=ROW_PX * (len(view) + 1) + 3,
        key=key,
        on_select=on_select or "rerun",
        selection_mode=CLICK,
        column_config={c: COLUMNS[c] for c in shown},
    )
    return clicked_id(event, frame)


def clicked_id(event: Any, frame: pd.DataFrame) -> int | None:
    """The id of the row of frame whose box or any cell was clicked in the st.dataframe that
    returned event (drawn with selection_mode=CLICK), if any."""
    if event is None:
        return None
    selection = event.get("selection", {}) if isinstance(event, dict) else event.selection
    rows = list(selection.get("rows", [])) + [cell[0] for cell in selection.get("cells", [])]
    # Selection positions index the frame passed in, whatever the display order.
    if rows and 0 <= int(rows[0]) < len(frame):
        return int(frame["id"].iloc[int(rows[0])])
    return None
