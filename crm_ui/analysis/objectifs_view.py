"""The objectifs on the analysis screens: A14 on Ventes (table per commercial and month with the
team's total, the chart of cumulated signé against cumulated objectif, drill-downs into the
affaires signed) and the coverage of this month and quarter on Pipe."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm_data.analyses import drill
from crm_data.analyses.objectifs import (
    COVERAGE_ALERT,
    EQUIPE,
    coverage,
    objectifs_detail,
    team_totals,
)
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.objectifs import month_label
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.analysis.charts import BLUE, ORANGE, escape_label
from crm_ui.analysis.widgets import CHART_CONFIG
from crm_ui.navigation import open_affaires_list

A14_HEADERS = {
    "gestion_par": "Commercial",
    "mois": "Mois",
    "objectif": "Objectif",
    "ca_signe": "CA signé",
    "realisation": "Réalisation",
    "cumul_objectif": "Objectif cumulé",
    "cumul_signe": "CA signé cumulé",
    "couverture": "Couverture",
}
COVERAGE_HEADERS = {
    "gestion_par": "Commercial",
    "horizon": "Horizon",
    "objectif": "Objectif",
    "ca_signe": "CA signé",
    "reste": "Reste à signer",
    "pipe_pondere": "Pipe pondéré attendu",
    "couverture": "Couverture",
}
HORIZONS = {"mois": "Ce mois", "trimestre": "Ce trimestre"}


@st.cache_data(max_entries=128, show_spinner=False)
def _detail(base_state: str, actor: Actor, filters: Filters) -> pd.DataFrame:
    return objectifs_detail(session.connection(), actor, filters)


@st.cache_data(max_entries=128, show_spinner=False)
def _coverage(base_state: str, actor: Actor, filters: Filters) -> pd.DataFrame:
    return coverage(session.connection(), actor, filters)


def coverage_text(value: float | None) -> str:
    """A coverage as « 2,4 × », empty when nothing remains to sign."""
    text = formatting.number(value, 1)
    return f"{text}{formatting.NBSP}×" if text else ""


def _shown(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """The frame's columns of headers as French text: amounts in euros, rates in percent."""
    out = pd.DataFrame(index=frame.index)
    for column, header in headers.items():
        values = frame[column]
        if column == "mois":
            out[header] = [month_label(m) for m in values]
        elif column == "horizon":
            out[header] = [HORIZONS[h] for h in values]
        elif column == "realisation":
            out[header] = [formatting.percent(v) for v in values]
        elif column == "couverture":
            out[header] = [coverage_text(v) for v in values]
        elif column == "gestion_par":
            out[header] = values.astype(str)
        else:
            out[header] = [formatting.euro(v) for v in values]
    return out


