"""The record's tabs show an empty cell as blank, never "None" (an English word on a French
screen): a document without a file, a projet without an end date, an action without échéance."""

from __future__ import annotations

from pathlib import Path

from crm_data import actions, documents, projets
from crm_data.store import db
from tests.factories import admin, make_affaire
from tests.pages import open_tab, run_app


def _frames(path: Path) -> list[object]:
    con = db.shared_connection(path)
    aid = make_affaire(con)
    me = admin(con)
    documents.create_document(
        con,
        me,
        aid,
        {
            "type": "Devis",
            "numero": "D-1",
            "date_document": "2026-01-05",
            "montant_ht": "10",
            "statut": "Envoyé",
        },
    )
    projets.create_projet(con, me, aid, {"nom": "Installation", "date_debut": "2026-01-05"})
    actions.create_action(con, me, aid, {"type": "Mail", "objet": "Relance"})
    at = run_app(affaire=str(aid))
    frames = []
    for tab in ("Documents", "Projet", "Action", "Historique"):
        at = open_tab(at, aid, tab)
        assert not at.exception
        frames.extend(d.value for d in at.dataframe)
    return frames


def test_no_tab_shows_none_in_an_empty_cell(_isolated_base: Path) -> None:
    for frame in _frames(_isolated_base):
        data = getattr(frame, "data", frame)
        cells = data.astype(str).to_numpy().ravel().tolist()
        assert not {"None", "NaT", "nan", "<NA>"} & set(cells), data


def test_a_document_without_file_has_a_blank_file_cell(_isolated_base: Path) -> None:
    frames = _frames(_isolated_base)
    documents_frame = next(f for f in frames if "fichier_nom" in getattr(f, "columns", []))
    assert documents_frame["fichier_nom"].tolist() == [""]
