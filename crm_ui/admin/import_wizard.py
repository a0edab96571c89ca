"""The Import / export screen's pieces: reading an upload, editing a mapping, showing a report.

Widgets only; every decision (suggestions, rules, the import itself) is crm_data's.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from crm_data import referentiels, users
from crm_data.files.reader import Detection, source_from_bytes
from crm_data.imports.mapped_report import MappedImportReport
from crm_data.mapping.model import (
    DATE_FORMATS,
    SANS_COMPTE_CHOICES,
    TARGET_FIELDS,
    TARGET_LABELS,
    VALUE_FIELDS,
    Mapping,
)
from crm_data.mapping.shipped import Companions, read_companions
from crm_data.mapping.store import list_mappings, load_mapping
from crm_data.mapping.suggest import suggest_mapping
from crm_data.model import Statut, TypeAffaire
from crm_data.store.db import Connection
from crm_data.text import count_fr, fold
from crm_ui.fields import plain

PREVIEW_ROWS = 10
MAX_VALUES = 60
SUGGESTED = "Suggestion d'après les en-têtes"
_IGNORE = "(ignorer)"
_AS_IS = "(garder tel quel)"


@dataclass(frozen=True)
class Scan:
    """What the screen knows of an upload: detection, header, first rows, distinct values."""

    digest: str
    detection: Detection
    header: list[str]
    preview: pd.DataFrame
    rows: int
    samples: dict[str, list[str]]


def scan_upload(data: bytes, name: str) -> Scan:
    """Read the upload once (kept in the session by content): raises SourceFileError."""
    digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    cached = st.session_state.get("import_scan")
    if isinstance(cached, Scan) and cached.digest == digest:
        return cached
    source = source_from_bytes(data, name)
    width = len(source.header)
    distinct: list[dict[str, None]] = [{} for _ in source.header]
    first: list[list[str]] = []
    count = 0
    for _, cells in source.rows:
        count += 1
        if len(first) < PREVIEW_ROWS:
            first.append((cells + [""] * width)[:width])
        for i, cell in enumerate(cells[:width]):
            if cell.strip() and len(distinct[i]) <= MAX_VALUES:
                distinct[i].setdefault(cell.strip())
    columns = [h or f"Colonne {i + 1}" for i, h in enumerate(source.header)]
    preview = pd.DataFrame(first, columns=pd.Index(columns))
    samples = {h: list(d) for h, d in zip(source.header, distinct, strict=True)}
    scan = Scan(digest, source.detection, source.header, preview, count, samples)
    st.session_state["import_scan"] = scan
    return scan


def mapping_choices(con: Connection, header: Sequence[str]) -> tuple[list[str], int]:
    """The mappings offered and the index of the one to propose: the named mapping that knows
    the most of the file's columns (at least half of its own), else the suggestion."""
    names = list_mappings(con)
    present = set(header)
    best, best_score = 0, 0.0
    for index, nom in enumerate(names, start=1):
        columns = set(load_mapping(con, nom).columns)
        known = len(columns & present)
        if columns and known * 2 >= len(columns) and known > best_score:
            best, best_score = index, known
    return [SUGGESTED, *names], best


def our_lists(con: Connection) -> dict[str, list[str]]:
    """Our values for each value-mapped field: étapes and outcomes, statuts, types, familles,
    codes clôture."""
    etapes = referentiels.names(con, "etape")
    outcomes = [s.value for s in Statut if s != Statut.EN_COURS]
    return {
        "etape": etapes + outcomes,
        "statut": [s.value for s in Statut],
        "type": [t.value for t in TypeAffaire],
        "famille_article": referentiels.names(con, "famille_article"),
        "code_cloture": referentiels.names(con, "code_cloture"),
    }


def start_mapping(con: Connection, choice: str, scan: Scan) -> Mapping:
    """The mapping to edit: the chosen one, or suggested from the headers and values."""
    if choice != SUGGESTED:
        return load_mapping(con, choice)
    samples = {h: set(v) for h, v in scan.samples.items()}
    return suggest_mapping("", scan.header, samples, our_lists(con))


def edit_columns(mapping: Mapping, header: Sequence[str], key: str) -> dict[str, str]:
    """One select box per source column; returns source column → field."""
    options = [_IGNORE, *TARGET_FIELDS]
    columns: dict[str, str] = {}
    grid = st.columns(3)
    for index, column in enumerate(header):
        if not column:
            continue
        current = mapping.columns.get(column, _IGNORE)
        with grid[index % 3]:
            target = st.selectbox(
                plain(column),
                options,
                index=options.index(current) if current in options else 0,
                format_func=lambda f: TARGET_LABELS.get(f, f),
                key=f"{key}_col_{index}",
            )
        if target != _IGNORE:
            columns[column] = str(target)
    return columns


