"""What every analysis shares: the SQL scope its filters bind to, ratios, the base's state.

No analysis here; SQL fragments are built from constants only, every value is bound by name.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

import pandas as pd

from crm_data.filters import Filters, conditions
from crm_data.model import Actor
from crm_data.store.db import Connection, change_stamp, dialect, read, read_as
from crm_data.store.engine import POSTGRESQL
from crm_data.store.sql import CLOSING_DATE

IN_PERIOD = f"({CLOSING_DATE}) BETWEEN $du AND $au"
"""A closed affaire whose closing date lies in [du, au], both bounds included."""


STATE_COLUMNS = (
    "nom, date_debut, date_fin, compte_id, contact_id, gestion_par, statut, etape, type,"
    " famille_article, ca_potentiel, reussite, ca_attendu, code_cloture, date_signature,"
    " total_ht, date_cloture"
)
"""The columns of an affaire's state that affaire_version keeps, as the affaire spells them."""


_BEING_DELETED = "v.affaire_id NOT IN (SELECT id FROM affaire WHERE deleted_at IS NOT NULL)"
"""Versions (alias `v`) of affaires not being deleted. Hard-deleted affaires have no versions
(the foreign key); those being deleted are few: an anti-join on that small set spares a join
over every state."""


def states_at(instant: str, dialect: str) -> str:
    """SPEC §3 A10: each affaire's state at the bound timestamp $instant, as a table with the
    affaire's columns (id, deleted_at and STATE_COLUMNS), to alias `a` so that scope applies:
    its latest version written strictly before that instant. An affaire without such a version
    did not exist then and has no row; a deleted affaire has no versions. dialect is the base's
    engine (crm_data.store.engine.dialect)."""
    columns = ", ".join(f"v.{c.strip()}" for c in STATE_COLUMNS.split(","))
    being_deleted = _BEING_DELETED
    if dialect == POSTGRESQL:
        # Each version's end is kept there (crm_data.store.pg_versions): the version in force at
        # the instant is found by a filtered scan, where DISTINCT ON sorted every version.
        return f"""(
        SELECT v.affaire_id AS id, CAST(NULL AS TIMESTAMP) AS deleted_at, {columns}
        FROM affaire_version AS v
        WHERE v.valid_from < ${instant}
          AND (v.valid_to IS NULL OR v.valid_to >= ${instant})
          AND {being_deleted}
    )"""
    # The latest (valid_from, version) of each affaire is a hash aggregate, and the versions
    # holding it a hash join: no sort, where a window ranking every version sorted them all
    # (about 1.7 times faster at a million affaires).
    return f"""(
        SELECT v.affaire_id AS id, CAST(NULL AS TIMESTAMP) AS deleted_at, {columns}
        FROM affaire_version AS v
        JOIN (
            SELECT affaire_id, max((valid_from, version)) AS derniere
            FROM affaire_version
            WHERE valid_from < ${instant}
            GROUP BY affaire_id
        ) AS d
          ON d.affaire_id = v.affaire_id
         AND d.derniere = (v.valid_from, v.version)
        WHERE {being_deleted}
    )"""


def versions_with_end(dialect: str, affaires: str = "TRUE") -> str:
    """affaire_version with each version's end as `jusqu_a` (the next version's valid_from, in
    (valid_from, version) order; empty for the latest), as a table; affaires: a condition on
    affaire_id (whole affaires only, so that each end stays exact). PostgreSQL keeps it
    (valid_to, crm_data.store.pg_versions); DuckDB's window pass over the versions is cheap."""
    if dialect == POSTGRESQL:
        return f"(SELECT *, valid_to AS jusqu_a FROM affaire_version WHERE {affaires})"
    return f"""(
            SELECT *,
                   lead(valid_from) OVER (
                       PARTITION BY affaire_id ORDER BY valid_from, version
                   ) AS jusqu_a
            FROM affaire_version
            WHERE {affaires}
        )"""


