"""Each analysis on a random base of 50,000 affaires against an independent pandas computation
from the raw rows (one base for the module: it is only read)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from crm_data.analyses import registry as analyses
from crm_data.analyses.registry import Filters
from crm_data.model import Actor, Role
from crm_data.store.db import Connection
from crm_data.users import get_actor, local_admin
from tests.random_base import ETAPES, TYPES, random_base

pytestmark = pytest.mark.usefixtures("engine")

D = dt.date.fromisoformat
CASES = {
    "admin_2025": ("admin", Filters(du=D("2025-01-01"), au=D("2025-12-31"), today=D("2025-09-15"))),
    "commercial_filtered": (
        "com2",
        Filters(
            du=D("2024-03-15"),
            au=D("2025-02-10"),
            types=("Nouveau", "Récurrent"),
            familles=("Logiciel", "Prestation", "Formation"),
            today=D("2025-01-20"),
        ),
    ),
    "admin_one_etape": (
        "admin",
        Filters(du=D("2024-06-01"), au=D("2025-05-31"), etapes=("Proposition commerciale",)),
    ),
    "manager_etapes": (
        "admin",
        Filters(
            du=D("2024-01-01"),
            au=D("2026-06-30"),
            etapes=("Analyse des besoins", "Négociation"),
            gestion_par=(3, 5),
            today=D("2024-12-31"),
        ),
    ),
}


@pytest.fixture(scope="module")
def base() -> Iterator[tuple[Connection, dict[str, pd.DataFrame]]]:
    con = random_base(50_000)
    # Objectifs for A14: most commerciaux and months of 2024-2026, some left without one.
    con.execute(
        """
        INSERT INTO objectif (utilisateur_id, mois, montant)
        SELECT u.id, m.mois, CAST(hash(u.id, m.mois) % 20000000 AS DECIMAL(14, 2)) / 100
        FROM utilisateur AS u,
             (SELECT CAST(unnest(range(DATE '2024-01-01', DATE '2027-01-01', INTERVAL 1 MONTH))
                     AS DATE) AS mois) AS m
        WHERE u.role = 'commercial'
          AND hash(u.id, m.mois, 'objectif') % 10 < 7
        """
    )
    tables = {
        t: con.execute(f"SELECT * FROM {t}").df()
        for t in (
            "affaire",
            "affaire_historique",
            "affaire_version",
            "action",
            "utilisateur",
            "code_cloture",
            "objectif",
            "etape",
        )
    }
    yield con, tables
    con.close()


def _actor(con: Connection, login: str) -> Actor:
    return local_admin(con) if login == "admin" else get_actor(con, login)


def _scope(aff: pd.DataFrame, actor: Actor, f: Filters, *, etape: bool = True) -> pd.DataFrame:
    keep = pd.Series(True, index=aff.index)
    if actor.role == Role.COMMERCIAL:
        keep &= aff["gestion_par"] == actor.id
    for column, values in (
        ("gestion_par", f.gestion_par),
        ("type", f.types),
        ("famille_article", f.familles),
        ("etape", f.etapes if etape else ()),
    ):
        if values:
            keep &= aff[column].isin(values)
    return aff[keep]


def _closed_in_period(aff: pd.DataFrame, f: Filters) -> pd.DataFrame:
    du, au = (pd.Timestamp(d) for d in f.period())
    closing = aff["date_signature"].where(aff["statut"] == "Gagnée", aff["date_cloture"])
    return aff[closing.between(du, au) & (aff["statut"] != "En cours")]


def _weighted(aff: pd.DataFrame) -> pd.Series:
    return aff["ca_potentiel"].fillna(0) * aff["reussite"].astype("float64").fillna(0) / 100


def _same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    actual = actual.reset_index(drop=True)
    expected = expected.reset_index(drop=True)[list(actual.columns)]
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, atol=0.011, rtol=1e-9)


def _expected_pipe(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    open_ = aff[aff["statut"] == "En cours"].assign(pond=_weighted)
    grouped = open_.groupby("etape").agg(
        nombre=("id", "size"),
        ca_potentiel=("ca_potentiel", "sum"),
        ca_pondere=("pond", "sum"),
        ca_attendu=("ca_attendu", "sum"),
    )
    rows = [e for e in ETAPES if not f.etapes or e in f.etapes]
    return grouped.reindex(rows, fill_value=0).rename_axis("etape").reset_index()


def _expected_forecast(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    open_ = aff[aff["statut"] == "En cours"].assign(pond=_weighted)
    mois = open_["date_fin"].dt.strftime("%Y-%m")
    mois = mois.where(open_["date_fin"] >= pd.Timestamp(f.day()), "En retard")
    open_ = open_.assign(mois=mois.where(open_["date_fin"].notna(), "Sans date"))
    grouped = (
        open_.groupby("mois")
        .agg(
            nombre=("id", "size"),
            bas=("ca_attendu", "sum"),
            pondere=("pond", "sum"),
            haut=("ca_potentiel", "sum"),
        )
        .reset_index()
    )
    key = grouped["mois"].replace({"En retard": "0", "Sans date": "9"})
    return grouped.iloc[key.argsort(kind="stable")]


def _expected_results(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _closed_in_period(_scope(t["affaire"], actor, f), f)
    won = aff[aff["statut"] == "Gagnée"]
    out = pd.DataFrame(index=pd.Index(list(f.types) or TYPES, name="type"))
    for name, statut in (
        ("gagnees", "Gagnée"),
        ("perdues", "Perdue"),
        ("abandonnees", "Abandonnée"),
    ):
        out[name] = aff[aff["statut"] == statut].groupby("type").size()
    out = out.fillna(0)
    out["ca_signe"] = won.groupby("type")["total_ht"].sum()
    out["ca_signe"] = out["ca_signe"].fillna(0)
    out["taux_reussite"] = out["gagnees"] / (out["gagnees"] + out["perdues"])
    out["panier_moyen"] = out["ca_signe"] / out["gagnees"]
    days = (won["date_signature"] - won["date_debut"]).dt.days
    out["cycle_moyen_jours"] = days.groupby(won["type"]).mean().round(1)
    return out.reset_index()


def _expected_losses(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _closed_in_period(_scope(t["affaire"], actor, f), f)
    lost = aff[aff["statut"] == "Perdue"]
    out = (
        lost.groupby("code_cloture")
        .agg(nombre=("id", "size"), ca_potentiel=("ca_potentiel", "sum"))
        .reset_index()
    )
    out["part"] = out["nombre"] / out["nombre"].sum()
    categories = t["code_cloture"].set_index("nom")["categorie"]
    out["categorie"] = out["code_cloture"].map(categories)
    return out.sort_values(["nombre", "code_cloture"], ascending=[False, True])


def _expected_monthly(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    won = aff[aff["statut"] == "Gagnée"]
    du, au = f.period()
    months = pd.period_range(du, au, freq="M")
    sig = won["date_signature"]
    now = won[sig.between(pd.Timestamp(du), pd.Timestamp(au))]
    then_du, then_au = (pd.Timestamp(d) - pd.DateOffset(years=1) for d in (du, au))
    then = won[sig.between(then_du, then_au)]
    out = pd.DataFrame(index=months.strftime("%Y-%m"))
    out["ca_signe"] = now.groupby(now["date_signature"].dt.strftime("%Y-%m"))["total_ht"].sum()
    out["nombre"] = now.groupby(now["date_signature"].dt.strftime("%Y-%m")).size()
    shifted = (then["date_signature"] + pd.DateOffset(years=1)).dt.strftime("%Y-%m")
    out["ca_signe_annee_precedente"] = then.groupby(shifted)["total_ht"].sum()
    return out.fillna(0).rename_axis("mois").reset_index()


def _expected_objective(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _closed_in_period(_scope(t["affaire"], actor, f), f)
    won = aff[aff["statut"] == "Gagnée"]
    signe, attendu, potentiel = (won[c].sum() for c in ("total_ht", "ca_attendu", "ca_potentiel"))
    return pd.DataFrame(
        [
            {
                "ca_signe": signe,
                "ca_attendu": attendu,
                "ca_potentiel": potentiel,
                "realisation": signe / attendu if attendu else np.nan,
                "remise": 1 - signe / potentiel if potentiel else np.nan,
            }
        ]
    )


def _expected_commerciaux(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    open_ = aff[aff["statut"] == "En cours"].assign(pond=_weighted)
    closed = _closed_in_period(aff, f)
    out = pd.DataFrame(
        {
            "nombre_ouvertes": open_.groupby("gestion_par").size(),
            "ca_pondere": open_.groupby("gestion_par")["pond"].sum(),
            "gagnees": closed[closed["statut"] == "Gagnée"].groupby("gestion_par").size(),
            "perdues": closed[closed["statut"] == "Perdue"].groupby("gestion_par").size(),
            "ca_signe": closed.groupby("gestion_par")["total_ht"].sum(),
        }
    )
    act = t["action"][t["action"]["affaire_id"].isin(aff["id"]) & t["action"]["fait"]]
    done = act["fait_le"].fillna(act["date_action"])
    du, au = (pd.Timestamp(d) for d in f.period())
    act = act[done.between(du, au)]
    out = out.join(act.groupby("utilisateur_id").size().rename("actions_faites"), how="outer")
    out = out.rename_axis(None)
    out = out.fillna(0)
    out["taux_reussite"] = out["gagnees"] / (out["gagnees"] + out["perdues"])
    names = t["utilisateur"].set_index("id")["nom"]
    out["gestion_par"] = out.index.map(names)
    return out.sort_values("gestion_par")


def _expected_conversion(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    ids = _scope(t["affaire"], actor, f, etape=False)["id"]
    v = t["affaire_version"]
    v = v[v["affaire_id"].isin(ids)].sort_values(["affaire_id", "valid_from", "version"])
    v = v.reset_index(drop=True)
    by = v.groupby("affaire_id")
    v["entree"] = by["etape"].shift().ne(v["etape"])
    v["ordre"] = v["etape"].map({e: i for i, e in enumerate(ETAPES)})
    entries_at = v["valid_from"].where(v["entree"])
    v["next_entry"] = entries_at.groupby(v["affaire_id"]).shift(-1)
    v["next_entry"] = v["next_entry"].groupby(v["affaire_id"]).bfill()
    closed_at = v["valid_from"].where(v["statut"] != "En cours")
    v["closed_from"] = closed_at.groupby(v["affaire_id"]).bfill()
    backwards = v.iloc[::-1]
    later_max = backwards.groupby("affaire_id")["ordre"].cummax()
    v["later_max"] = later_max.iloc[::-1].groupby(v["affaire_id"]).shift(-1)
    won = (backwards["statut"] == "Gagnée").astype(int).groupby(backwards["affaire_id"]).cummax()
    v["won_from"] = won.iloc[::-1].astype(bool)
    du, au = (pd.Timestamp(d) for d in f.period())
    visits = v[v["entree"] & v["valid_from"].dt.normalize().between(du, au)].copy()
    visits["passed"] = (visits["later_max"] > visits["ordre"]) | visits["won_from"]
    left = visits[["next_entry", "closed_from"]].min(axis=1)
    visits["jours"] = (left.dt.normalize() - visits["valid_from"].dt.normalize()).dt.days
    rows = [e for e in ETAPES if not f.etapes or e in f.etapes]
    out = pd.DataFrame(index=pd.Index(rows, name="etape"))
    out["entrees"] = visits.groupby("etape")["affaire_id"].nunique()
    out["passees_suivante"] = visits[visits["passed"]].groupby("etape")["affaire_id"].nunique()
    out = out.fillna(0)
    out["taux_passage"] = out["passees_suivante"] / out["entrees"]
    out["jours_median"] = visits.groupby("etape")["jours"].median()
    return out.reset_index()


def _expected_quality(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    today = pd.Timestamp(f.day())
    open_ = aff[aff["statut"] == "En cours"]
    done = t["action"][t["action"]["fait"]]
    last_done = done["fait_le"].fillna(done["date_action"]).groupby(done["affaire_id"]).max()
    saved = open_["updated_at"].dt.normalize()
    last = pd.concat([saved, open_["id"].map(last_done).fillna(saved)], axis=1).max(axis=1)
    limits = t["etape"].set_index("nom")["jours_sans_activite"]
    dormant = (today - last).dt.days > open_["etape"].map(limits)
    versions = t["affaire_version"].sort_values(["affaire_id", "valid_from", "version"])
    later = versions["date_fin"] > versions.groupby("affaire_id")["date_fin"].shift()
    reports = later.groupby(versions["affaire_id"]).sum()
    counts = [
        (open_["date_fin"] < today).sum(),
        open_["contact_id"].isna().sum(),
        dormant.sum(),
        open_["ca_potentiel"].isna().sum(),
        ((aff["statut"] == "Perdue") & aff["code_cloture"].isna()).sum(),
        open_["id"].isin(reports[reports >= 3].index).sum(),
    ]
    return pd.DataFrame({"controle": list(analyses.QUALITY_CHECKS.values()), "nombre": counts})


def _expected_objectifs(t: dict[str, pd.DataFrame], actor: Actor, f: Filters) -> pd.DataFrame:
    aff = _scope(t["affaire"], actor, f)
    du, au = (pd.Timestamp(d) for d in f.period())
    months = pd.period_range(du, au, freq="M").strftime("%Y-%m").tolist()
    won = aff[(aff["statut"] == "Gagnée") & aff["date_signature"].between(du, au)]
    signed = won.groupby(["gestion_par", won["date_signature"].dt.strftime("%Y-%m")])
    open_ = aff[(aff["statut"] == "En cours") & aff["date_fin"].notna()].assign(pond=_weighted)
    pipe = open_.groupby(["gestion_par", open_["date_fin"].dt.strftime("%Y-%m")])["pond"].sum()
    goals = t["objectif"].assign(mois=t["objectif"]["mois"].dt.strftime("%Y-%m"))
    if actor.role == Role.COMMERCIAL:
        goals = goals[goals["utilisateur_id"] == actor.id]
    if f.gestion_par:
        goals = goals[goals["utilisateur_id"].isin(f.gestion_par)]
    goals = goals[goals["mois"].isin(months)].set_index(["utilisateur_id", "mois"])["montant"]
    users = sorted(set(won["gestion_par"]) | set(goals.index.get_level_values(0)))
    names = dict(zip(t["utilisateur"]["id"], t["utilisateur"]["nom"], strict=True))
    current = f"{f.day():%Y-%m}"
    out = []
    for user in sorted(users, key=lambda u: (names[u], u)):
        cumul_objectif = cumul_signe = 0.0
        for mois in months:
            objectif = goals.get((user, mois), np.nan)
            signe = signed["total_ht"].sum().get((user, mois), 0.0)
            cumul_objectif += 0.0 if pd.isna(objectif) else objectif
            cumul_signe += signe
            reste = objectif - signe
            couverture = (
                pipe.get((user, mois), 0.0) / reste if mois >= current and reste > 0 else np.nan
            )
            out.append(
                {
                    "gestion_par": names[user],
                    "mois": mois,
                    "objectif": objectif,
                    "ca_signe": signe,
                    "realisation": signe / objectif if objectif else np.nan,
                    "cumul_objectif": cumul_objectif,
                    "cumul_signe": cumul_signe,
                    "couverture": couverture,
                }
            )
    return pd.DataFrame(out)


EXPECTED = {
    "pipe": _expected_pipe,
    "prevision": _expected_forecast,
    "resultats-type": _expected_results,
    "pertes-code": _expected_losses,
    "ca-mensuel": _expected_monthly,
    "objectif": _expected_objective,
    "commerciaux": _expected_commerciaux,
    "conversion": _expected_conversion,
    "qualite": _expected_quality,
    "objectifs": _expected_objectifs,
}


CHECKED_ON_VERSIONS = {"mouvements", "fiabilite", "glissements"}
"""A11–A13 read how amounts and dates fin moved between versions, which this base's versions
(étapes and closings only) do not vary: tests/test_timeline_random.py checks them against a
replay of random saves."""


def test_every_analysis_has_an_independent_check() -> None:
    assert set(EXPECTED) | CHECKED_ON_VERSIONS == set(analyses.REGISTRY)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", list(EXPECTED))
def test_analysis_matches_pandas_on_a_random_base(
    base: tuple[Connection, dict[str, pd.DataFrame]], name: str, case: str
) -> None:
    con, tables = base
    login, filters = CASES[case]
    actor = _actor(con, login)
    actual = analyses.REGISTRY[name](con, actor, filters)
    assert not actual.empty
    _same(actual, EXPECTED[name](tables, actor, filters))


def test_losses_matrix_matches_pandas_on_a_random_base(
    base: tuple[Connection, dict[str, pd.DataFrame]],
) -> None:
    con, tables = base
    login, filters = CASES["admin_2025"]
    actor = _actor(con, login)
    matrix = analyses.losses_matrix(con, actor, filters).set_index("etape")
    lost = _closed_in_period(tables["affaire"], filters)
    lost = lost[lost["statut"] == "Perdue"]
    expected = pd.crosstab(lost["etape"], lost["code_cloture"])
    expected = expected.reindex(index=matrix.index, columns=matrix.columns)
    assert matrix.index.tolist() == [e for e in ETAPES if e in expected.index]
    pd.testing.assert_frame_equal(matrix, expected, check_dtype=False, check_names=False)
