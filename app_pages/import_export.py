"""Import / export (admin): another CRM's file through a mapping, and exports of the base."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from crm_data.affaires_list import affaire_ids
from crm_data.files.export import export_affaires
from crm_data.files.export_tables import comptes_frame, contacts_frame, export_table
from crm_data.files.reader import source_from_bytes
from crm_data.imports.mapped import import_mapped
from crm_data.mapping.store import save_mapping
from crm_data.model import CrmError, ValidationError
from crm_data.text import count_fr
from crm_data.users import user_labels
from crm_ui import session
from crm_ui.access import Area, require
from crm_ui.admin import import_wizard as wizard
from crm_ui.fields import plain
from crm_ui.navigation import list_filters

EXPORTS = {
    "Toutes les affaires": "affaires",
    "La liste d'affaires filtrée": "affaires_filtrees",
    "Les comptes": "comptes",
    "Les contacts": "contacts",
}

con = session.connection()
actor = session.current_actor()
require(actor, Area.IMPORT_EXPORT)
st.title("Import / export")

tab_import, tab_export = st.tabs(["Importer", "Exporter"])

# The export tab is drawn first: the import tab stops the run while it waits for a file.
with tab_export:
    what = st.radio("Que voulez-vous exporter ?", list(EXPORTS), key="export_what")
    suffix = st.radio("Format", [".csv", ".xlsx"], horizontal=True, key="export_format")
    filters = list_filters()
    if EXPORTS[what] == "affaires_filtrees":
        shown = filters.describe(user_labels(con))
        st.caption(
            "Filtres de la liste : "
            + (", ".join(f"{k} = {v}" for k, v in shown.items()) if shown else "aucun")
        )
    if st.button("Préparer l'export", key="export_prepare", icon=":material/download:"):
        bar = st.progress(0.0, text="Export…")
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / f"export{suffix}"
            try:
                if EXPORTS[what] == "comptes":
                    count = export_table(comptes_frame(con), target, "Comptes")
                elif EXPORTS[what] == "contacts":
                    count = export_table(contacts_frame(con), target, "Contacts")
                else:
                    filtered = EXPORTS[what] == "affaires_filtrees"
                    ids = affaire_ids(con, actor, filters) if filtered else None
                    count = export_affaires(
                        con, actor, target, ids, progress=lambda f, m: bar.progress(f, text=m)
                    )
            except CrmError as exc:
                st.error(plain(str(exc)))
                st.stop()
            st.session_state["export_file"] = (target.read_bytes(), EXPORTS[what] + suffix, count)
        bar.empty()
    prepared = st.session_state.get("export_file")
    if prepared is not None:
        content, file_name, count = prepared
        st.download_button(
            f"Télécharger {file_name} ({count_fr(count, 'ligne')})",
            content,
            file_name=file_name,
            key="export_download",
        )

with tab_import:
    upload = st.file_uploader(
        "Fichier d'un autre CRM ou d'un tableur (CSV ou XLSX, 50 Mo au plus)",
        type=["csv", "xlsx"],
        key="import_file",
    )
    extras = st.file_uploader(
        "Fichiers compagnons, facultatifs (accounts.csv, sales_teams.csv, products.csv, "
        "Account.csv, OpportunityHistory.csv)",
        type=["csv", "xlsx"],
        accept_multiple_files=True,
        key="import_companions",
    )
    if upload is None:
        st.info("Déposez un fichier pour voir son contenu et choisir comment le lire.")
        st.stop()
    data = upload.getvalue()
    try:
        scan = wizard.scan_upload(data, upload.name)
    except CrmError as exc:
        st.error(plain(str(exc)))
        st.stop()
    st.caption(f"{scan.detection.describe()} · {count_fr(scan.rows, 'ligne')}")
    st.dataframe(scan.preview, hide_index=True, key="import_preview", placeholder="")

    names, proposed = wizard.mapping_choices(con, scan.header)
    choice = st.selectbox("Mapping", names, index=proposed, key=f"import_choice_{scan.digest}")
    key = f"imp_{scan.digest[:8]}_{names.index(choice)}"
    mapping = wizard.start_mapping(con, choice, scan)
    with st.expander("Colonnes", expanded=choice == wizard.SUGGESTED):
        columns = wizard.edit_columns(mapping, scan.header, key)
    with st.expander("Valeurs"):
        values = wizard.edit_values(mapping, columns, scan, wizard.our_lists(con), key)
    with st.expander("Ce que la source ne dit pas"):
        mapping = wizard.edit_defaults(con, mapping, key)
    mapping.columns = columns
    mapping.values = {**mapping.values, **values}
    companions = wizard.companions_from_uploads(
        mapping, [(f.name, f.getvalue()) for f in extras or []]
    )
    if companions.files:
        st.caption("Fichiers compagnons lus : " + ", ".join(companions.files))

    try:
        mapping.check()
    except ValidationError as exc:
        for _, message in exc.errors:
            st.error(plain(message))
        st.stop()

    save_left, save_right = st.columns([3, 1], vertical_alignment="bottom")
    nom = save_left.text_input(
        "Nom du mapping", value="" if choice == wizard.SUGGESTED else choice, key=f"{key}_nom"
    )
    if save_right.button("Enregistrer le mapping", key="import_save"):
        try:
            mapping.nom = nom
            save_mapping(con, actor, mapping)
            st.success(f"Mapping « {plain(mapping.nom)} » enregistré.")
        except CrmError as exc:
            st.error(plain(str(exc)))

    skip_invalid = st.checkbox(
        "Importer les lignes valides même si d'autres sont rejetées", key="import_skip"
    )
    dry_col, run_col = st.columns(2)
    dry = dry_col.button("Essai à blanc", key="import_dry_run", icon=":material/science:")
    run = run_col.button("Importer", key="import_run", type="primary", icon=":material/upload:")
    if dry or run:
        bar = st.progress(0.0, text="Lecture du fichier…")
        try:
            report = import_mapped(
                con,
                actor,
                mapping,
                source_from_bytes(data, upload.name),
                companions=companions,
                dry_run=dry,
                skip_invalid=skip_invalid,
                progress=lambda f, m: bar.progress(f, text=m),
                total_rows=scan.rows,
            )
        except CrmError as exc:
            bar.empty()
            st.error(plain(str(exc)))
            st.stop()
        bar.empty()
        st.session_state["import_report"] = report
    report = st.session_state.get("import_report")
    if report is not None:
        if report.written:
            st.success("Import terminé : tout a été enregistré.", icon="✅")
        elif report.dry_run:
            st.info("Essai à blanc : rien n'a été enregistré.", icon="🧪")
        else:
            st.error("Import refusé : rien n'a été enregistré.", icon="⛔")
        wizard.show_report(report)
