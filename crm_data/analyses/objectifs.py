"""A14 Objectifs (SPEC §3): per commercial and month, objectif against CA signé, cumulated from
the period's first month, and the coverage of what remains by the weighted pipe; the team's
total and the Pipe screen's coverage of this month and this quarter.

Sums run in DuckDB over the affaires (one grouped query each for signatures and pipe); pandas
lays the few rows on the months and cumulates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from crm_data.analyses.common import month_labels, params, query, ratio, scope
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection, dialect
from crm_data.store.sql import USER_LABELS, in_ids, month_text, no_ids, weighted_sum

COLUMNS = [
    "gestion_par",
    "mois",
    "objectif",
    "ca_signe",
    "realisation",
    "cumul_objectif",
    "cumul_signe",
    "couverture",
]
"""A14's columns (SPEC §3)."""

COVERAGE_ALERT = 3.0
"""A coverage under this stands out: the pipe is thin for what remains to sign."""

EQUIPE = "Équipe"
"""The gestion_par of the team's total rows."""


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def objectifs_detail(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A14 with what the screens need beside it: COLUMNS, then pipe_pondere (Σ ca_pondere of
    the commercial's open affaires with date_fin in the month, whatever the month) and
    gestion_par_id. Ordered by commercial's name and month.

    ca_signe counts the gagnées signed in the period (A5, per gestion par); the objectifs are
    those of the commercials the filters' gestion par keeps (a commercial: their own). The
    coverage is given for the current and later months only, and only when objectif − ca_signe
    is above 0.
    """
    du, au = filters.period()
    first, last = du.replace(day=1), _month_end(au)
    engine = dialect(con)
    sql = f"""
        WITH signe AS (
            SELECT a.gestion_par AS user_id,
                   {month_text(engine, "a.date_signature")} AS mois,
                   round(coalesce(sum(a.total_ht), 0), 2) AS ca_signe,
                   count(*) AS signees,
                   0 AS pipe_pondere
            FROM affaire AS a
            WHERE a.statut = 'Gagnée'
              AND a.date_signature BETWEEN $du AND $au
              AND {scope(actor, filters)}
            GROUP BY a.gestion_par, mois
        ),
        pipe AS (
            SELECT a.gestion_par AS user_id,
                   {month_text(engine, "a.date_fin")} AS mois,
                   0 AS ca_signe,
                   0 AS signees,
                   {weighted_sum()} AS pipe_pondere
            FROM affaire AS a
            WHERE a.statut = 'En cours'
              AND a.date_fin BETWEEN $first AND $last
              AND {scope(actor, filters)}
            GROUP BY a.gestion_par, mois
        ),
        cible AS (
            SELECT o.utilisateur_id AS user_id,
                   {month_text(engine, "o.mois")} AS mois,
                   o.montant AS objectif
            FROM objectif AS o
            WHERE o.mois BETWEEN $first AND $last
              AND (CAST($sees_everything AS BOOLEAN) OR o.utilisateur_id = $actor_id)
              AND ({no_ids("gestion_par")} OR {in_ids("o.utilisateur_id", "gestion_par")})
        ),
        figures AS (
            SELECT user_id,
                   mois,
                   sum(ca_signe) AS ca_signe,
                   sum(signees) AS signees,
                   sum(pipe_pondere) AS pipe_pondere
            FROM (SELECT * FROM signe UNION ALL SELECT * FROM pipe) AS s
            GROUP BY user_id, mois
        )
        SELECT coalesce(f.user_id, c.user_id) AS gestion_par_id,
               coalesce(f.mois, c.mois) AS mois,
               c.objectif,
               coalesce(f.ca_signe, 0) AS ca_signe,
               coalesce(f.signees, 0) AS signees,
               coalesce(f.pipe_pondere, 0) AS pipe_pondere
        FROM figures AS f
        FULL JOIN cible AS c ON c.user_id = f.user_id AND c.mois = f.mois
    """
    found = query(con, actor, sql, params(actor, filters, first=first, last=last))
    labels = query(con, actor, f"SELECT id, nom FROM {USER_LABELS} AS u", {})
    names = dict(zip(labels["id"].astype("int64"), labels["nom"], strict=True))
    return _lay_out(found, month_labels(du, au), names, filters.day())


def _lay_out(
    found: pd.DataFrame, months: list[str], names: dict[int, str], today: dt.date
) -> pd.DataFrame:
    """The grouped figures laid on every month of the period for each commercial with an
    objectif or a signature in it, cumulated month by month."""
    found = found[found["mois"].isin(months)].copy()
    for column in ("objectif", "ca_signe", "pipe_pondere"):
        found[column] = found[column].astype("float64")
    found["gestion_par_id"] = found["gestion_par_id"].astype("int64")
    found["active"] = found["objectif"].notna() | (found["signees"] > 0)
    users = sorted(set(found.loc[found["active"], "gestion_par_id"]))
    grid = pd.MultiIndex.from_product([users, months], names=["gestion_par_id", "mois"])
    columns = ["objectif", "ca_signe", "pipe_pondere"]
    frame = found.set_index(["gestion_par_id", "mois"])[columns].reindex(grid).reset_index()
    frame["ca_signe"] = frame["ca_signe"].fillna(0.0)
    frame["pipe_pondere"] = frame["pipe_pondere"].fillna(0.0)
    frame["gestion_par_id"] = frame["gestion_par_id"].astype("int64")
    frame["gestion_par"] = frame["gestion_par_id"].map(names).fillna("")
    frame = frame.sort_values(["gestion_par", "gestion_par_id", "mois"], kind="stable")
    return _ratios(frame, today).reset_index(drop=True)


def _ratios(frame: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """realisation, the cumulated figures (per gestion_par_id, in month order) and couverture."""
    users = frame["gestion_par_id"]
    frame["cumul_objectif"] = frame["objectif"].fillna(0).groupby(users, sort=False).cumsum()
    frame["cumul_signe"] = frame["ca_signe"].groupby(users, sort=False).cumsum()
    frame["realisation"] = ratio(frame["ca_signe"], frame["objectif"])
    remaining = (frame["objectif"] - frame["ca_signe"]).where(frame["mois"] >= f"{today:%Y-%m}")
    frame["couverture"] = ratio(frame["pipe_pondere"], remaining.where(remaining > 0))
    for column in ("cumul_objectif", "cumul_signe"):
        frame[column] = frame[column].round(2)
    return frame[[*COLUMNS, "pipe_pondere", "gestion_par_id"]]


def objectifs(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """A14 (`analyse objectifs`): one row per commercial and month of the period with COLUMNS.
    A commercial with neither an objectif nor a signature in the period has no row."""
    return objectifs_detail(con, actor, filters)[COLUMNS]


def _sums(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """objectif (empty when none in the group), ca_signe and pipe_pondere summed per keys."""
    groups = frame.groupby(keys, sort=False)
    summed = groups[["ca_signe", "pipe_pondere"]].sum()
    summed["objectif"] = groups["objectif"].sum(min_count=1)
    return summed.reset_index()


def team_totals(detail: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The team's row per month of objectifs_detail's frame (gestion_par = EQUIPE): objectif
    (empty when nobody has one that month), the sums and ratios of the team as a whole."""
    if detail.empty:
        return detail.copy()
    summed = _sums(detail, ["mois"])
    summed["gestion_par"] = EQUIPE
    summed["gestion_par_id"] = 0
    return _ratios(summed.sort_values("mois"), today).reset_index(drop=True)


def coverage(con: Connection, actor: Actor, filters: Filters) -> pd.DataFrame:
    """The Pipe screen's coverage for this month and this quarter (of filters.day()): per
    commercial with an objectif or a signature in the quarter, then the team (EQUIPE): gestion_par,
    horizon (`mois` or `trimestre`), objectif, ca_signe, reste (objectif − ca_signe), pipe_pondere
    (open affaires with date_fin in the month or the quarter), couverture = pipe_pondere / reste,
    empty when nothing remains to sign, and gestion_par_id (0 for the team)."""
    today = filters.day()
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = _month_end(dt.date(start.year, start.month + 2, 1))
    quarter = replace(filters, du=start, au=end, today=start)
    detail = objectifs_detail(con, actor, quarter)
    detail = pd.concat([detail, team_totals(detail, start)], ignore_index=True)
    current = f"{today:%Y-%m}"
    month = detail[detail["mois"] == current].assign(horizon="mois")
    summed = _sums(detail, ["gestion_par_id", "gestion_par"]).assign(horizon="trimestre")
    frame = pd.concat([month, summed], ignore_index=True)
    frame["reste"] = (frame["objectif"] - frame["ca_signe"]).round(2)
    frame["couverture"] = ratio(frame["pipe_pondere"], frame["reste"].where(frame["reste"] > 0))
    frame["pipe_pondere"] = frame["pipe_pondere"].round(2)
    frame["equipe"] = frame["gestion_par_id"] == 0
    frame = frame.sort_values(["horizon", "equipe", "gestion_par", "gestion_par_id"])
    columns = ["gestion_par", "horizon", "objectif", "ca_signe", "reste", "pipe_pondere"]
    return frame[[*columns, "couverture", "gestion_par_id"]].reset_index(drop=True)
