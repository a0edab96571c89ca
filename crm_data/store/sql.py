"""The SQL fragments of the rules every layer shares, each written once: who may see an
affaire, its closing date, its weighted amount, the name shown for a user.

Fragments over the affaire alias `a`; values are bound by name, never formatted in.
"""

from __future__ import annotations

from typing import Any

from crm_data.model import Actor
from crm_data.store.engine import POSTGRESQL
from crm_data.store.pg_list import DORMANT_KEPT

VISIBLE = (
    "(a.deleted_at IS NULL AND (CAST($sees_everything AS BOOLEAN) OR a.gestion_par = $actor_id))"
)
"""Who may see an affaire (alias `a`): everyone who sees everything, else its gestion par only;
nobody sees an affaire being deleted. Bind it with visibility(actor)."""


def visibility(actor: Actor) -> dict[str, Any]:
    """The bound values of VISIBLE for this actor."""
    return {"sees_everything": actor.sees_everything, "actor_id": actor.id}


CLOSING_DATE = "CASE WHEN a.statut = 'Gagnée' THEN a.date_signature ELSE a.date_cloture END"
"""SPEC §3: a Gagnée closes on its date de signature, a Perdue or Abandonnée on its date_cloture."""

WEIGHTED = "coalesce(a.ca_potentiel, 0) * CAST(coalesce(a.reussite, 0) AS DECIMAL(3, 0)) * 0.01"
"""SPEC §3's ca_pondere of one affaire (alias `a`), exact: DECIMAL times DECIMAL, never a DOUBLE
(a division by 100 would give one: 3.01 € × 50 % would then round to 1.50). Missing counts 0."""


def weighted_sum(condition: str = "") -> str:
    """Σ ca_pondere over the group's affaires (those matching condition, when given), 0 when
    none, rounded half-up to the cent once, after summing: DuckDB's and PostgreSQL's round()
    of a DECIMAL rounds half away from zero, which is half-up for amounts ≥ 0."""
    only = f" FILTER (WHERE {condition})" if condition else ""
    return f"round(coalesce(sum({WEIGHTED}){only}, 0), 2)"


USER_LABELS = """(
    SELECT id,
           CASE WHEN count(*) OVER (PARTITION BY lower(nom)) > 1 THEN nom || ' (' || login || ')'
                ELSE nom
           END AS nom
    FROM utilisateur
)"""
"""Every user's id and the name shown for them: the full name, followed by the login when
another user has the same name (« Martin Dupont (mdupont2) »). Join it as a table."""


LAST_ACTIVITY = """greatest(
    CAST(a.updated_at AS DATE),
    coalesce(
        (SELECT max(coalesce(act.fait_le, act.date_action))
         FROM action AS act
         WHERE act.affaire_id = a.id AND act.fait),
        CAST(a.updated_at AS DATE)
    )
)"""
"""SPEC §3 (A14's section): an affaire's last activity (alias `a`), the later of its last save and
the date of its last action marked done."""

QUIET_SINCE = """(CAST($today AS DATE) - (
    SELECT e.jours_sans_activite
    FROM etape AS e
    WHERE e.nom = a.etape
))"""
"""The day from which an affaire (alias `a`) of its étape must have had some activity not to be
dormant on $today: $today minus the étape's jours_sans_activite (NULL when it has none)."""

DORMANT = f"""(a.statut = 'En cours'
    AND CAST(a.updated_at AS DATE) < {QUIET_SINCE}
    AND NOT EXISTS (
        SELECT 1
        FROM action AS act, etape AS quiet
        WHERE act.affaire_id = a.id
          AND quiet.nom = a.etape
          AND coalesce(act.fait_le, act.date_action)
              >= CAST($today AS DATE) - quiet.jours_sans_activite
          AND act.fait)
    )"""
"""SPEC §3: an open affaire (alias `a`) is dormante when the days from its last activity
(LAST_ACTIVITY) to $today exceed its étape's jours_sans_activite (an étape without one never
makes it dormant): its last save and every action it has marked done are older than
QUIET_SINCE. Written as NOT EXISTS rather than with LAST_ACTIVITY's correlated max, which
PostgreSQL runs once per affaire; both engines turn NOT EXISTS into an anti-join (on
PostgreSQL only when no subquery sits inside it: hence the étape joined there)."""