def states_on_two_days(first: str, second: str, dialect: str, *, changed_only: bool = False) -> str:
    """The versions in force at the bound instant $first or at $second (states_at's rule), as
    a table to alias `a` like states_at's, with two flags more: a1 (in force at first) and a2
    (at second). An affaire unchanged between them has one row with both flags; a changed one
    has its row of each day that it existed. One pass over the versions, where two states
    joined read them twice and matched a million affaires. changed_only: only the versions of
    affaires changed in between (one ended, or one began, from first to second): an index
    range on each side on PostgreSQL (valid_from, valid_to)."""
    columns = ", ".join(f"v.{c.strip()}" for c in STATE_COLUMNS.split(","))

    def in_force(instant: str) -> str:
        return f"(v.valid_from < ${instant} AND (v.jusqu_a IS NULL OR v.jusqu_a >= ${instant}))"

    end = "v.valid_to" if dialect == POSTGRESQL else "v.jusqu_a"
    changed = (
        f"((v.valid_from >= ${first} AND v.valid_from < ${second})"
        f" OR ({end} >= ${first} AND {end} < ${second}))"
    )
    # A version ends when the next one begins: the affaires changed in between are those with
    # a version begun then, whose versions alone DuckDB's window pass then reads.
    begun = (
        f"affaire_id IN (SELECT affaire_id FROM affaire_version"
        f" WHERE valid_from >= ${first} AND valid_from < ${second})"
    )
    only = begun if changed_only and dialect != POSTGRESQL else "TRUE"
    return f"""(
        SELECT v.affaire_id AS id, CAST(NULL AS TIMESTAMP) AS deleted_at, {columns},
               {in_force(first)} AS a1, {in_force(second)} AS a2
        FROM {versions_with_end(dialect, only)} AS v
        WHERE ({in_force(first)} OR {in_force(second)})
          AND {_BEING_DELETED}
          AND {changed if changed_only else "TRUE"}
    )"""


def states_at_each(instants: Sequence[str], dialect: str) -> str:
    """The versions in force at any of the bound instants (states_at's rule for each), as a
    table to alias `a` like states_at's, with a flag per instant: en_vigueur_<i>, in force at
    instants[i]. One pass over the versions for them all, where a states_at per instant read
    them once each."""
    columns = ", ".join(f"v.{c.strip()}" for c in STATE_COLUMNS.split(","))

    def in_force(instant: str) -> str:
        return f"(v.valid_from < ${instant} AND (v.jusqu_a IS NULL OR v.jusqu_a >= ${instant}))"

    flags = ", ".join(f"{in_force(at)} AS en_vigueur_{i}" for i, at in enumerate(instants))
    return f"""(
        SELECT v.affaire_id AS id, CAST(NULL AS TIMESTAMP) AS deleted_at, {columns}, {flags}
        FROM {versions_with_end(dialect)} AS v
        WHERE ({" OR ".join(in_force(at) for at in instants)})
          AND {_BEING_DELETED}
    )"""


CLOSED_COLUMNS = (
    "id, deleted_at, nom, date_debut, date_fin, compte_id, contact_id, gestion_par, statut, etape,"
    " type, famille_article, ca_potentiel, reussite, ca_attendu, code_cloture, date_signature,"
    " total_ht, date_cloture"
)
"""The affaire's columns closed_between's table gives, beside its closing date."""


def closed_between(du: str, au: str) -> str:
    """The closed affaires whose closing date (CLOSING_DATE) lies in [$du, $au], both included,
    as a table to alias `a` like the affaire (CLOSED_COLUMNS) with that date as `cloture`: the
    gagnées by date_signature and the perdues and abandonnées by date_cloture, each a range of
    its own index on PostgreSQL (crm_data.store.pg_ventes), read without the table, where the
    CASE of CLOSING_DATE read every affaire."""
    columns = ", ".join(f"a.{c.strip()}" for c in CLOSED_COLUMNS.split(","))
    return f"""(
        SELECT {columns}, a.date_signature AS cloture
        FROM affaire AS a
        WHERE a.statut = 'Gagnée'
          AND a.date_signature BETWEEN ${du} AND ${au}
        UNION ALL
        SELECT {columns}, a.date_cloture AS cloture
        FROM affaire AS a
        WHERE a.statut IN ('Perdue', 'Abandonnée')
          AND a.date_cloture BETWEEN ${du} AND ${au}
    )"""


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a day's state is read at: the next day at 00:00 (written before it counts)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def source(filters: Filters, dialect: str) -> str:
    """The affaires an analysis of the pipe reads (to alias `a`): the live table, or with
    filters.le their states at the end of that day (A10; bind params' etat_fin)."""
    return "affaire" if filters.le is None else states_at("etat_fin", dialect)


def scope(actor: Actor, filters: Filters) -> str:
    """The condition on the affaires (alias `a`) the actor may see that match filters, the
    period aside (filters.conditions, the list's own); bind it with params."""
    return "(" + "\n    AND ".join(conditions(filters, actor)[0]) + ")"


