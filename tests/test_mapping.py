"""Mappings: JSON round trip, saving by name, and apply's rules on small hand-made rows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_data.mapping.model import ApplyStats, EtapeRef, MappedRow, Mapping, apply, convert_date
from crm_data.mapping.store import delete_mapping, list_mappings, load_mapping, save_mapping
from crm_data.model import NotFoundError, PermissionDeniedError, Role, ValidationError
from tests.factories import admin, make_user, new_base

ETAPES = [
    EtapeRef("Qualification", 20),
    EtapeRef("Analyse des besoins", 40),
    EtapeRef("Proposition commerciale", 60),
    EtapeRef("Négociation", 80),
]
HEADER = ["Id", "Stage", "Probability", "Account", "Start", "Close", "Amount", "Engaged"]


def stage_mapping(**changes: object) -> Mapping:
    mapping = Mapping(
        nom="test",
        columns={
            "Id": "source_id",
            "Stage": "etape",
            "Probability": "reussite",
            "Account": "compte_id",
            "Start": "date_debut",
            "Close": "date_fin",
            "Amount": "ca_potentiel",
        },
        values={
            "etape": {
                "early": "Qualification",
                "middle": "Proposition commerciale",
                "won": "Gagnée",
                "lost": "Perdue",
            }
        },
        defaults={"compte_id": "Sans compte", "code_cloture": "Prix"},
        reached={"Engaged": "middle"},
    )
    for key, value in changes.items():
        setattr(mapping, key, value)
    return mapping


def one(mapping: Mapping, cells: list[str], **kwargs: object) -> MappedRow:
    rows = list(apply(mapping, HEADER, [(2, cells)], ETAPES, **kwargs))  # type: ignore[arg-type]
    assert len(rows) == 1
    return rows[0]


def test_json_round_trip_keeps_every_setting() -> None:
    mapping = stage_mapping(creer_utilisateurs=True, format_date="us")
    assert Mapping.from_json("test", mapping.to_json()) == mapping


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ({"A": "inconnu"}, "Champ inconnu"),
        ({"A": "nom", "B": "nom"}, "gardez-en une seule"),
    ],
)
def test_check_rejects_bad_columns(columns: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping("x", columns=columns).check()
    assert problem in str(caught.value)


def test_saved_mapping_is_loaded_by_name_and_listed() -> None:
    con = new_base()
    save_mapping(con, admin(con), stage_mapping(nom="  Mon CRM "))
    assert load_mapping(con, "Mon CRM") == stage_mapping(nom="Mon CRM")
    assert list_mappings(con) == ["maven", "salesforce", "Mon CRM"]


def test_saving_again_replaces_the_mapping() -> None:
    con = new_base()
    save_mapping(con, admin(con), stage_mapping())
    save_mapping(con, admin(con), stage_mapping(format_date="us"))
    assert load_mapping(con, "test").format_date == "us"


def test_shipped_mappings_load_without_saving() -> None:
    con = new_base()
    assert load_mapping(con, "maven").columns["deal_stage"] == "etape"
    assert load_mapping(con, "Salesforce").columns["StageName"] == "etape"


def test_unknown_mapping_names_the_known_ones() -> None:
    con = new_base()
    with pytest.raises(NotFoundError, match="maven, salesforce"):
        load_mapping(con, "hubspot")


def test_only_an_admin_saves_or_deletes_a_mapping() -> None:
    con = new_base()
    commercial = make_user(con, Role.COMMERCIAL)
    with pytest.raises(PermissionDeniedError):
        save_mapping(con, commercial, stage_mapping())
    save_mapping(con, admin(con), stage_mapping())
    with pytest.raises(PermissionDeniedError):
        delete_mapping(con, commercial, "test")
    delete_mapping(con, admin(con), "test")
    assert list_mappings(con) == ["maven", "salesforce"]


def test_open_stage_maps_to_our_etape() -> None:
    row = one(stage_mapping(), ["1", "Middle", "50", "Acme", "2024-01-01", "", "10", ""])
    assert row.values["etape"] == "Proposition commerciale"
    assert "statut" not in row.values


@pytest.mark.parametrize(
    ("cells", "history", "etape"),
    [
        (["1", "won", "100", "A", "", "", "", "2024-02-01"], {}, "Proposition commerciale"),
        (["1", "won", "70", "A", "", "", "", ""], {}, "Proposition commerciale"),
        (["1", "won", "100", "A", "", "", "", ""], {"1": ["early", "won"]}, "Qualification"),
        (["1", "lost", "0", "A", "", "", "", ""], {}, "Qualification"),
    ],
)
def test_outcome_stage_sets_statut_and_keeps_the_last_open_etape_inferred(
    cells: list[str], history: dict[str, list[str]], etape: str
) -> None:
    row = one(stage_mapping(), cells, stage_history=history)
    assert row.values["statut"] in ("Gagnée", "Perdue")
    assert row.values["etape"] == etape


def test_won_row_gets_signature_date_and_total_from_close_date_and_amount() -> None:
    row = one(stage_mapping(), ["1", "won", "100", "A", "2024-01-01", "2024-03-05", "900", ""])
    assert row.values["date_signature"] == "2024-03-05"
    assert row.values["date_cloture"] == "2024-03-05"
    assert row.values["total_ht"] == "900"


def test_lost_row_gets_default_code_and_closing_date_but_no_total() -> None:
    mapping = stage_mapping(columns={**stage_mapping().columns, "Amount": "total_ht"})
    row = one(mapping, ["1", "lost", "0", "A", "2024-01-01", "2024-03-05", "0", ""])
    assert row.values["code_cloture"] == "Prix"
    assert row.values["date_cloture"] == "2024-03-05"
    assert "total_ht" not in row.values


def test_open_row_never_gets_the_default_code_cloture() -> None:
    row = one(stage_mapping(), ["1", "early", "10", "A", "", "", "", ""])
    assert "code_cloture" not in row.values


@pytest.mark.parametrize(
    ("sans_compte", "expected"),
    [("defaut", "Sans compte"), ("rejeter", None)],
)
def test_row_without_compte_follows_the_mapping_choice(
    sans_compte: str, expected: str | None
) -> None:
    row = one(stage_mapping(sans_compte=sans_compte), ["1", "early", "", "", "", "", "", ""])
    assert row.values.get("compte_id") == expected


def test_rows_without_compte_are_skipped_and_counted_when_asked() -> None:
    stats = ApplyStats()
    rows = list(
        apply(
            stage_mapping(sans_compte="ignorer"),
            HEADER,
            [(2, ["1", "early", "", "", "", "", "", ""]), (3, ["2", "early", "", "B"])],
            ETAPES,
            stats=stats,
        )
    )
    assert [r.line for r in rows] == [3]
    assert stats.skipped_lines == [2]


def test_start_after_end_is_moved_back_and_counted() -> None:
    stats = ApplyStats()
    cells = ["1", "early", "", "A", "2024-07-11T21:22:07.000+0000", "2024-03-18", "", ""]
    (row,) = apply(stage_mapping(), HEADER, [(2, cells)], ETAPES, stats=stats)
    assert row.values["date_debut"] == "2024-03-18"
    assert stats.dates_corrigees == 1


@pytest.mark.parametrize(
    ("text", "format_date", "iso"),
    [
        ("02/03/24", "us", "2024-02-03"),
        ("12/31/2024", "us", "2024-12-31"),
        ("31/12/2024", "auto", "2024-12-31"),
        ("2024-07-11T21:22:07.000+0000", "us", "2024-07-11"),
        ("02/30/24", "us", "02/30/24"),
        ("demain", "auto", "demain"),
    ],
)
def test_convert_date(text: str, format_date: str, iso: str) -> None:
    assert convert_date(text, format_date) == iso


@given(st.lists(st.text(max_size=12), min_size=8, max_size=8))
def test_apply_never_crashes_on_arbitrary_cells(cells: list[str]) -> None:
    rows = list(apply(stage_mapping(), HEADER, [(2, cells)], ETAPES))
    assert all(isinstance(v, str) for r in rows for v in r.values.values())
