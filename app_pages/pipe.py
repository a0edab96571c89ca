"""Pipe: the open affaires per étape weighted by réussite (A1), the forecast by month of date fin
(A2) and the figures per commercial (A7), with drill-downs and exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from crm_data.filters import Filters
from crm_ui import formatting, session
from crm_ui.access import Area, require
from crm_ui.analysis import cached, charts, objectifs_view, timeline_view
from crm_ui.analysis import widgets as ui
from crm_ui.analysis.period import picker
from crm_ui.navigation import open_affaires_list

con = session.connection()
actor = session.current_actor()
require(actor, Area.PIPE)
st.title("Pipe")
st.caption(
    "Les affaires en cours par étape, pondérées par leur réussite."
    if actor.sees_everything
    else "Vos affaires en cours par étape, pondérées par leur réussite."
)

with st.container(border=True):
    gestion, types, familles = ui.affaire_filters(con, actor, "pipe")
    day = timeline_view.pipe_day("pipe_le")
# The pipe and the forecast are the open affaires (today, or at the end of the « Pipe au » day):
# a period only matters for the figures per commercial (gagnées, perdues, actions), so its picker
# sits there.
filters = Filters(
    gestion_par=gestion, types=types, familles=familles, today=dt.date.today(), le=day
)
state = cached.state()
if day is not None:
    st.info(f"Pipe tel qu'il était le {formatting.date_fr(day)} au soir.")

pipe = cached.analysis("pipe", state, actor, filters)
totals = pipe[["nombre", "ca_potentiel", "ca_pondere", "ca_attendu"]].sum()
m1, m2, m3, m4 = st.columns(4)
m1.metric(
    "Affaires en cours",
    formatting.number(totals["nombre"]),
    help="Affaires au statut En cours, quelle que soit leur date.",
)
m2.metric(
    "CA potentiel",
    formatting.euro(totals["ca_potentiel"], 0),
    help="Somme des CA potentiels des affaires en cours : ce qui serait signé si toutes l'étaient.",
)
m3.metric(
    "CA pondéré",
    formatting.euro(totals["ca_pondere"], 0),
    help="Somme de CA potentiel × réussite / 100 des affaires en cours.",
)
m4.metric(
    "CA attendu",
    formatting.euro(totals["ca_attendu"], 0),
    help="Somme des CA attendus saisis par les commerciaux sur les affaires en cours : leur "
    "propre estimation, qui peut dépasser le CA pondéré.",
)

st.subheader("Pipe par étape")
ui.chart(
    charts.pipe_chart(pipe, "CA potentiel et CA pondéré des affaires en cours, par étape"),
    "pipe_chart",
    "Aucune affaire en cours : le pipe est vide.",
    lambda etape, _: timeline_view.open_drill(con, actor, filters, etape=etape),
)
total_row = pd.DataFrame([{"etape": "Total", **totals.to_dict()}])
ui.table(pd.concat([pipe, total_row], ignore_index=True), "pipe_table", "pipe-par-etape")

st.subheader("Prévision")
st.caption(
    "Par mois de date fin, trois scénarios : le CA attendu (l'estimation des commerciaux), "
    "le CA pondéré (potentiel × réussite) et le CA potentiel (tout signé, le plafond). "
    "Le CA attendu n'est pas un minimum : il dépasse souvent le CA pondéré."
)
forecast = cached.analysis("prevision", state, actor, filters)
ui.chart(
    charts.forecast_chart(forecast, "Prévision des affaires en cours par mois de date fin"),
    "prevision_chart",
    "Aucune affaire en cours : rien à prévoir.",
    lambda mois, _: timeline_view.open_drill(con, actor, filters, mois=mois),
)
ui.table(forecast, "prevision_table", "prevision")

st.subheader("Par commercial")
period = picker("pipe")
by_period = replace(filters, du=period.du, au=period.au)
st.caption(
    "Ouvertes et CA pondéré : affaires en cours aujourd'hui. Gagnées, perdues, CA signé, taux "
    f"de réussite et actions faites : {period.label()}."
)
commerciaux = cached.analysis("commerciaux-ids", state, actor, by_period)
commercial_ids = commerciaux.pop("gestion_par_id").tolist()
if commerciaux.empty:
    st.info("Aucune affaire ni action pour ces filtres.")
else:
    event = ui.table(
        commerciaux,
        "commerciaux_table",
        "par-commercial",
        selection="single-row",
    )
    st.caption("Sélectionnez une ligne pour voir les affaires en cours de ce commercial.")
    selected = getattr(getattr(event, "selection", None), "rows", [])
    if selected and selected[0] < len(commercial_ids):
        user_id = int(commercial_ids[selected[0]])
        target = timeline_view.open_drill(con, actor, filters, user_id=user_id)
        if target is not None:
            open_affaires_list(target)

st.subheader("Le pipe dans le temps")
timeline_view.history_sections(con, actor, filters)

st.subheader("Couverture des objectifs")
objectifs_view.coverage_block(state, actor, filters)

ui.export_button(
    lambda: {"Pipe par étape": pipe, "Prévision": forecast, "Par commercial": commerciaux},
    {
        **by_period.describe_analysis(),
        "Gestion par": ", ".join(ui.user_names(con).get(i, str(i)) for i in gestion) or "Tous",
    },
    "pipe",
)
