"""Hostile input through crm_data: any text (control characters, lone surrogates, SQL, LIKE
wildcards) is stored as plain text and found as plain text, or refused in French."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data import actions, affaires, comptes, contacts, validation
from crm_data.affaires_list import list_affaires
from crm_data.filters import Filters
from crm_data.model import AFFAIRE_FIELDS, ValidationError
from crm_data.store import db
from crm_data.text import storable
from tests.factories import admin, make_affaire, make_compte, make_contact, new_base

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHARACTER, max_size=300)

HOSTILE = [
    "'; DROP TABLE affaire; --",
    "Robert'); DELETE FROM compte WHERE ('1'='1",
    '" OR 1=1 --',
    "$search",
    "?",
    "%",
    "_",
    "\\",
    "100 % garanti_vrai",
    "<script>alert('x')</script>",
    '=HYPERLINK("http://exemple.invalid")',
    "nul\x00octet",
    "retour\r\nligne",
    "🙂 émoji ﷽",
    "\u202egnp.exe",
]

pytestmark = pytest.mark.usefixtures("engine")

# Hypothesis runs every example of a test on the test's one base: the checks compare counts
# before and after each example, so what earlier examples saved does not matter.
ONE_BASE = HealthCheck.function_scoped_fixture


@pytest.fixture
def con(engine: str) -> db.Connection:
    return new_base()


@pytest.fixture
def compte(con: db.Connection) -> int:
    return make_compte(con, "Compte hostile")


def _counts(con: db.Connection) -> tuple[int, ...]:
    with db.read(con) as cur:
        row = cur.execute(
            """
            SELECT (SELECT count(*) FROM affaire),
                   (SELECT count(*) FROM affaire_version),
                   (SELECT count(*) FROM compte)
            """
        ).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, ONE_BASE])
@given(nom=ANY_TEXT, notes=ANY_TEXT)
def test_any_text_is_stored_as_given_or_refused_in_french(
    con: db.Connection, compte: int, nom: str, notes: str
) -> None:
    before = _counts(con)
    values = {"nom": nom, "notes": notes, "compte_id": compte}
    try:
        affaire_id = affaires.create_affaire(con, admin(con), values)
    except ValidationError as exc:
        assert [f for f, _ in exc.errors] == ["nom"]
        assert "nom" in exc.errors[0][1] or "caractères" in exc.errors[0][1]
        assert _counts(con) == before
        return
    saved = affaires.get_affaire(con, admin(con), affaire_id)
    assert saved.nom == storable(nom).strip()
    assert saved.notes == (storable(notes) if notes.strip() else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[ONE_BASE])
@given(st.dictionaries(st.sampled_from(AFFAIRE_FIELDS), ANY_TEXT, max_size=18))
def test_validate_answers_any_text_in_french(con: db.Connection, values: dict[str, Any]) -> None:
    with db.read(con) as cur:
        _, errors = validation.validate(values, validation.load_lookups(cur), admin(con))
    for field, message in errors:
        assert field in AFFAIRE_FIELDS
        assert message[:1].isupper() or message.startswith("«")
        assert not {"error", "invalid", "exception"} & set(message.lower().split())


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_found_as_plain_text(con: db.Connection, text: str) -> None:
    compte = make_compte(con, f"Compte {text}")
    make_contact(con, compte, f"Contact {text}")
    affaire = make_affaire(con, compte_id=compte, nom=f"Affaire {text}", notes=text)
    make_affaire(con, nom="Témoin sans rien de spécial")
    actions.create_action(con, admin(con), affaire, {"type": "Mail", "objet": text})

    # A NUL (which PostgreSQL cannot store) is kept as U+FFFD on both engines, as a lone
    # surrogate is; every other character as typed.
    assert affaires.get_affaire(con, admin(con), affaire).notes == storable(text)
    found = list_affaires(con, admin(con), Filters(search=text))
    assert found["id"].tolist() == [affaire]
    assert comptes.search_comptes(con, text)["id"].tolist() == [compte]
    assert comptes.list_comptes(con, admin(con), search=text)[1] == 1
    assert contacts.list_contacts(con, search=text)[1] == 1
    assert actions.actions_of_affaire(con, admin(con), affaire)["objet"].tolist() == [
        storable(text)
    ]
    assert _counts(con)[0] == 2


@pytest.mark.parametrize(
    ("stored", "search"),
    [("Remise 500 €", "50%"), ("abc", "a_c"), ("a\\b", "a\\\\b"), ("Total", "%")],
)
def test_wildcards_typed_in_a_search_match_nothing_else(
    con: db.Connection, stored: str, search: str
) -> None:
    compte = make_compte(con, stored)
    make_contact(con, compte, stored)
    make_affaire(con, compte_id=compte, nom=stored)
    assert list_affaires(con, admin(con), Filters(search=search)).empty
    assert comptes.search_comptes(con, search).empty
    assert contacts.list_contacts(con, search=search)[1] == 0


def test_lone_surrogate_is_stored_as_replacement_character(con: db.Connection) -> None:
    compte = make_compte(con, "Client \ud800 brisé")
    affaire = make_affaire(con, compte_id=compte, nom="Nom \udfff", notes="\ud83d")
    saved = affaires.get_affaire(con, admin(con), affaire)
    assert (saved.nom, saved.notes) == ("Nom \ufffd", "\ufffd")
    assert comptes.get_compte(con, compte).nom == "Client \ufffd brisé"
    assert list_affaires(con, admin(con), Filters(search="\udfff"))["id"].tolist() == [affaire]