def cumulative_chart(frame: pd.DataFrame, title: str) -> go.Figure | None:
    """A14: one commercial's (or the team's) cumulated CA signé as bars against the cumulated
    objectif as a line, month by month; None when both are 0 all along. A bar's customdata is
    its month (AAAA-MM), for the drill-down."""
    if float(frame["cumul_signe"].abs().sum()) == 0 and float(frame["cumul_objectif"].sum()) == 0:
        return None
    months = [month_label(m) for m in frame["mois"]]
    fig = go.Figure(
        [
            go.Bar(
                x=months,
                y=frame["cumul_signe"].astype(float).tolist(),
                name="CA signé cumulé",
                marker_color=BLUE,
                customdata=frame["mois"].tolist(),
                hovertemplate="%{x}<br>CA signé cumulé : %{y:,.2f} €<extra></extra>",
            ),
            go.Scatter(
                x=months,
                y=frame["cumul_objectif"].astype(float).tolist(),
                name="Objectif cumulé",
                mode="lines+markers",
                line={"color": ORANGE},
                hovertemplate="%{x}<br>Objectif cumulé : %{y:,.2f} €<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        title={"text": escape_label(title), "x": 0, "xanchor": "left"},
        separators=", ",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        clickmode="event+select",
    )
    fig.update_yaxes(tickformat=",.0f", ticksuffix=" €")
    fig.update_xaxes(type="category")
    return fig


def _drill_to(filters: Filters, mois: str, user_id: int) -> None:
    """Open the gagnées signed that month by that commercial (by the team when user_id is 0)."""
    open_affaires_list(
        drill.signed_in_month(filters, mois, "gestion_par", user_id or None)
        if user_id
        else drill.signed_in_month(filters, mois)
    )


def ventes_block(state: str, actor: Actor, filters: Filters, when: str) -> None:
    """A14 on Ventes: per commercial and month (a commercial: their own line; a manager: the
    team and its total), the cumulated chart and the drill-downs into the affaires signed."""
    detail = _detail(state, actor, filters).copy()
    if detail.empty:
        st.info(f"Aucun objectif ni aucune signature {when}.")
        return
    goal, signed = detail["objectif"].sum(min_count=1), float(detail["ca_signe"].sum())
    m1, m2, m3 = st.columns(3)
    m1.metric("Objectif de la période", formatting.euro(goal, 0) or "—")
    m2.metric("CA signé", formatting.euro(signed, 0))
    m3.metric(
        "Réalisation de l'objectif",
        formatting.percent(signed / goal) if goal and goal == goal else "—",
    )
    if actor.sees_everything:
        detail = pd.concat([detail, team_totals(detail, filters.day())], ignore_index=True)
    who = list(dict.fromkeys(zip(detail["gestion_par_id"], detail["gestion_par"], strict=True)))
    ids = [i for i, _ in who]
    names = dict(who)
    chosen = st.selectbox(
        "Courbe de",
        ids,
        index=len(ids) - 1,
        format_func=lambda i: str(names[i]),
        key="objectifs_courbe",
    )
    line = detail[detail["gestion_par_id"] == chosen].reset_index(drop=True)
    fig = cumulative_chart(line, f"CA signé cumulé et objectif cumulé, {names[chosen]}, {when}")
    if fig is None:
        st.info(f"Ni objectif ni signature pour {names[chosen]} {when}.")
    else:
        event = st.plotly_chart(
            fig,
            key="objectifs_chart",
            on_select="rerun",
            selection_mode="points",
            config=CHART_CONFIG,
        )
        points = event.get("selection", {}).get("points", []) if isinstance(event, dict) else []
        if points and points[0].get("customdata"):
            custom = points[0]["customdata"]
            _drill_to(filters, str(custom[0] if isinstance(custom, list) else custom), chosen)
    shown = _shown(detail, A14_HEADERS)
    table = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="objectifs_table",
        on_select="rerun",
        selection_mode="single-cell",
        placeholder="",
    )
    st.caption("Sélectionnez un CA signé pour voir les affaires signées ce mois-là.")
    cells = getattr(getattr(table, "selection", None), "cells", [])
    if cells and cells[0][1] in (A14_HEADERS["ca_signe"], A14_HEADERS["cumul_signe"]):
        row = detail.iloc[int(cells[0][0])]
        _drill_to(filters, str(row["mois"]), int(row["gestion_par_id"]))


def _alert(row: pd.Series) -> list[str]:
    value = row[COVERAGE_HEADERS["couverture"]]
    low = row["_basse"]
    style = "color: #C62828; font-weight: bold" if low else ""
    return [
        style if value and column == COVERAGE_HEADERS["couverture"] else "" for column in row.index
    ]


def coverage_block(state: str, actor: Actor, filters: Filters) -> None:
    """The coverage on Pipe: what remains to sign this month and this quarter against the
    weighted pipe expected then, per commercial and for the team; under COVERAGE_ALERT it is
    shown in red and counted above the table."""
    frame = _coverage(state, actor, filters)
    if not actor.sees_everything:
        frame = frame[frame["gestion_par"] != EQUIPE]
    if frame.empty:
        st.info("Aucun objectif ni aucune signature ce trimestre.")
        return
    low = frame["couverture"].notna() & (frame["couverture"] < COVERAGE_ALERT)
    shown = _shown(frame, COVERAGE_HEADERS)
    reached = (frame["reste"] <= 0).to_numpy()
    shown.loc[reached, COVERAGE_HEADERS["couverture"]] = "Objectif atteint"
    shown["_basse"] = low.to_numpy()
    if low.any():
        below = count_fr(int(low.sum()), "couverture")
        st.warning(
            f"{below} sous {formatting.number(COVERAGE_ALERT)} × : le pipe "
            "pondéré attendu ne suffit pas à atteindre l'objectif.",
            icon=":material/warning:",
        )
    st.dataframe(
        shown.style.apply(_alert, axis=1),
        hide_index=True,
        width="stretch",
        key="couverture_table",
        column_order=list(COVERAGE_HEADERS.values()),
        placeholder="",
    )
    st.caption(
        "Couverture = pipe pondéré des affaires en cours dont la date fin tombe dans la période "
        "÷ reste à signer. En rouge sous "
        f"{formatting.number(COVERAGE_ALERT)} ×."
    )
