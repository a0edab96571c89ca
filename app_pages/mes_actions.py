"""Mes actions: the current user's actions overdue, due today and upcoming, each linking to its
affaire and markable as done; then the dormant affaires to relaunch (the user's own, or the
team's for a manager or admin who has none, so that a newcomer has something to start from)."""

from __future__ import annotations

import streamlit as st

from crm_data import actions
from crm_data.model import CrmError
from crm_ui import formatting, session
from crm_ui.fields import plain
from crm_ui.navigation import FICHE_PAGE

HORIZON_DAYS = 14
DORMANT_SHOWN = 10
GROUPS = (
    ("En retard", ":material/alarm: En retard", "red"),
    ("Aujourd'hui", ":material/today: Aujourd'hui", "orange"),
    ("À venir", f":material/event: Dans les {HORIZON_DAYS} prochains jours", "blue"),
)

con = session.connection()
actor = session.current_actor()
st.title("Mes actions")


def _done(action_id: int, version: int) -> None:
    try:
        actions.mark_done(con, actor, action_id, version)
    except CrmError as exc:
        session.flash(plain(str(exc)), icon="⚠️")
        return
    session.flash("Action marquée comme faite.")


def _dormant_section() -> None:
    dormant = actions.dormant_affaires(con, actor, limit=DORMANT_SHOWN)
    team = dormant.empty and actor.sees_everything
    if team:
        dormant = actions.dormant_affaires(con, actor, everyone=True, limit=DORMANT_SHOWN)
    if dormant.empty:
        return
    st.subheader(
        ":violet[:material/bedtime: Affaires dormantes" + (" de l'équipe]" if team else "]")
    )
    st.caption(
        "Sans activité depuis plus longtemps que le seuil de leur étape (Paramètres). "
        "« Relancer » crée une relance pour aujourd'hui."
    )
    for row in dormant.itertuples():
        with st.container(border=True):
            text, link, relance = st.columns([4, 2, 1], vertical_alignment="center")
            text.markdown(
                f"**{plain(str(row.nom))}**  \n{plain(str(row.compte))} · {plain(str(row.etape))}"
            )
            link.page_link(
                FICHE_PAGE,
                label="Ouvrir la fiche",
                icon=":material/open_in_new:",
                query_params={"affaire": str(row.id)},
            )
            if relance.button("Relancer", key=f"mes_actions.relance.{row.id}"):
                try:
                    actions.create_relance(con, actor, int(str(row.id)))
                except CrmError as exc:
                    st.error(plain(str(exc)), icon="⚠️")
                else:
                    session.flash("Relance créée pour aujourd'hui.")
                    st.rerun()


frame = actions.my_actions(con, actor, horizon_days=HORIZON_DAYS)
if frame.empty:
    st.info(
        f"Aucune action à faire d'ici {HORIZON_DAYS} jours. Les actions se créent depuis "
        "l'onglet Action d'une fiche affaire."
    )
    _dormant_section()
    st.stop()

counts = st.columns(len(GROUPS))
for col, (quand, _, _) in zip(counts, GROUPS, strict=True):
    col.metric(quand, formatting.number(int((frame["quand"] == quand).sum())))

for quand, title, colour in GROUPS:
    part = frame[frame["quand"] == quand]
    if part.empty:
        continue
    st.subheader(f":{colour}[{title}]")
    for row in part.itertuples():
        with st.container(border=True):
            text, link, done = st.columns([4, 2, 1], vertical_alignment="center")
            text.markdown(
                f"**{plain(row.type)} — {plain(row.objet)}**  \n"
                f"Échéance : {formatting.date_fr(row.echeance)} · {plain(row.compte)}"
            )
            link.page_link(
                FICHE_PAGE,
                label=f"{plain(row.affaire)}",
                icon=":material/open_in_new:",
                query_params={"affaire": str(row.affaire_id)},
            )
            done.button(
                "Fait",
                key=f"mes_actions.done.{row.id}",
                icon=":material/task_alt:",
                on_click=_done,
                args=(int(str(row.id)), int(str(row.version))),
            )

_dormant_section()