def edit_values(
    mapping: Mapping, columns: dict[str, str], scan: Scan, lists: dict[str, list[str]], key: str
) -> dict[str, dict[str, str]]:
    """For each value-mapped field, one select box per distinct source value."""
    values: dict[str, dict[str, str]] = {}
    for column, target in columns.items():
        if target not in VALUE_FIELDS or not scan.samples.get(column):
            continue
        st.markdown(f"**{plain(column)}** → {TARGET_LABELS[target]}")
        options = [_AS_IS, *lists.get(target, [])]
        chosen: dict[str, str] = {}
        grid = st.columns(3)
        for index, value in enumerate(scan.samples[column][:MAX_VALUES]):
            current = mapping.values.get(target, {}).get(fold(value), _AS_IS)
            with grid[index % 3]:
                ours = st.selectbox(
                    plain(value),
                    options,
                    index=options.index(current) if current in options else 0,
                    key=f"{key}_val_{target}_{index}",
                )
            if ours != _AS_IS:
                chosen[fold(value)] = str(ours)
        extra = {k: v for k, v in mapping.values.get(target, {}).items() if k not in chosen}
        values[target] = {**extra, **chosen}
    return values


def edit_defaults(con: Connection, mapping: Mapping, key: str) -> Mapping:
    """The settings for what the source lacks; returns the mapping with them."""
    types = ["", *[t.value for t in TypeAffaire]]
    codes = ["", *referentiels.names(con, "code_cloture")]
    code = mapping.defaults.get("code_cloture", "")
    if code and code not in codes:
        codes.append(code)
    people = ["", *users.list_users(con, active_only=True)["nom"].astype(str)]
    left, right = st.columns(2)
    with left:
        default_type = st.selectbox(
            "Type par défaut",
            types,
            index=types.index(mapping.defaults.get("type", "")),
            key=f"{key}_type",
        )
        sans_compte = st.radio(
            "Lignes sans compte",
            list(SANS_COMPTE_CHOICES),
            index=list(SANS_COMPTE_CHOICES).index(mapping.sans_compte),
            format_func=SANS_COMPTE_CHOICES.__getitem__,
            key=f"{key}_sans_compte",
        )
        compte = st.text_input(
            "Compte par défaut", mapping.defaults.get("compte_id", ""), key=f"{key}_compte"
        )
        gestion = mapping.defaults.get("gestion_par", "")
        gestion_par = st.selectbox(
            "Gestion par, quand la source ne le dit pas (vide : vous)",
            people,
            index=people.index(gestion) if gestion in people else 0,
            key=f"{key}_gestion",
        )
    with right:
        code_cloture = st.selectbox(
            "Code clôture des pertes sans motif", codes, index=codes.index(code), key=f"{key}_code"
        )
        format_date = st.radio(
            "Dates de la source",
            list(DATE_FORMATS),
            index=list(DATE_FORMATS).index(mapping.format_date),
            format_func=DATE_FORMATS.__getitem__,
            key=f"{key}_dates",
        )
        creer_utilisateurs = st.checkbox(
            "Créer les commerciaux inconnus",
            mapping.creer_utilisateurs,
            key=f"{key}_users",
        )
        creer_familles = st.checkbox(
            "Créer les familles d'article inconnues", mapping.creer_familles, key=f"{key}_fam"
        )
    chosen = {
        "type": default_type,
        "compte_id": compte.strip(),
        "gestion_par": gestion_par,
        "code_cloture": code_cloture,
    }
    defaults = {k: v for k, v in mapping.defaults.items() if k not in chosen}
    defaults |= {k: str(v) for k, v in chosen.items() if v}
    return replace(
        mapping,
        defaults=defaults,
        sans_compte=str(sans_compte),
        format_date=str(format_date),
        creer_utilisateurs=creer_utilisateurs,
        creer_familles=creer_familles,
    )


def companions_from_uploads(mapping: Mapping, files: Sequence[tuple[str, bytes]]) -> Companions:
    """Read the companion files uploaded beside the export (accounts, teams, history...)."""
    if not files:
        return Companions()
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files:
            (Path(folder) / Path(name).name).write_bytes(data)
        return read_companions(mapping, Path(folder))


def show_report(report: MappedImportReport) -> None:
    """Counts as metrics, the French summary, and every rejected row, downloadable."""
    a, b, c, d, e = st.columns(5)
    a.metric("Affaires à créer" if not report.written else "Affaires créées", report.created)
    b.metric("Mises à jour", report.updated)
    c.metric("Nouveaux comptes", len(report.comptes_crees))
    d.metric("Nouveaux contacts", len(report.contacts_crees))
    e.metric("Nouveaux utilisateurs", len(report.users_crees))
    for line in report.summary():
        st.markdown(f"- {plain(line)}")
    if not report.errors:
        return
    frame = rejected_frame(report)
    st.error(f"{count_fr(len(report.invalid_lines), 'ligne rejetée', 'lignes rejetées')} :")
    st.dataframe(frame, hide_index=True, key="import_rejected", placeholder="")
    st.download_button(
        "Télécharger les lignes rejetées (CSV)",
        rejected_csv(frame),
        file_name="lignes_rejetees.csv",
        mime="text/csv",
        key="import_rejected_download",
    )


def rejected_frame(report: MappedImportReport) -> pd.DataFrame:
    """Line, column and French reason of every problem, in line order."""
    errors = sorted(report.errors, key=lambda e: e.line)
    return pd.DataFrame(
        {
            "Ligne": [e.line for e in errors],
            "Colonne": [e.column for e in errors],
            "Motif": [e.message for e in errors],
        }
    )


def rejected_csv(frame: pd.DataFrame) -> bytes:
    """The rejected rows as CSV for French Excel (UTF-8 with BOM, `;`)."""
    return frame.to_csv(sep=";", index=False).encode("utf-8-sig")