def dormant(dialect: str) -> str:
    """DORMANT in the engine's fastest form: on PostgreSQL, read from the last action done that
    it keeps on each affaire (crm_data.store.pg_list.DORMANT_KEPT, the same rule)."""
    return DORMANT_KEPT if dialect == POSTGRESQL else DORMANT


def among(fragment: str, ids: str) -> str:
    """LAST_ACTIVITY or DORMANT (or a fragment containing them) for affaires whose id is in the
    bound list `$<ids>` only (one page of the list, one record): the same rule, reading only
    those affaires' actions. DuckDB turns their correlated max into a join with every action of
    the base, even for fifty affaires."""
    restricted = f"act.fait AND {in_ids('act.affaire_id', ids)})"
    assert "act.fait)" in fragment, "among() no longer finds LAST_ACTIVITY's filter"
    return fragment.replace("act.fait)", restricted)


# SQL that differs between DuckDB and PostgreSQL (NOTES-postgres.md). Write the form both accept
# wherever one exists (these helpers); where none does, the helper takes the engine's dialect
# (crm_data.store.engine.dialect(cur)) and gives each engine its form.


def in_ids(column: str, param: str) -> str:
    """column is one of the ids of the bound list `$param` (an empty list matches nothing)."""
    return f"{column} = ANY(CAST(${param} AS BIGINT[]))"


def no_ids(param: str) -> str:
    """The bound list `$param` is empty (cardinality: array_length gives NULL for empty)."""
    return f"cardinality(CAST(${param} AS BIGINT[])) = 0"


def in_texts(column: str, param: str) -> str:
    """column is one of the texts of the bound list `$param` (an empty list matches nothing)."""
    return f"{column} = ANY(CAST(${param} AS VARCHAR[]))"


def no_texts(param: str) -> str:
    """The bound list of texts `$param` is empty."""
    return f"cardinality(CAST(${param} AS VARCHAR[])) = 0"


def contains_text(text: str, param: str) -> str:
    """The bound `$param` occurs in text (DuckDB's contains() does not exist on PostgreSQL)."""
    return f"strpos({text}, ${param}) > 0"


def contains_like(text: str, param: str) -> str:
    """contains_text as a LIKE, with the bound `$param` made by like_pattern: the form a trigram
    index serves on PostgreSQL (crm_data.store.pg_list), which strpos() is not."""
    return f"{text} LIKE ${param} ESCAPE '\\'"


def like_pattern(text: str) -> str:
    """The LIKE pattern of contains_like matching text anywhere, its % _ and \\ as they are."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def days_between(start: str, end: str) -> str:
    """Whole days from start to end (DATE expressions), as a BIGINT (date_diff's type on DuckDB:
    a DATE difference is an INTEGER on PostgreSQL, a BIGINT on DuckDB)."""
    return f"CAST(CAST({end} AS DATE) - CAST({start} AS DATE) AS BIGINT)"


def divided(numerator: str, denominator: str) -> str:
    """numerator / denominator as a DOUBLE PRECISION (PostgreSQL divides integers whole)."""
    return f"(CAST({numerator} AS DOUBLE PRECISION) / {denominator})"


def median(expression: str) -> str:
    """The median, interpolated between the two middle values, as DOUBLE PRECISION."""
    return f"CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression}) AS DOUBLE PRECISION)"


def month_start(date: str) -> str:
    """The first day of date's month, as a DATE (date_trunc gives a timestamp on both)."""
    return f"CAST(date_trunc('month', {date}) AS DATE)"


def year_of(date: str) -> str:
    """date's year as an INTEGER (extract gives BIGINT on DuckDB, NUMERIC on PostgreSQL)."""
    return f"CAST(extract(year FROM {date}) AS INTEGER)"


def month_text(dialect: str, date: str) -> str:
    """date as 'YYYY-MM' text (strftime on DuckDB, to_char on PostgreSQL)."""
    if dialect == "postgresql":
        return f"to_char({date}, 'YYYY-MM')"
    return f"strftime({date}, '%Y-%m')"
