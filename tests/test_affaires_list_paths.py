"""The affaires list cut from the affaire table before its names are joined gives the same pages
as the plain join of everything, for every sort key, direction and page; the search still
matches compte and contact names."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from crm_data.affaires_list import SORTABLE, list_affaires, list_totals
from crm_data.filters import REPORTS_BY_AFFAIRE, Filters
from crm_data.model import Role
from crm_data.store import db
from tests import engines
from tests.factories import admin, make_affaire, make_compte, make_contact, make_user, new_base

REFERENCE = """
    SELECT a.id
    FROM affaire AS a
    JOIN compte AS c ON c.id = a.compte_id
    LEFT JOIN contact AS ct ON ct.id = a.contact_id
    JOIN utilisateur AS u ON u.id = a.gestion_par
    LEFT JOIN etape AS e ON e.nom = a.etape
    LEFT JOIN {reports} AS r ON r.affaire_id = a.id
    ORDER BY {order} {direction} NULLS LAST, a.id {direction}
    LIMIT 7
    OFFSET 7
"""


@pytest.fixture(scope="module", params=engines.ENGINES)
def con(request: pytest.FixtureRequest) -> Iterator[db.Connection]:
    target = engines.module_target(request.param)
    con = db.open_base(target)
    rng = random.Random(3)
    sellers = [admin(con), make_user(con, Role.COMMERCIAL, nom="Zoé"), make_user(con, nom="Anne")]
    comptes = [make_compte(con, f"Compte {c}") for c in "QWERTY"]
    for n in range(24):
        statut = rng.choice(["En cours", "Gagnée", "Perdue"])
        make_affaire(
            con,
            sellers[0],
            nom=f"Affaire {rng.randint(1, 9)}",
            compte_id=rng.choice(comptes),
            gestion_par=rng.choice(sellers).id,
            etape=rng.choice(["Qualification", "Négociation", "Analyse des besoins"]),
            ca_potentiel=rng.choice([None, "100", "2500.50", "900"]),
            reussite=rng.choice([None, 10, 50]),
            date_fin=rng.choice([None, "2030-01-01", "2031-06-30"]),
            statut=statut,
            code_cloture="Prix" if statut == "Perdue" else None,
            total_ht="800" if statut == "Gagnée" else None,
            famille_article=rng.choice([None, "Logiciel", "Formation"]),
            type=rng.choice(["Nouveau", "Récurrent"]),
        )
        assert n >= 0
    yield con
    con.close()
    engines.drop_target(target)


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", sorted(SORTABLE))
def test_page_matches_the_plain_join(con: db.Connection, sort: str, descending: bool) -> None:
    direction = "DESC" if descending else "ASC"
    order = SORTABLE[sort]
    with db.read(con) as cur:
        expected = [
            int(r[0])
            for r in cur.execute(
                REFERENCE.format(order=order, direction=direction, reports=REPORTS_BY_AFFAIRE)
            ).fetchall()
        ]
    frame = list_affaires(
        con, admin(con), Filters(), sort=sort, descending=descending, limit=7, offset=7
    )
    assert frame["id"].tolist() == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [("dupont sa", {"compte"}), ("JULIE mart", {"contact"}), ("toiture", {"nom"}), ("%", set())],
)
@pytest.mark.usefixtures("engine")
def test_search_matches_name_compte_or_contact(search: str, expected: set[str]) -> None:
    con = new_base()
    dupont = make_compte(con, "Dupont SA")
    other = make_compte(con, "Autre")
    julie = make_contact(con, other, "Martin", prenom="Julie")
    ids = {
        "compte": make_affaire(con, nom="Parc", compte_id=dupont),
        "contact": make_affaire(con, nom="Serveurs", compte_id=other, contact_id=julie),
        "nom": make_affaire(con, nom="Réfection toiture", compte_id=other),
    }
    filters = Filters(search=search)
    found = set(list_affaires(con, admin(con), filters)["id"].tolist())
    assert found == {ids[k] for k in expected}
    assert list_totals(con, admin(con), filters).nombre == len(expected)


@pytest.mark.usefixtures("engine")
def test_page_rows_carry_their_compte_contact_and_user_names() -> None:
    con = new_base()
    seller = make_user(con, Role.COMMERCIAL, nom="Zoé Vendeuse")
    acme = make_compte(con, "Acme")
    julie = make_contact(con, acme, "Martin", prenom="Julie")
    with_contact = make_affaire(con, compte_id=acme, contact_id=julie, gestion_par=seller.id)
    without = make_affaire(con, compte_id=acme)
    frame = list_affaires(con, admin(con), Filters(), sort="id", descending=False)
    rows = {int(r.id): (r.compte, r.contact, r.gestion_par) for r in frame.itertuples()}
    assert rows[with_contact] == ("Acme", "Julie Martin", "Zoé Vendeuse")
    assert rows[without][0] == "Acme"
    assert rows[without][1] != rows[without][1]  # NaN: no contact
    assert rows[without][2] == "Administrateur local"
