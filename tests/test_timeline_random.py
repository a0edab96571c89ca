"""Properties of A10–A13 over random sequences of saves: the waterfall always adds up, the pipe
on today is the live pipe, and the pipe, the movements, the forecast's reliability and the
slipping dates on any day equal a replay of the saves done here in plain Python."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data.analyses.registry import (
    Filters,
    forecast_reliability,
    movements,
    pipe_by_etape,
    slipping,
)
from crm_data.model import Actor
from crm_data.store.db import Connection
from tests import engines
from tests.analyses_factory import new_base
from tests.versions_factory import create, delete, save

ETAPES = ["Qualification", "Analyse des besoins", "Proposition commerciale", "Négociation"]
START = dt.datetime(2026, 1, 1, 8, 0)
CENT = Decimal("0.01")

amounts = st.one_of(st.none(), st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False))
days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 9, 30))
event = st.tuples(
    st.integers(0, 5),
    st.sampled_from(
        ["montant", "reussite", "date_fin", "etape", "close", "reopen", "reassign", "delete"]
    ),
    st.integers(0, 10_000),
    amounts,
    days,
    st.integers(1, 3000),
)


@pytest.fixture(scope="module", params=engines.ENGINES)
def base(request: pytest.FixtureRequest) -> Iterator[tuple[Connection, Actor, list[int]]]:
    target = engines.module_target(request.param)
    con, admin = new_base(target)
    for login in ("alice", "bruno"):
        con.execute(
            "INSERT INTO utilisateur (login, nom, role) VALUES (?, ?, 'commercial')",
            [login, login.capitalize()],
        )
    users = [int(r[0]) for r in con.execute("SELECT id FROM utilisateur ORDER BY id").fetchall()]
    yield con, admin, users
    con.close()
    engines.drop_target(target)


def _reset(con: Connection) -> None:
    con.execute("DELETE FROM affaire_version")
    con.execute("DELETE FROM affaire")


def _play(
    con: Connection, users: list[int], events: list[tuple[Any, ...]]
) -> dict[int, list[tuple[dt.datetime, dict[str, Any]]]]:
    """Play the events on the base; return each surviving affaire's states, as saved here."""
    _reset(con)
    slots: dict[int, int] = {}
    history: dict[int, list[tuple[dt.datetime, dict[str, Any]]]] = {}
    at = START
    for slot, kind, n, amount, day, gap in events:
        at += dt.timedelta(minutes=gap * 3)
        if slot not in slots:
            state = {
                "date_debut": START.date(),
                "statut": "En cours",
                "etape": ETAPES[n % 4],
                "ca_potentiel": amount,
                "reussite": n % 101,
                "date_fin": day,
                "gestion_par": users[n % len(users)],
            }
            slots[slot] = create(con, at, **state)
            history[slots[slot]] = [(at, dict(state))]
            continue
        affaire_id = slots[slot]
        state = dict(history[affaire_id][-1][1])
        changes: dict[str, Any]
        if kind == "delete":
            delete(con, affaire_id)
            del history[affaire_id], slots[slot]
            continue
        if kind == "montant":
            changes = {"ca_potentiel": amount}
        elif kind == "reussite":
            changes = {"reussite": n % 101}
        elif kind == "date_fin":
            changes = {"date_fin": None if n % 7 == 0 else day}
        elif kind == "etape":
            changes = {"etape": ETAPES[n % 4]}
        elif kind == "reassign":
            changes = {"gestion_par": users[n % len(users)]}
        elif kind == "close" and state["statut"] == "En cours":
            statut = ["Gagnée", "Perdue", "Abandonnée"][n % 3]
            changes = {"statut": statut, "reussite": 100 if statut == "Gagnée" else 0}
            if statut == "Gagnée":
                changes |= {"total_ht": amount or Decimal(0), "date_signature": at.date()}
            if statut == "Perdue":
                changes["code_cloture"] = "Prix"
        elif kind == "reopen" and state["statut"] != "En cours":
            changes = {"statut": "En cours", "reussite": n % 101}
        else:
            continue
        save(con, affaire_id, at, **changes)
        state.update(changes)
        history[affaire_id].append((at, state))
    return history


def _state(versions: list[tuple[dt.datetime, dict[str, Any]]], day: dt.date) -> dict[str, Any]:
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    before = [s for at, s in versions if at < end]
    return before[-1] if before else {}


def _value(state: dict[str, Any], valeur: str) -> Decimal:
    amount = state.get("ca_potentiel") or Decimal(0)
    return amount if valeur == "ca_potentiel" else amount * state["reussite"] / 100


def _cents(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _in_pipe(state: dict[str, Any], window: tuple[dt.date, dt.date] | None) -> bool:
    if state.get("statut") != "En cours":
        return False
    if window is None:
        return True
    return state["date_fin"] is not None and window[0] <= state["date_fin"] <= window[1]


def _replayed_pipe(history: dict[int, Any], day: dt.date) -> list[tuple[Any, ...]]:
    sums: dict[str, list[Any]] = {e: [0, Decimal(0), Decimal(0)] for e in ETAPES}
    for versions in history.values():
        state = _state(versions, day)
        if _in_pipe(state, None):
            row = sums[state["etape"]]
            row[0] += 1
            row[1] += _value(state, "ca_potentiel")
            row[2] += _value(state, "ca_pondere")
    return [(e, n, _cents(p), _cents(w), 0.0) for e, (n, p, w) in sums.items()]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.lists(event, min_size=1, max_size=40), days)
