"""The pipe through time on the Pipe screen: the « Pipe au » day (A10), the movements' waterfall
with its drill-downs (A11), the forecast's reliability (A12) and the slipping dates fin (A13).

Figures come from crm_data.analyses.timeline, cached on the base's state; nothing computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm_data.analyses import drill
from crm_data.analyses import registry as analyses
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.analysis import charts
from crm_ui.analysis.period import Period
from crm_ui.analysis.widgets import CHART_CONFIG
from crm_ui.navigation import open_affaires_list

CATEGORY_LABELS = {
    "debut": "Début",
    "nouvelles": "Nouvelles",
    "entrees": "Entrées",
    "hausses": "Hausses",
    "baisses": "Baisses",
    "gagnees": "Gagnées",
    "perdues": "Perdues",
    "abandonnees": "Abandonnées",
    "sorties": "Sorties du pipe",
    "fin": "Fin",
}
PRESETS = (
    "Depuis la semaine dernière",
    "Depuis le début du mois",
    "Depuis le début du trimestre",
    "Personnalisée",
)
WINDOWS = ("Tout le pipe", "Signature attendue ce mois-ci", "Signature attendue ce trimestre")
VALUE_LABELS = {"ca_potentiel": "CA potentiel", "ca_pondere": "CA pondéré"}
COLUMNS = {
    "categorie": "Catégorie",
    "nombre": "Nombre",
    "montant": "Montant",
    "id": "N°",
    "nom": "Nom",
    "gestion_par": "Gestion par",
    "statut_debut": "Statut au début",
    "valeur_debut": "Valeur au début",
    "statut_fin": "Statut à la fin",
    "valeur_fin": "Valeur à la fin",
    "mois": "Mois",
    "prevu": "Prévu (pondéré)",
    "prevu_haut": "Prévu (haut)",
    "signe": "Signé",
    "realisation": "Réalisation",
    "date_fin": "Date fin",
    "reports": "Reports",
    "premiere_date_fin": "Première date fin",
}
AMOUNTS = {"montant", "valeur_debut", "valeur_fin", "prevu", "prevu_haut", "signe"}
SLIPPING_ROWS = 200


def _state() -> str:
    return repr(analyses.base_state(session.connection()))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(name: str, state: str, actor: Actor, filters: Filters, extra: Any) -> pd.DataFrame:
    con = session.connection()
    if name == "mouvements":
        return analyses.movements(con, actor, filters, *extra)
    if name == "mouvements-affaires":
        return analyses.movement_affaires(con, actor, filters, *extra)
    if name == "velocites":
        return pd.concat(analyses.velocities(con, actor, filters, *extra), ignore_index=True)
    if name == "fiabilite":
        return analyses.forecast_reliability(con, actor, filters, by=extra)
    return analyses.slipping(con, actor, filters, limit=extra)


def _run(name: str, actor: Actor, filters: Filters, extra: Any = None) -> pd.DataFrame:
    return _cached(name, _state(), actor, filters, extra).copy()


def pipe_day(key: str) -> dt.date | None:
    """The « Pipe au » day chosen (today by default, never later); None for today, which the
    live pipe answers."""
    today = dt.date.today()
    day = st.date_input("Pipe au", value=today, max_value=today, format="DD/MM/YYYY", key=key)
    return day if isinstance(day, dt.date) and day < today else None


def open_drill(con: object, actor: Actor, filters: Filters, **figure: Any) -> Filters | None:
    """The drill-down of a figure of the pipe (etape, mois or user_id): on a past day, exactly
    the affaires that made it then; on today, the list's own filters for it."""
    if filters.le is None:
        if "etape" in figure:
            return drill.open_at_etape(filters, figure["etape"])
        if "mois" in figure:
            return drill.forecast_bucket(filters, figure["mois"])
        return drill.open_of_user(filters, int(figure["user_id"]))
    return drill.affaires(analyses.open_ids_at(con, actor, filters, **figure))  # type: ignore[arg-type]


def _table(frame: pd.DataFrame, key: str) -> None:
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = COLUMNS.get(str(column), str(column))
        if column in AMOUNTS:
            config[column] = st.column_config.NumberColumn(label, format="euro")
        elif column == "realisation":
            config[column] = st.column_config.NumberColumn(label, format="percent")
        elif str(column).endswith("date_fin"):
            config[column] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        elif column == "nom":
            # A long name would push the values of the day after out of a 1440-pixel screen.
            config[column] = st.column_config.TextColumn(label, width="medium")
        else:
            config[column] = label
    shown = formatting.blank_missing(frame)
    st.dataframe(
        shown, hide_index=True, width="stretch", key=key, column_config=config, placeholder=""
    )