def unfiltered(actor: Actor, filters: Filters) -> bool:
    """True when the actor sees every affaire and no affaire filter applies (the period aside):
    rows hanging on affaires (history, actions) then need no join to them."""
    return actor.sees_everything and filters.affaires_only().is_empty()


def params(actor: Actor, filters: Filters, **more: object) -> dict[str, object]:
    """The bound values of scope and IN_PERIOD for this actor and these filters, plus more.

    The gestion par, types, familles and étapes lists are always bound (empty: all), for the
    analyses that also read them outside scope (the étapes shown, for one)."""
    du, au = filters.period()
    return {
        "gestion_par": list(filters.gestion_par),
        "types": list(filters.types),
        "familles": list(filters.familles),
        "etapes": list(filters.etapes),
        **conditions(filters, actor)[1],
        "du": du,
        "au": au,
        **({"etat_fin": end_of_day(filters.le)} if filters.le is not None else {}),
        **more,
    }


def query(con: Connection, actor: Actor, sql: str, values: dict[str, object]) -> pd.DataFrame:
    """Run one aggregate query for the actor on a fresh cursor and return its small result as
    a frame. On PostgreSQL it runs as the actor's role (crm_data.store.pg_rights), so the base
    itself keeps a commercial's figures to their own affaires, behind scope's condition.

    Only the parameters the SQL names are bound (bound).
    """
    with read_as(con, actor) as cur:
        return cur.execute(sql, bound(sql, values)).df()


def bound(sql: str, values: dict[str, object]) -> dict[str, object]:
    """The values the SQL names (`$name`): DuckDB refuses unused named parameters."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as floats, empty (NaN) where the denominator is 0 or empty."""
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den != 0)).astype("float64")


def shift_months(day: dt.date, months: int) -> dt.date:
    """day moved by whole months: the last day of a month goes to the last day of the target
    month (28 February 2025 - 12 months is 29 February 2024), any other day keeps its number,
    cut to the target month's length (31 March - 1 month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    last = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, length if last else min(day.day, length))


def shift_period(du: dt.date, au: dt.date, months: int = -12) -> tuple[dt.date, dt.date]:
    """[du, au] moved by whole months (a year back by default): a period of whole months maps
    to the same whole months, so a year before February 2025 ends on 29 February 2024."""
    return shift_months(du, months), shift_months(au, months)


def month_labels(du: dt.date, au: dt.date) -> list[str]:
    """Every month from du's to au's as AAAA-MM, in order."""
    months = pd.period_range(pd.Period(du, freq="M"), pd.Period(au, freq="M"), freq="M")
    return [p.strftime("%Y-%m") for p in months]


def base_state(con: Connection) -> tuple[object, ...]:
    """A token that changes whenever data an analysis reads changes: a cache key.

    On DuckDB, computed from the data itself rather than from a counter that writers bump, so
    that every writer (screens, imports, the command line, another process before this one
    opened the file) is seen without cooperating: counts catch inserts and deletes, the sum of
    versions and the latest update catch edits, and the small reference tables are folded
    whole. It costs a few aggregates over columns DuckDB scans in milliseconds at a million
    affaires. On PostgreSQL the same aggregates took 144 ms a call at a million affaires: there
    the key is the base's change stamp (MIGRATION_5), which every committed db.transaction of
    any server or command bumps, read by primary key.
    """
    with read(con) as cur:
        if dialect(cur) == POSTGRESQL:
            return (POSTGRESQL, change_stamp(cur))
        row = cur.execute(
            """
            SELECT
                (SELECT count(*) FROM affaire),
                (SELECT sum(version) FROM affaire),
                (SELECT max(updated_at) FROM affaire),
                (SELECT count(*) FROM affaire_historique),
                (SELECT max(id) FROM affaire_historique),
                (SELECT count(*) FROM affaire_version),
                (SELECT max(valid_from) FROM affaire_version),
                (SELECT count(*) FROM action),
                (SELECT max(updated_at) FROM action),
                (SELECT sum(version) FROM action),
                (SELECT string_agg(nom || ordre || reussite_defaut || actif, '|' ORDER BY nom)
                 FROM etape),
                (SELECT string_agg(nom || categorie || actif, '|' ORDER BY nom)
                 FROM code_cloture),
                (SELECT string_agg(nom || actif, '|' ORDER BY nom) FROM famille_article),
                (SELECT string_agg(id || nom || role || actif, '|' ORDER BY id) FROM utilisateur),
                (SELECT count(*) FROM objectif_historique),
                (SELECT max(id) FROM objectif_historique)
            """
        ).fetchone()
    return tuple(row) if row else ()
