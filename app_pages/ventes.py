"""Ventes: sales over a period for the direction (A3–A6, A8, A9), each headline figure beside the
previous period and the same period a year earlier, with drill-downs and exports."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm_data.analyses import drill
from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import BREAKDOWNS, QUALITY_CHECKS, STUCK_DAYS, avoidable_share
from crm_data.filters import Filters
from crm_ui import formatting, session
from crm_ui.access import Area, require
from crm_ui.analysis import cached, charts, columns, objectifs_view, timeline_view
from crm_ui.analysis import widgets as ui
from crm_ui.analysis.period import picker
from crm_ui.analysis.sales_headline import headline
from crm_ui.navigation import open_affaires_list

con = session.connection()
actor = session.current_actor()
require(actor, Area.VENTES)
st.title("Ventes")

with st.container(border=True):
    period = picker("ventes")
    gestion, types, familles = ui.affaire_filters(con, actor, "ventes")
filters = Filters(
    du=period.du,
    au=period.au,
    gestion_par=gestion,
    types=types,
    familles=familles,
    today=dt.date.today(),
)
state = cached.state()
when = period.label()
st.caption(f"Affaires clôturées {when}.")

summaries = headline(state, actor, filters, period)
timeline_view.velocity_headline(actor, filters, period, list(summaries.values()))
TABS = ["Résultats par type", "Pertes", "CA signé", "Conversion", "Qualité des données"]
# Only the open tab's analyses run: A8 reads the whole history and is the slowest of all.
tab_results, tab_losses, tab_monthly, tab_conversion, tab_quality = st.tabs(
    TABS, key="ventes_tab", on_change="rerun"
)
if tab_results.open:
    with tab_results:
        results = cached.analysis("resultats-type", state, actor, filters)
        ui.chart(
            charts.results_chart(
                results, f"Affaires gagnées, perdues et abandonnées par type, {when}"
            ),
            "resultats_chart",
            f"Aucune affaire clôturée {when}.",
            lambda type_, statut: drill.closed_in_period(filters, statut, type=type_),
        )
        ui.table(results, "resultats_table", "resultats-par-type")
        st.markdown("**CA signé face au CA attendu des affaires gagnées**")
        st.caption(
            "Sur les affaires gagnées de la période : réalisation = CA signé ÷ CA attendu saisi "
            "par les commerciaux ; remise = 1 − CA signé ÷ CA potentiel."
        )
        ui.table(
            cached.analysis("objectif", state, actor, filters),
            "objectif_table",
            "ca-signe-face-au-ca-attendu",
        )

if tab_losses.open:
    with tab_losses:
        losses = cached.analysis("pertes-code", state, actor, filters)
        share = avoidable_share(losses)
        st.metric(
            "Part des pertes évitables (cause interne)",
            formatting.percent(share) if share is not None else "—",
            help="Affaires perdues pour un code clôture de catégorie interne ÷ toutes les "
            "affaires perdues de la période.",
        )
        ui.chart(
            charts.pareto_chart(losses, f"Affaires perdues par code clôture, {when}"),
            "pertes_chart",
            f"Aucune affaire perdue {when}.",
            lambda code, _: drill.closed_in_period(filters, "Perdue", code_cloture=code),
        )
        ui.table(losses, "pertes_table", "pertes-par-code")
        matrix = cached.analysis("pertes-matrice", state, actor, filters)
        if not matrix.empty:
            st.markdown("**Étape où l'affaire a été perdue × code clôture**")
            event = ui.table(matrix, "matrice_table", "pertes-etape-code", selection="single-cell")
            cells = getattr(getattr(event, "selection", None), "cells", [])
            if cells and cells[0][1] != columns.header("etape"):
                row, code = cells[0]
                etape = str(matrix.iloc[row]["etape"])
                target = drill.closed_in_period(filters, "Perdue", code_cloture=code, etape=etape)
                open_affaires_list(target)


def monthly_drill(mois: str, trace: str, by: str | None) -> Filters | None:
    """The gagnées behind a bar of A5; with a breakdown, `trace` is the bar's raw value (a user
    id for gestion par, "" for no famille). Last year's line opens nothing."""
    if trace == "Un an plus tôt":
        return None
    return drill.signed_in_month(filters, mois, by, trace if by else None)


