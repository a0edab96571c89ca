"""Mes actions: the current user's actions overdue, due today and upcoming, each linking to its
affaire and markable as done."""

from __future__ import annotations

import streamlit as st

from crm_data import actions
from crm_data.model import CrmError
from crm_ui import formatting, session
from crm_ui.fields import plain

HORIZON_DAYS = 14
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


frame = actions.my_actions(con, actor, horizon_days=HORIZON_DAYS)
if frame.empty:
    st.info(
        f"Aucune action à faire d'ici {HORIZON_DAYS} jours. Les actions se créent depuis "
        "l'onglet Action d'une fiche affaire."
    )
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
                "app_pages/affaires.py",
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
