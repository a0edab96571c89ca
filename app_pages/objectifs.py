"""Objectifs: the monthly targets of CA signé per commercial for a year, set by managers and
admins in a grid (French amounts, totals per row and month), copied from the year before,
imported from and exported to the objectifs file, with the history of every change."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from crm_data import objectifs
from crm_data.files.objectifs_file import export_objectifs, read_changes
from crm_data.files.reader import source_from_bytes
from crm_data.model import CrmError, ValidationError
from crm_data.text import count_fr
from crm_ui import formatting, session
from crm_ui.access import Area, require
from crm_ui.fields import plain

con = session.connection()
actor = session.current_actor()
require(actor, Area.OBJECTIFS)
st.title("Objectifs")
st.caption("Objectif mensuel de CA signé de chaque commercial ; une case vide : pas d'objectif.")

today = dt.date.today()
year = st.selectbox(
    "Année", list(range(today.year - 3, today.year + 3)), index=3, key="objectifs_annee"
)
saved = objectifs.grid(con, actor, year)
months = [c for c in saved.columns if c not in ("utilisateur_id", "gestion_par")]
labels = {m: objectifs.month_label(m).split(" ")[0] for m in months}
grid_key = f"objectifs_grid_{year}"

if saved.empty:
    st.info("Aucun commercial actif : ajoutez-en dans Utilisateurs.")
else:
    shown = saved.set_index("utilisateur_id")
    for month in months:
        shown[month] = [formatting.number(v, formatting.CENTS_IF_ANY) for v in shown[month]]
    year_totals = saved[months].fillna(0).sum(axis=1)
    shown["total"] = [formatting.euro(v, formatting.CENTS_IF_ANY) for v in year_totals]
    # Widths in pixels that fit the 14 columns on a 1440-px screen with the sidebar open.
    config = {"gestion_par": st.column_config.TextColumn("Commercial", disabled=True, width=128)}
    config |= {m: st.column_config.TextColumn(labels[m], width=62) for m in months}
    config["total"] = st.column_config.TextColumn("Total", disabled=True, width=100)
    with st.form("objectifs_form", border=False):
        edited = st.data_editor(
            shown,
            key=grid_key,
            hide_index=True,
            width="stretch",
            column_config=config,
            num_rows="fixed",
        )
        save = st.form_submit_button("Enregistrer les objectifs", type="primary")
    totals = saved[months].fillna(0).sum(axis=0)
    month_totals = {labels[m]: formatting.euro(totals[m]) for m in months}
    month_totals["Année"] = formatting.euro(totals.sum())
    st.dataframe(
        pd.DataFrame([{"": "Total du mois", **month_totals}]),
        hide_index=True,
        width="stretch",
        key="objectifs_totaux",
        placeholder="",
    )
    if save:
        try:
            changes = objectifs.read_grid(saved, edited.reset_index())
            count = objectifs.set_objectifs(con, actor, changes)
        except ValidationError as exc:
            st.error(
                "Rien n'a été enregistré ; corrigez ces cases (vos saisies sont gardées) :\n\n"
                + "\n".join(f"- {plain(f)} : {plain(m)}" for f, m in exc.errors),
                icon=":material/error:",
            )
        except CrmError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
        else:
            del st.session_state[grid_key]
            session.flash(f"{count_fr(count, 'objectif enregistré', 'objectifs enregistrés')}.")
            st.rerun()

c1, c2 = st.columns(2)
if c1.button(f"Copier les objectifs de {year - 1}", key="objectifs_copier"):
    try:
        count = objectifs.copy_previous_year(con, actor, year)
    except CrmError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
    else:
        st.session_state.pop(grid_key, None)
        copied = count_fr(count, "objectif copié", "objectifs copiés")
        session.flash(f"{copied} de {year - 1} sur {year}.")
        st.rerun()

with tempfile.TemporaryDirectory() as folder:
    target = Path(folder) / f"objectifs-{year}.xlsx"
    export_objectifs(con, actor, target, dt.date(year, 1, 1), dt.date(year, 12, 31))
    c2.download_button(
        f"Exporter les objectifs {year} (Excel)",
        target.read_bytes(),
        file_name=target.name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="objectifs_export",
    )

with st.expander("Importer un fichier d'objectifs (colonnes Commercial, Mois, Objectif)"):
    upload = st.file_uploader("Fichier CSV ou Excel", type=["csv", "xlsx"], key="objectifs_fichier")
    if upload is not None and st.button("Importer", key="objectifs_importer"):
        try:
            changes = read_changes(con, source_from_bytes(upload.getvalue(), upload.name))
            count = objectifs.set_objectifs(con, actor, changes)
        except ValidationError as exc:
            st.error(
                "Fichier refusé, rien n'a été enregistré :\n\n"
                + "\n".join(f"- {plain(m)}" for _, m in exc.errors),
                icon=":material/error:",
            )
        except CrmError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
        else:
            st.session_state.pop(grid_key, None)
            lines = count_fr(len(changes), "ligne importée", "lignes importées")
            changed = count_fr(count, "objectif modifié", "objectifs modifiés")
            session.flash(f"{lines}, {changed}.")
            st.rerun()

with st.expander(f"Historique des modifications {year}"):
    changes_made = objectifs.history(con, actor, year)
    if changes_made.empty:
        st.caption("Aucune modification.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Le": [formatting.datetime_fr(v) for v in changes_made["changed_at"]],
                    "Par": changes_made["changed_by"],
                    "Commercial": changes_made["gestion_par"],
                    "Mois": [objectifs.month_label(m) for m in changes_made["mois"]],
                    "Ancien": [formatting.euro(v) for v in changes_made["ancien"]],
                    "Nouveau": [formatting.euro(v) for v in changes_made["nouveau"]],
                }
            ),
            hide_index=True,
            width="stretch",
            key="objectifs_historique",
            placeholder="",
        )
