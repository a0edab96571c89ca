"""Widgets the analysis screens share: the gestion par / type / famille filters, a formatted
table with its CSV button, a chart that drills down on click, and the Excel export button."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm_data import referentiels
from crm_data.filters import Filters
from crm_data.model import Actor, TypeAffaire
from crm_data.users import user_labels
from crm_ui.analysis import charts, columns, excel
from crm_ui.navigation import open_affaires_list

CHART_CONFIG = {"displaylogo": False, "displayModeBar": False}
"""Plotly's tool bar speaks English (« Zoom », « Autoscale », « Download plot as a png ») and
Streamlit ships no French for it: the charts go without it (the Excel export keeps the data)."""


def user_names(con: object) -> dict[int, str]:
    """Every user's id → the name shown for them, told apart by the login when two share one."""
    return user_labels(con)  # type: ignore[arg-type]


def affaire_filters(
    con: object, actor: Actor, key: str
) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]]:
    """(gestion par ids, types, familles) chosen in a row of multiselects; a commercial sees
    only their own affaires, so no gestion par choice is offered to them."""
    names = user_names(con)
    c1, c2, c3 = st.columns(3)
    gestion: list[int] = []
    if actor.sees_everything:
        gestion = c1.multiselect(
            "Gestion par",
            list(names),
            format_func=lambda i: names.get(i, str(i)),
            key=f"{key}_gestion",
            placeholder="Tous",
        )
    types = c2.multiselect(
        "Type", [t.value for t in TypeAffaire], key=f"{key}_types", placeholder="Tous"
    )
    familles = c3.multiselect(
        "Famille d'article",
        referentiels.names(con, "famille_article", active_only=False),  # type: ignore[arg-type]
        key=f"{key}_familles",
        placeholder="Toutes",
    )
    return tuple(gestion), tuple(types), tuple(familles)


def table(
    frame: pd.DataFrame,
    key: str,
    title: str,
    selection: Literal["single-row", "single-cell"] | None = None,
) -> Any:
    """The frame with French headers and formats (crm_ui.analysis.columns.display), and a
    button downloading it as CSV.

    With a selection mode, returns the selection event (positions in frame; a cell's column is
    named by its French header).
    """
    shown = columns.display(frame)
    event = None
    if selection is None:
        st.dataframe(shown, hide_index=True, width="stretch", key=key, placeholder="")
    else:
        event = st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=key,
            on_select="rerun",
            selection_mode=selection,
            placeholder="",
        )
    st.download_button(
        "CSV",
        lambda: excel.csv_bytes(frame),
        file_name=f"{title}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{key}_csv",
    )
    return event


def chart(
    fig: go.Figure | None,
    key: str,
    empty: str,
    drill: Callable[[str, str], Filters | None] | None = None,
) -> None:
    """Draw fig, or the sentence `empty` when there is nothing to draw; a click on a bar opens
    the Affaires list with the filters drill(group, trace name) returns."""
    if fig is None:
        st.info(empty)
        return
    if drill is None:
        st.plotly_chart(fig, key=key, config=CHART_CONFIG)
        return
    event = st.plotly_chart(
        fig, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG
    )
    hit = charts.clicked(event, fig)
    if hit is not None:
        target = drill(*hit)
        if target is not None:
            open_affaires_list(target)


def export_button(
    tables: Callable[[], dict[str, pd.DataFrame]], filters: dict[str, str], name: str
) -> None:
    """The screen's Excel download: a sheet per table (title → frame, computed on click, so
    that a view does not pay for tables it does not show) and the Filtres sheet."""
    st.download_button(
        "Exporter en Excel",
        lambda: excel.workbook(tables(), filters),
        file_name=f"{name}-{dt.date.today():%Y-%m-%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        key=f"{name}_excel",
        type="primary",
    )
