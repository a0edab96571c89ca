"""The Affaires list's table: the columns a salesperson scans by default, a chooser for the
others, late and dormant marks, and a click on any cell of a row (or its box) to open it; the
same click reads the Comptes and Contacts tables (CLICK, clicked_id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from crm_ui import formatting

ALERT_HELP = (
    "⏰ en retard : affaire en cours dont la date fin est passée. "
    "💤 dormante : aucune action depuis le délai de son étape et aucune relance à faire."
)
COLUMNS: dict[str, Any] = {
    # The default columns have widths in pixels that add up to the list's width at 1440 px with
    # the sidebar open, so that CA potentiel and the columns after it need no sideways scroll.
    "id": st.column_config.NumberColumn("N°", format="%d", width=56),
    "alerte": st.column_config.TextColumn("Alerte", width=52, help=ALERT_HELP),
    "nom": st.column_config.TextColumn("Nom", width=175),
    "compte": st.column_config.TextColumn("Compte", width=120),
    "etape": st.column_config.TextColumn("Étape", width=118),
    "statut": st.column_config.TextColumn("Statut", width=84),
    "ca_potentiel": st.column_config.NumberColumn("CA potentiel", format="euro", width=104),
    "reussite": st.column_config.NumberColumn("Réussite", format="%d %%", width=70),
    "date_fin": st.column_config.TextColumn("Date fin", width=80),
    "gestion_par": st.column_config.TextColumn("Gestion par", width=100),
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
    """The list's mark of each row, as icons its column's help explains: ⏰ late (open, date
    fin past), 💤 dormant."""
    late = frame["en_retard"].astype(bool)
    dormant = frame["dormante"].astype(bool)
    return pd.Series(
        [
            " ".join(m for m, on in (("⏰", a), ("💤", b)) if on)
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
        placeholder="",
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