if tab_monthly.open:
    with tab_monthly:
        labels = {"": "Aucune", "famille_article": "Famille d'article", "type": "Type"}
        labels["gestion_par"] = "Gestion par"
        by = st.selectbox(
            "Détailler par", ["", *BREAKDOWNS], format_func=labels.get, key="ventes_by"
        )
        name = "ca-mensuel-par" if by else "ca-mensuel"
        monthly = cached.analysis(name, state, actor, filters, by or None)
        ui.chart(
            charts.monthly_chart(
                monthly, f"CA signé par mois, {when}, et un an plus tôt", by or None
            ),
            "ca_mensuel_chart",
            f"Aucune affaire signée {when} ni un an plus tôt.",
            lambda mois, trace: monthly_drill(mois, trace, by or None),
        )
        ui.table(
            monthly.drop(columns=["gestion_par_id"], errors="ignore"),
            "ca_mensuel_table",
            "ca-mensuel",
        )

if tab_conversion.open:
    with tab_conversion:
        conversion = cached.analysis("conversion", state, actor, filters)
        ui.chart(
            charts.conversion_chart(conversion, f"Affaires entrées dans chaque étape {when}"),
            "conversion_chart",
            f"Aucune affaire n'est entrée dans une étape {when}.",
        )
        ui.table(conversion, "conversion_table", "conversion")
        stuck = cached.analysis("bloquees", state, actor, filters)
        stuck_count = int(stuck.pop("nombre_total").iloc[0]) if not stuck.empty else 0
        st.markdown(
            f"**Affaires en cours depuis plus de {STUCK_DAYS} jours dans leur étape** "
            f"({formatting.number(stuck_count)})"
        )
        if stuck.empty:
            st.caption("Aucune affaire en cours n'est bloquée dans son étape.")
        else:
            if stuck_count > len(stuck):
                st.caption(
                    f"Le tableau montre les {formatting.number(len(stuck))} affaires bloquées "
                    f"depuis le plus longtemps sur {formatting.number(stuck_count)}."
                )
            ui.table(stuck, "bloquees_table", "affaires-bloquees")

if tab_quality.open:
    with tab_quality:
        quality = cached.analysis("qualite", state, actor, filters)
        st.caption("À corriger : chaque ligne mène aux affaires concernées.")
        for key, label, count in zip(
            QUALITY_CHECKS, quality["controle"], quality["nombre"], strict=True
        ):
            c1, c2, c3 = st.columns([5, 1, 2])
            c1.write(label)
            c2.write(f"**{formatting.number(count)}**")
            if c3.button("Voir les affaires", key=f"qualite_{key}", disabled=int(count) == 0):
                open_affaires_list(drill.quality_check(filters, key))

st.subheader("Objectifs")
objectifs_view.ventes_block(state, actor, filters, when)

EXPORTED = {
    "Résultats par type": analyses.results_by_type,
    "CA signé face au CA attendu": analyses.objective,
    "Pertes par code": analyses.losses_by_code,
    "Pertes étape x code": analyses.losses_matrix,
    "CA signé par mois": analyses.monthly_revenue,
    "Conversion": analyses.conversion,
    "Qualité des données": analyses.data_quality,
    "Objectifs": analyses.REGISTRY["objectifs"],
}
ui.export_button(
    lambda: {title: run(con, actor, filters) for title, run in EXPORTED.items()},
    {
        **filters.describe_analysis(),
        "Gestion par": ", ".join(ui.user_names(con).get(i, str(i)) for i in gestion) or "Tous",
    },
    "ventes",
)