def test_pipe_on_any_day_equals_a_replay_of_the_saves(
    base: tuple[Connection, Actor, list[int]], events: list[tuple[Any, ...]], day: dt.date
) -> None:
    con, admin, users = base
    history = _play(con, users, events)
    frame = pipe_by_etape(con, admin, Filters(le=day))
    actual = [
        (r.etape, r.nombre, r.ca_potentiel, r.ca_pondere, r.ca_attendu) for r in frame.itertuples()
    ]
    assert actual == _replayed_pipe(history, day)


@SETTINGS
@given(st.lists(event, min_size=1, max_size=40))
def test_pipe_on_today_equals_the_live_pipe(
    base: tuple[Connection, Actor, list[int]], events: list[tuple[Any, ...]]
) -> None:
    con, admin, users = base
    _play(con, users, events)
    today = pipe_by_etape(con, admin, Filters(le=dt.date.today()))
    assert today.equals(pipe_by_etape(con, admin, Filters()))


def _assert_waterfall_replays(
    con: Connection,
    admin: Actor,
    history: dict[int, list[tuple[dt.datetime, dict[str, Any]]]],
    filters: Filters,
    valeur: str,
    window_spec: tuple[dt.date, int] | None,
) -> None:
    """movements between filters' du and au, in the window of window_spec (its first day and
    how many days more) when given, add up and match the replay of history."""
    d1, d2 = filters.period()
    window = (
        None
        if window_spec is None
        else (window_spec[0], window_spec[0] + dt.timedelta(days=window_spec[1]))
    )
    frame = movements(con, admin, filters, valeur, window)
    montants = [Decimal(str(m)) for m in frame["montant"]]
    assert sum(montants[:-1]) == montants[-1]
    counts: Counter[str] = Counter()
    debut = fin = Decimal(0)
    for versions in history.values():
        s1, s2 = _state(versions, d1), _state(versions, d2)
        p1, p2 = _in_pipe(s1, window), _in_pipe(s2, window)
        v1, v2 = _value(s1, valeur) if s1 else 0, _value(s2, valeur) if s2 else 0
        debut += v1 if p1 else 0
        fin += v2 if p2 else 0
        counts["debut"] += p1
        counts["fin"] += p2
        if p1 and p2:
            counts["hausses" if v2 > v1 else "baisses" if v2 < v1 else "-"] += 1
        elif p1:
            closed = {"Gagnée": "gagnees", "Perdue": "perdues", "Abandonnée": "abandonnees"}
            counts[closed.get(s2["statut"], "sorties")] += 1
        elif p2:
            counts["entrees" if s1 else "nouvelles"] += 1
    nombres = dict(zip(frame["categorie"], frame["nombre"], strict=True))
    assert nombres == {c: counts[c] for c in nombres}
    assert (frame["montant"].iloc[0], frame["montant"].iloc[-1]) == (_cents(debut), _cents(fin))


@SETTINGS
@given(
    st.lists(event, min_size=1, max_size=40),
    days,
    st.integers(1, 90),
    st.sampled_from(["ca_potentiel", "ca_pondere"]),
    st.one_of(st.none(), st.tuples(days, st.integers(0, 60))),
)
def test_the_waterfall_adds_up_and_matches_a_replay(
    base: tuple[Connection, Actor, list[int]],
    events: list[tuple[Any, ...]],
    d1: dt.date,
    span: int,
    valeur: str,
    window_spec: tuple[dt.date, int] | None,
) -> None:
    con, admin, users = base
    history = _play(con, users, events)
    d2 = d1 + dt.timedelta(days=span)
    _assert_waterfall_replays(con, admin, history, Filters(du=d1, au=d2), valeur, window_spec)


@SETTINGS
@given(
    st.lists(event, min_size=1, max_size=40),
    days,
    st.sampled_from(["ca_potentiel", "ca_pondere"]),
    st.one_of(st.none(), st.tuples(days, st.integers(0, 60))),
)
def test_the_waterfall_to_today_matches_a_replay(
    base: tuple[Connection, Actor, list[int]],
    events: list[tuple[Any, ...]],
    d1: dt.date,
    valeur: str,
    window_spec: tuple[dt.date, int] | None,
) -> None:
    """Up to today, after every save: D2's pipe is read from the affaires as they are and D1's
    from the changed ones (timeline._d2_is_live); the same figures as a replay."""
    con, admin, users = base
    history = _play(con, users, events)
    filters = Filters(du=d1, au=dt.date.today())
    _assert_waterfall_replays(con, admin, history, filters, valeur, window_spec)


@SETTINGS
@given(st.lists(event, min_size=1, max_size=40))
def test_reliability_and_slipping_match_a_replay(
    base: tuple[Connection, Actor, list[int]], events: list[tuple[Any, ...]]
) -> None:
    con, admin, users = base
    history = _play(con, users, events)
    frame = forecast_reliability(
        con, admin, Filters(du=dt.date(2026, 1, 1), au=dt.date(2026, 4, 30))
    )
    for row in frame.itertuples():
        first = dt.date.fromisoformat(f"{row.mois}-01")
        prevu = haut = Decimal(0)
        for versions in history.values():
            state = _state(versions, first - dt.timedelta(days=1))
            fin = state.get("date_fin")
            if _in_pipe(state, None) and fin is not None and fin.replace(day=1) == first:
                prevu += _value(state, "ca_pondere")
                haut += _value(state, "ca_potentiel")
        assert (row.prevu, row.prevu_haut) == (_cents(prevu), _cents(haut))
    reports = {}
    for affaire_id, versions in history.items():
        if versions[-1][1]["statut"] == "En cours":
            dates = [s["date_fin"] for _, s in versions]
            reports[affaire_id] = sum(
                1 for a, b in itertools.pairwise(dates) if a is not None and b is not None and b > a
            )
    actual = slipping(con, admin, Filters())
    assert dict(zip(actual["id"], actual["reports"], strict=True)) == reports
    assert actual["reports"].is_monotonic_decreasing
