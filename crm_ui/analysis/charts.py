"""Plotly figures for the analyses: frame in, figure out, French number formats, readable colours.

A builder returns None for an empty frame: screens then say so in a sentence instead of drawing.
Every bar carries its group in `customdata`, so a click (on_select) tells the screen what to open.
Plotly draws a subset of HTML in labels, trace names and hover text: every text from the data goes
through `escape_label` first (customdata and `meta`, never drawn, keep the raw value).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from crm_ui.formatting import month_fr

BLUE = "#1F4E79"
LIGHT_BLUE = "#7FA7CE"
GREEN = "#2E7D32"
RED = "#C62828"
GREY = "#8A8F98"
ORANGE = "#E08A00"
CATEGORY_COLOURS = {"interne": RED, "externe": GREY}
STATUT_COLOURS = {"Gagnée": GREEN, "Perdue": RED, "Abandonnée": GREY}
EURO_HOVER = "%{y:,.2f} €"
COUNT_HOVER = "%{y:,d}"
EMPTY_GROUP = "(vide)"
SCENARIOS = {"bas": "CA attendu", "pondere": "CA pondéré", "haut": "CA potentiel (plafond)"}
"""A2's scenarios (SPEC: bas, pondere, haut) as the screen and its exports name them."""


def escape_label(text: object) -> str:
    """text as Plotly must receive it: `<`, `>` and `&` escaped, so that a name typed by a user
    (an étape `<a href=…>`, a famille `<b>`) is drawn as written, never as a link or a style."""
    return html.escape(str(text), quote=False)


def _labels(values: Iterable[object]) -> list[str]:
    return [escape_label(v) for v in values]


def _months(values: pd.Series) -> list[str]:
    return _labels(month_fr(v) for v in values)


def _layout(fig: go.Figure, title: str, *, euro_axis: bool = True) -> go.Figure:
    # Plotly has no French locale inside Streamlit: ", " makes 1 234,5 out of its separators.
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=", ",
        barmode="group",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        hoverlabel={"namelength": -1},
        clickmode="event+select",
    )
    # Without a tickformat Plotly writes 14k; ",d" with the separators above writes 14 000.
    if euro_axis:
        fig.update_yaxes(tickformat=",.0f", ticksuffix=" €")
    else:
        fig.update_yaxes(tickformat=",d")
    fig.update_xaxes(type="category")
    return fig


def _bars(
    x: pd.Series,
    y: pd.Series,
    name: str,
    colour: str | None,
    hover: str = EURO_HOVER,
    key: str | None = None,
    months: bool = False,
) -> go.Bar:
    """One bar trace: x and name escaped for drawing (months in French: « déc. 2026 »), the raw
    x in customdata; `key` (the raw group a breakdown trace stands for) in meta. No colour:
    Plotly's palette picks one."""
    shown = escape_label(name)
    return go.Bar(
        x=_months(x) if months else _labels(x.astype(str)),
        y=y.astype(float).tolist(),
        name=shown,
        marker={"color": colour} if colour else None,
        customdata=x.astype(str).tolist(),
        meta=key,
        hovertemplate=f"%{{x}}<br>{shown} : {hover}<extra></extra>",
    )


def pipe_chart(pipe: pd.DataFrame, title: str) -> go.Figure | None:
    """A1: CA potentiel and CA pondéré side by side per étape, in étape order."""
    if int(pipe["nombre"].sum()) == 0:
        return None
    fig = go.Figure(
        [
            _bars(pipe["etape"], pipe["ca_potentiel"], "CA potentiel", LIGHT_BLUE),
            _bars(pipe["etape"], pipe["ca_pondere"], "CA pondéré", BLUE),
        ]
    )
    return _layout(fig, title)


def forecast_chart(forecast: pd.DataFrame, title: str) -> go.Figure | None:
    """A2: the three scenarios per month of date fin, late and undated affaires as their own
    bars. They are named after what they sum: the CA attendu (SPEC's `bas`) is often above the
    CA pondéré, so "Bas" would read as a floor it is not."""
    if forecast.empty:
        return None
    mois = forecast["mois"]
    fig = go.Figure(
        [
            _bars(mois, forecast["bas"], SCENARIOS["bas"], LIGHT_BLUE, months=True),
            _bars(mois, forecast["pondere"], SCENARIOS["pondere"], BLUE, months=True),
            _bars(mois, forecast["haut"], SCENARIOS["haut"], ORANGE, months=True),
        ]
    )
    return _layout(fig, title)