def waterfall_chart(frame: pd.DataFrame, title: str) -> go.Figure | None:
    """A11 as floating bars (a bar per row, starting where the running total stood), the
    category in customdata; None when the pipe was empty on both days and nothing moved."""
    if int(frame["nombre"].sum()) == 0:
        return None
    starts, running = [], 0.0
    for categorie, montant in zip(frame["categorie"], frame["montant"], strict=True):
        if categorie in ("debut", "fin"):
            starts.append(0.0)
            running = float(montant)
        else:
            starts.append(running)
            running += float(montant)
    colours = [
        charts.BLUE
        if c in ("debut", "fin")
        else (charts.GREEN if m > 0 else charts.RED if m < 0 else charts.GREY)
        for c, m in zip(frame["categorie"], frame["montant"], strict=True)
    ]
    amounts = [formatting.euro(m) for m in frame["montant"]]
    fig = go.Figure(
        go.Bar(
            x=[CATEGORY_LABELS[c] for c in frame["categorie"]],
            y=frame["montant"].astype(float).tolist(),
            base=starts,
            marker={"color": colours},
            customdata=frame["categorie"].tolist(),
            text=amounts,
            name="Mouvements",
            hovertext=[
                f"{count_fr(int(n), 'affaire')} : {a}"
                for n, a in zip(frame["nombre"], amounts, strict=True)
            ],
            hoverinfo="x+text",
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=", ",
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        clickmode="event+select",
    )
    fig.update_yaxes(tickformat=",.0f", ticksuffix=" €")
    fig.update_xaxes(type="category")
    return fig


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _window(choice: str, end: dt.date) -> tuple[dt.date, dt.date] | None:
    if choice == WINDOWS[1]:
        first = end.replace(day=1)
    elif choice == WINDOWS[2]:
        first = _quarter_start(end)
    else:
        return None
    months = 1 if choice == WINDOWS[1] else 3
    following = dt.date(
        first.year + (first.month + months - 1) // 12, (first.month + months - 1) % 12 + 1, 1
    )
    return first, following - dt.timedelta(days=1)


def _movement_days(end: dt.date) -> tuple[dt.date, dt.date]:
    c1, c2 = st.columns(2)
    preset = c1.selectbox("Depuis", PRESETS, key="mouvements_preset")
    if preset == PRESETS[0]:
        return end - dt.timedelta(days=7), end
    if preset == PRESETS[1]:
        return end.replace(day=1) - dt.timedelta(days=1), end
    if preset == PRESETS[2]:
        return _quarter_start(end) - dt.timedelta(days=1), end
    chosen = c2.date_input(
        "Du … au",
        value=(end - dt.timedelta(days=30), end),
        max_value=dt.date.today(),
        format="DD/MM/YYYY",
        key="mouvements_dates",
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return chosen[0], chosen[1]
    return end - dt.timedelta(days=30), end


def movements_section(con: object, actor: Actor, filters: Filters) -> None:
    """A11: the waterfall from a day to the « Pipe au » day, a bar click opening its affaires in
    the list, and the affaires of one movement with their value on both days."""
    end = filters.le or dt.date.today()
    d1, d2 = _movement_days(end)
    if not d1 < d2:
        st.warning("Choisissez une date de début antérieure à la date de fin.")
        return
    c1, c2 = st.columns(2)
    valeur = c1.radio(
        "Valeur",
        list(VALUE_LABELS),
        format_func=VALUE_LABELS.__getitem__,
        horizontal=True,
        key="mouvements_valeur",
    )
    window_choice = c2.selectbox("Affaires", WINDOWS, key="mouvements_fenetre")
    window = _window(window_choice, d2)
    period = replace(filters, du=d1, au=d2, le=None)
    frame = _run("mouvements", actor, period, (valeur, window))
    title = f"Mouvements du pipe en {VALUE_LABELS[valeur]} du {d1:%d/%m/%Y} au {d2:%d/%m/%Y}"
    if window is not None:
        title += f" (date fin du {window[0]:%d/%m/%Y} au {window[1]:%d/%m/%Y})"

    def drill_to(categorie: str, _: str) -> Filters | None:
        affaires = _run("mouvements-affaires", actor, period, (categorie, valeur, window))
        return drill.affaires(affaires["id"].tolist())

    fig = waterfall_chart(frame, title)
    if fig is None:
        st.info("Le pipe était vide aux deux dates et rien n'a bougé.")
    else:
        event = st.plotly_chart(
            fig,
            key="mouvements_chart",
            on_select="rerun",
            selection_mode="points",
            config=CHART_CONFIG,
        )
        hit = charts.clicked(event, fig)
        target = drill_to(*hit) if hit is not None else None
        if target is not None:
            open_affaires_list(target)
        st.caption("Cliquez sur une barre pour ouvrir ses affaires dans la liste.")
    shown = frame.assign(categorie=frame["categorie"].map(CATEGORY_LABELS))
    _table(shown, "mouvements_table")
    # The movements first, then the pipe on each day: the detail opens on what moved (and the
    # pipe of a day, a long list, is read only when asked for).
    counts = dict(zip(frame["categorie"], frame["nombre"], strict=True))
    moved = [c for c in (*analyses.MOVEMENTS, "debut", "fin") if counts.get(c, 0) > 0]
    if moved:
        categorie = st.selectbox(
            "Détail des affaires de",
            moved,
            format_func=CATEGORY_LABELS.__getitem__,
            key="mouvements_detail",
        )
        detail = _run("mouvements-affaires", actor, period, (categorie, valeur, window))
        detail = detail.drop(columns=["categorie"]).assign(
            statut_debut=detail["statut_debut"].fillna("Inexistante")
        )
        _table(detail, "mouvements_detail_table")
        if st.button("Ouvrir ces affaires dans la liste", key="mouvements_ouvrir"):
            target = drill.affaires(detail["id"].tolist())
            if target is not None:
                open_affaires_list(target)


def reliability_section(actor: Actor, filters: Filters) -> None:
    """A12 over the screen's period: prévu the day before each month against signé."""
    by = "gestion_par" if st.toggle("Par commercial", key="fiabilite_par") else None
    frame = _run("fiabilite", actor, replace(filters, le=None), by)
    if frame.empty:
        st.info("Rien de prévu ni de signé sur la période.")
        return
    if by is None:
        fig = go.Figure(
            [
                go.Bar(
                    x=frame["mois"],
                    y=frame["prevu"],
                    name="Prévu (pondéré)",
                    marker={"color": charts.LIGHT_BLUE},
                ),
                go.Bar(
                    x=frame["mois"], y=frame["signe"], name="Signé", marker={"color": charts.GREEN}
                ),
            ]
        )
        fig.update_layout(
            title={"text": "Prévu la veille de chaque mois et signé dans le mois", "x": 0},
            separators=", ",
            barmode="group",
            margin={"l": 10, "r": 10, "t": 70, "b": 10},
        )
        fig.update_yaxes(tickformat=",.0f", ticksuffix=" €")
        fig.update_xaxes(type="category")
        st.plotly_chart(fig, key="fiabilite_chart", config=CHART_CONFIG)
    _table(frame, "fiabilite_table")


def slipping_section(actor: Actor, filters: Filters) -> None:
    """A13: the open affaires whose date fin was pushed the most, and the way to all of them."""
    frame = _run("glissements", actor, replace(filters, le=None), SLIPPING_ROWS)
    frame = frame[frame["reports"] > 0]
    if frame.empty:
        st.info("Aucune date fin repoussée parmi les affaires en cours.")
        return
    st.caption(f"Les {SLIPPING_ROWS} affaires en cours dont la date fin a été le plus repoussée.")
    _table(frame, "glissements_table")


def history_sections(con: object, actor: Actor, filters: Filters) -> None:
    """The three blocks of the pipe through time, as tabs (only the open one computes)."""
    movements, reliability, slipping = st.tabs(
        ["Mouvements", "Fiabilité de la prévision", "Glissements"],
        key="pipe_historique_tab",
        on_change="rerun",
    )
    if movements.open:
        with movements:
            movements_section(con, actor, filters)
    if reliability.open:
        with reliability:
            reliability_section(actor, filters)
    if slipping.open:
        with slipping:
            slipping_section(actor, filters)


def _per_day(value: float) -> str:
    # Whole euros: with cents the figure no longer fits its metric's column.
    return "—" if value != value else f"{formatting.euro(value, 0)} / jour"


def velocity_headline(
    actor: Actor, filters: Filters, period: Period, summaries: list[pd.DataFrame]
) -> None:
    """Vélocité (SPEC §3) over the period beside the previous period and a year earlier, with
    its four levers: affaires ouvertes × taux de réussite × panier moyen ÷ cycle moyen.
    summaries: the headline's sales summaries of those three periods, in that order (their
    figures are the velocity's levers: not read twice)."""
    periods = ((period.du, period.au), period.previous, period.year_before)
    frame = _run("velocites", actor, filters, (periods, summaries))
    rows = [frame.iloc[i] for i in range(len(periods))]
    now, before, year = rows
    value, previous = float(now["velocite"]), float(before["velocite"])
    delta = None
    if value == value and previous == previous and previous != 0:
        delta = formatting.percent((value - previous) / previous)
    same = period.previous == period.year_before
    versus = "un an plus tôt" if same else "la période précédente"
    still = delta is not None and value == previous
    c1, c2 = st.columns([2, 3])
    c1.metric(
        "Vélocité des ventes",
        _per_day(value),
        delta="stable" if still else delta,
        delta_color="off" if still else "normal",
        delta_arrow="off" if still else "auto",
        help="Ce que le pipe rapporte par jour : affaires ouvertes en fin de période × taux de "
        f"réussite × panier moyen ÷ cycle moyen (en jours). La flèche compare avec {versus}.",
    )
    earlier = _per_day(float(year["velocite"]))
    c1.caption(
        f"Un an plus tôt : {earlier}"
        if same
        else f"Précédente : {_per_day(previous)}  \nUn an plus tôt : {earlier}"
    )
    levers = [
        f"{formatting.number(int(now['affaires_ouvertes']))} affaires ouvertes",
        f"{formatting.percent(now['taux_reussite']) or '—'} de réussite",
        f"{formatting.euro(now['panier_moyen'], 0) or '—'} de panier moyen",
    ]
    cycle = now["cycle_moyen_jours"]
    days = "—" if cycle != cycle else f"{formatting.number(cycle, 1)} j"
    c2.caption(f"Leviers : {' × '.join(levers)} ÷ {days} de cycle moyen")