def results_chart(results: pd.DataFrame, title: str) -> go.Figure | None:
    """A3: gagnées, perdues and abandonnées stacked per type (one trace per statut)."""
    columns = {"Gagnée": "gagnees", "Perdue": "perdues", "Abandonnée": "abandonnees"}
    if int(results[list(columns.values())].to_numpy().sum()) == 0:
        return None
    fig = go.Figure(
        [
            _bars(results["type"], results[column], statut, STATUT_COLOURS[statut], COUNT_HOVER)
            for statut, column in columns.items()
        ]
    )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, euro_axis=False)


def pareto_chart(losses: pd.DataFrame, title: str) -> go.Figure | None:
    """A4: losses per code clôture, most frequent first, red when interne (avoidable) and grey
    when externe, with the cumulative share on a second axis."""
    if losses.empty:
        return None
    fig = go.Figure()
    for categorie, colour in CATEGORY_COLOURS.items():
        part = losses[losses["categorie"] == categorie]
        fig.add_trace(
            _bars(part["code_cloture"], part["nombre"], f"Perte {categorie}", colour, COUNT_HOVER)
        )
    fig.add_trace(
        go.Scatter(
            x=_labels(losses["code_cloture"].astype(str)),
            y=(losses["part"].cumsum() * 100).tolist(),
            name="Part cumulée",
            mode="lines+markers",
            line={"color": BLUE},
            yaxis="y2",
            hovertemplate="%{x}<br>Part cumulée : %{y:.1f} %<extra></extra>",
        )
    )
    order = _labels(losses["code_cloture"].astype(str))
    fig.update_layout(
        barmode="stack",
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "ticksuffix": " %"},
    )
    _layout(fig, title, euro_axis=False)
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    return fig


def monthly_chart(monthly: pd.DataFrame, title: str, by: str | None = None) -> go.Figure | None:
    """A5: CA signé per month, stacked by the breakdown when one is chosen (one trace per value,
    named after it, `(vide)` for none; its meta is the raw value, or the user id for gestion par,
    for the drill-down), with the same month a year earlier as a line."""
    if (
        float(monthly["ca_signe"].sum()) == 0
        and float(monthly["ca_signe_annee_precedente"].sum()) == 0
    ):
        return None
    fig = go.Figure()
    if by is None:
        fig.add_trace(_bars(monthly["mois"], monthly["ca_signe"], "CA signé", BLUE, months=True))
        previous = monthly
    else:
        key = f"{by}_id" if f"{by}_id" in monthly.columns else by
        groups = sorted(monthly.groupby(key, sort=False), key=lambda g: str(g[1][by].iloc[0]))
        for value, part in groups:
            label = str(part[by].iloc[0]) or EMPTY_GROUP
            fig.add_trace(
                _bars(part["mois"], part["ca_signe"], label, None, key=str(value), months=True)
            )
        previous = monthly.groupby("mois")["ca_signe_annee_precedente"].sum().reset_index()
    fig.add_trace(
        go.Scatter(
            x=_months(previous["mois"]),
            y=previous["ca_signe_annee_precedente"].astype(float).tolist(),
            name="Un an plus tôt",
            mode="lines+markers",
            line={"color": ORANGE, "dash": "dot"},
            hovertemplate=f"%{{x}}<br>Un an plus tôt : {EURO_HOVER}<extra></extra>",
        )
    )
    _layout(fig, title)
    if by is not None:
        # A breakdown's legend (ten commercials) wraps over several lines: below the bars it
        # cannot cover the title.
        fig.update_layout(
            barmode="stack",
            legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
    return fig


def conversion_chart(conversion: pd.DataFrame, title: str) -> go.Figure | None:
    """A8: affaires entering each étape and those that went further."""
    if int(conversion["entrees"].sum()) == 0:
        return None
    fig = go.Figure(
        [
            _bars(conversion["etape"], conversion["entrees"], "Entrées", LIGHT_BLUE, COUNT_HOVER),
            _bars(
                conversion["etape"],
                conversion["passees_suivante"],
                "Passées à la suite",
                BLUE,
                COUNT_HOVER,
            ),
        ]
    )
    return _layout(fig, title, euro_axis=False)


def clicked(event: object, fig: go.Figure) -> tuple[str, str] | None:
    """(group, trace) of the bar clicked in fig drawn with on_select, or None: the raw group from
    customdata, and the trace's meta (a breakdown's raw value) or else its name."""
    selection = event.get("selection", {}) if isinstance(event, dict) else {}
    for point in selection.get("points", []) if isinstance(selection, dict) else []:
        group = point.get("customdata", point.get("x"))
        if isinstance(group, list):
            group = group[0] if group else None
        curve = point.get("curve_number", 0)
        if group is not None and isinstance(curve, int) and curve < len(fig.data):
            trace = fig.data[curve]
            return str(group), str(trace.meta if trace.meta is not None else trace.name)
    return None
