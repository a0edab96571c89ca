"""The pipe through time (SPEC §3 A10–A13), read from affaire_version: the movements of the pipe
between two days, the reliability of the forecast month by month, the slipping close dates.

A10 itself is the pipe's analyses over the states of a day (common.source); one query each.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crm_data.analyses.common import (
    STATE_COLUMNS,
    bound,
    end_of_day,
    month_labels,
    params,
    query,
    ratio,
    scope,
    source,
    states_on_two_days,
    versions_with_end,
)
from crm_data.analyses.pipe import EN_RETARD, SANS_DATE
from crm_data.filters import REPORTS_BY_AFFAIRE, Filters
from crm_data.model import Actor, CrmError
from crm_data.store.db import Connection, dialect, read_as
from crm_data.store.engine import POSTGRESQL
from crm_data.store.sql import USER_LABELS, WEIGHTED, month_text

VALEURS = {"ca_potentiel": "coalesce(a.ca_potentiel, 0)", "ca_pondere": WEIGHTED}
"""The value of a state (SPEC §3, `--valeur`): its CA potentiel or its CA pondéré, exact."""

CATEGORIES = (
    "debut",
    "nouvelles",
    "entrees",
    "hausses",
    "baisses",
    "gagnees",
    "perdues",
    "abandonnees",
    "sorties",
    "fin",
)
"""A11's rows, in SPEC order: the start, every movement, the end."""

MOVEMENTS = CATEGORIES[1:-1]

Window = tuple[dt.date, dt.date] | None


def _movement_rows(rows: str, *, moved_only: bool = False) -> str:
    """One row per affaire of rows (_rows_between's, as a table: every version in force on D1
    or on D2), its two states paired by id: columns id, gestion_par (D2's, else D1's),
    existait, p1, p2 (in the pipe on D1, on D2), statut_debut, valeur_debut, statut_fin,
    valeur_fin (exact amounts; empty on a day the affaire did not exist). moved_only: only
    the affaires whose state changed between the two days (an unchanged one has one row, in
    force on both days: it is in the pipe on both or on neither, with one value, and moves
    nothing)."""
    return f"""
        SELECT id,
               coalesce(max(gestion_par) FILTER (WHERE a2), max(gestion_par)) AS gestion_par,
               bool_or(a1) AS existait,
               coalesce(bool_or(dans_pipe) FILTER (WHERE a1), FALSE) AS p1,
               coalesce(bool_or(dans_pipe) FILTER (WHERE a2), FALSE) AS p2,
               max(statut) FILTER (WHERE a1) AS statut_debut,
               max(valeur) FILTER (WHERE a1) AS valeur_debut,
               max(statut) FILTER (WHERE a2) AS statut_fin,
               max(valeur) FILTER (WHERE a2) AS valeur_fin
        FROM {rows} AS r
        WHERE {"NOT (a1 AND a2)" if moved_only else "TRUE"}
        GROUP BY id
    """


def _categorised(rows: str) -> str:
    """rows (_movement_rows) with each affaire's categorie and montant, those in the pipe on
    D1 or on D2 only."""
    return f"""
        SELECT *,
               CASE
                   WHEN p1 AND p2 AND valeur_fin > valeur_debut THEN 'hausses'
                   WHEN p1 AND p2 AND valeur_fin < valeur_debut THEN 'baisses'
                   WHEN p1 AND p2 THEN NULL
                   WHEN p1 AND statut_fin = 'Gagnée' THEN 'gagnees'
                   WHEN p1 AND statut_fin = 'Perdue' THEN 'perdues'
                   WHEN p1 AND statut_fin = 'Abandonnée' THEN 'abandonnees'
                   WHEN p1 THEN 'sorties'
                   WHEN existait THEN 'entrees'
                   ELSE 'nouvelles'
               END AS categorie,
               CASE
                   WHEN p1 AND p2 THEN valeur_fin - valeur_debut
                   WHEN p1 THEN -valeur_debut
                   ELSE valeur_fin
               END AS montant
        FROM ({rows}) AS j
        WHERE p1 OR p2
    """


def _rows_between(
    actor: Actor,
    filters: Filters,
    valeur: str,
    fenetre: Window,
    engine: str,
    *,
    changed_only: bool = False,
) -> str:
    """The states in force at the end of D1 or of D2 (common.states_on_two_days: columns id,
    gestion_par, statut, valeur, dans_pipe, a1, a2). In the pipe on a day: En cours, date_fin
    in the window when one is given, matching the filters."""
    if valeur not in VALEURS:
        raise CrmError(f"Valeur inconnue « {valeur} » : ca_potentiel ou ca_pondere.")
    window = "a.date_fin BETWEEN $fenetre_du AND $fenetre_au" if fenetre else "TRUE"
    return f"""
        SELECT a.id, a.gestion_par, a.statut, {VALEURS[valeur]} AS valeur,
               (a.statut = 'En cours' AND {window} AND {scope(actor, filters)}) AS dans_pipe,
               a.a1, a.a2
        FROM {states_on_two_days("debut_fin", "fin_fin", engine, changed_only=changed_only)} AS a
    """


def _movement_values(
    actor: Actor, filters: Filters, fenetre: Window, **more: object
) -> dict[str, object]:
    du, au = filters.period()
    if not du < au:
        raise CrmError("Les mouvements du pipe demandent une date --du avant la date --au.")
    window = {"fenetre_du": fenetre[0], "fenetre_au": fenetre[1]} if fenetre else {}
    return params(
        actor,
        filters,
        debut_fin=end_of_day(du),
        fin_fin=end_of_day(au),
        **window,
        **more,
    )


def _d2_is_live(cur: Connection, values: dict[str, object]) -> bool:
    """Whether the states at the end of D2 are the affaires as they are: D2's end is still to
    come and no version begins at or after it (an index range on valid_from, empty). Then a
    write made meanwhile also begins before D2's end and is in both."""
    fin = values["fin_fin"]
    assert isinstance(fin, dt.datetime)
    if fin <= dt.datetime.now():
        return False
    later = cur.execute(
        "SELECT EXISTS (SELECT 1 FROM affaire_version WHERE valid_from >= $fin_fin)",
        {"fin_fin": fin},
    ).fetchone()
    return not (later and later[0])


def _totals(actor: Actor, filters: Filters, valeur: str, fenetre: Window, *, live: bool) -> str:
    """The CTE `totals` of movements over `r` (_rows_between's rows): debut, fin, nombre_debut,
    nombre_fin, the exact sums and counts of the pipe on D1 and on D2. live (_d2_is_live): r
    holds the changed affaires only; D2's come from the affaires as they are (an index-only
    scan of the open ones on PostgreSQL), and D1's are D2's with each changed affaire's D2
    state taken out and its D1 state put back (an unchanged one is the same on both days).
    Otherwise both come from r, every state of both days."""
    on_day = """coalesce(sum(valeur) FILTER (WHERE {a} AND dans_pipe), 0)"""
    counted = """count(*) FILTER (WHERE {a} AND dans_pipe)"""
    if not live:
        return f"""totals AS (
            SELECT {on_day.format(a="a1")} AS debut,
                   {on_day.format(a="a2")} AS fin,
                   {counted.format(a="a1")} AS nombre_debut,
                   {counted.format(a="a2")} AS nombre_fin
            FROM r
        )"""
    window = "a.date_fin BETWEEN $fenetre_du AND $fenetre_au" if fenetre else "TRUE"
    return f"""vivantes AS (
            SELECT coalesce(sum({VALEURS[valeur]}), 0) AS fin, count(*) AS nombre_fin
            FROM affaire AS a
            WHERE a.statut = 'En cours'
              AND {window}
              AND {scope(actor, filters)}
        ),
        ecarts AS (
            SELECT {on_day.format(a="a1")} - {on_day.format(a="a2")} AS valeur,
                   {counted.format(a="a1")} - {counted.format(a="a2")} AS nombre
            FROM r
        ),
        totals AS (
            SELECT v.fin + e.valeur AS debut, v.fin,
                   v.nombre_fin + e.nombre AS nombre_debut, v.nombre_fin
            FROM vivantes AS v, ecarts AS e
        )"""


def _movements_sql(
    actor: Actor, filters: Filters, valeur: str, fenetre: Window, engine: str, *, live: bool
) -> str:
    """movements' statement; live: see _totals."""
    rows = _rows_between(actor, filters, valeur, fenetre, engine, changed_only=live)
    return f"""
        WITH r AS ({rows}),
        {_totals(actor, filters, valeur, fenetre, live=live)},
        m AS ({_categorised(_movement_rows("r", moved_only=True))}),
        categories AS (
            SELECT ordre, categorie
            FROM (VALUES {", ".join(f"({i}, '{c}')" for i, c in enumerate(MOVEMENTS))})
                AS c (ordre, categorie)
        ),
        moves AS (
            SELECT c.ordre, c.categorie,
                   count(m.id) AS nombre,
                   coalesce(sum(m.montant), 0) AS exact
            FROM categories AS c
            LEFT JOIN m ON m.categorie = c.categorie
            GROUP BY c.ordre, c.categorie
        ),
        running AS (
            SELECT ordre, categorie, nombre, exact,
                   t.debut + sum(exact) OVER (ORDER BY ordre ROWS UNBOUNDED PRECEDING) AS cumul
            FROM moves, totals AS t
        )
        SELECT -1 AS ordre, 'debut' AS categorie, nombre_debut AS nombre,
               round(debut, 2) AS montant
        FROM totals
        UNION ALL
        SELECT ordre, categorie, nombre, round(cumul, 2) - round(cumul - exact, 2)
        FROM running
        UNION ALL
        SELECT 99, 'fin', nombre_fin, round(fin, 2)
        FROM totals
        ORDER BY ordre
    """


def movements(
    con: Connection,
    actor: Actor,
    filters: Filters,
    valeur: str = "ca_potentiel",
    fenetre: Window = None,
) -> pd.DataFrame:
    """A11 between filters' du (D1) and au (D2): one row per CATEGORIES entry, in order, with
    categorie, nombre (affaires) and montant (signed, what it adds to the pipe's value).

    In the pipe on a day: En cours at its end, date_fin in the window when one is given, and
    matching the filters (gestion par, type, famille of that day's state); an affaire still open
    on D2 but no longer in the pipe (date_fin moved out, or reassigned outside the filters) is
    in `sorties`, one that was not in it on D1 but existed is in `entrees`. Each movement's
    montant is the difference of the rounded running totals from debut, so that debut plus
    every movement equals fin to the cent, and debut and fin are the exact sums rounded once.
    """
    engine = dialect(con)
    values = _movement_values(actor, filters, fenetre)
    with read_as(con, actor) as cur:
        live = _d2_is_live(cur, values)
        sql = _movements_sql(actor, filters, valeur, fenetre, engine, live=live)
        frame = cur.execute(sql, bound(sql, values)).df()
    frame["nombre"] = frame["nombre"].astype("int64")
    frame["montant"] = frame["montant"].astype("float64")
    return frame[["categorie", "nombre", "montant"]].reset_index(drop=True)


def movement_affaires(
    con: Connection,
    actor: Actor,
    filters: Filters,
    categorie: str | None = None,
    valeur: str = "ca_potentiel",
    fenetre: Window = None,
) -> pd.DataFrame:
    """The affaires behind A11's rows (of one categorie when given; debut and fin are those in
    the pipe on D1, on D2), by id: id, nom (today's), gestion_par (name, state at D2 else D1),
    categorie, statut_debut, valeur_debut, statut_fin, valeur_fin (values rounded to the cent;
    empty when the affaire did not exist on that day)."""
    if categorie is not None and categorie not in CATEGORIES:
        raise CrmError(f"Catégorie inconnue « {categorie} ».")
    only = {
        None: "TRUE",
        "debut": "m.p1",
        "fin": "m.p2",
    }.get(categorie, "m.categorie = $categorie")
    moved = categorie in MOVEMENTS
    between = _rows_between(actor, filters, valeur, fenetre, dialect(con), changed_only=moved)
    rows = _movement_rows(f"({between})", moved_only=moved)
    sql = f"""
        WITH m AS ({_categorised(rows)})
        SELECT m.id, f.nom, u.nom AS gestion_par, m.categorie,
               m.statut_debut, round(m.valeur_debut, 2) AS valeur_debut,
               m.statut_fin, round(m.valeur_fin, 2) AS valeur_fin
        FROM m
        JOIN affaire AS f ON f.id = m.id
        LEFT JOIN {USER_LABELS} AS u ON u.id = m.gestion_par
        WHERE {only}
        ORDER BY m.id
    """
    values = _movement_values(actor, filters, fenetre, categorie=categorie)
    frame = query(con, actor, sql, values)
    frame["id"] = frame["id"].astype("int64")
    return frame.reset_index(drop=True)


def forecast_reliability(
    con: Connection, actor: Actor, filters: Filters, by: str | None = None
) -> pd.DataFrame:
    """A12 over the months of the period: mois, prevu (Σ ca_pondere, at the end of the day
    before the month's first day, of the affaires then in the pipe with date_fin in that month),
    prevu_haut (Σ ca_potentiel of the same), signe (A5's ca_signe of the month), realisation =
    signe / prevu. With by="gestion_par" or a gestion par filter, the same per commercial
    (gestion_par first: the commercial of that state, and of the gagnée for signe), commercials
    with a figure only.
    """
    per_user = by == "gestion_par" or bool(filters.gestion_par)
    columns = ", ".join(f"v.{c.strip()}" for c in STATE_COLUMNS.split(","))
    user_key = "a.gestion_par" if per_user else "0"
    sql = f"""
        WITH mois AS (
            SELECT CAST(m AS DATE) AS debut
            FROM generate_series(
                CAST(date_trunc('month', CAST($du AS DATE)) AS TIMESTAMP),
                CAST(date_trunc('month', CAST($au AS DATE)) AS TIMESTAMP),
                INTERVAL '1 month'
            ) AS t (m)
        ),
        versions AS {versions_with_end(dialect(con))},
        prevus AS (
            SELECT mo.debut, {user_key} AS user_id,
                   sum({WEIGHTED}) AS prevu,
                   sum(coalesce(a.ca_potentiel, 0)) AS prevu_haut
            FROM (
                SELECT v.affaire_id AS id, f.deleted_at, {columns}, v.valid_from, v.jusqu_a
                FROM versions AS v
                JOIN affaire AS f ON f.id = v.affaire_id
                WHERE v.statut = 'En cours'
                  AND v.date_fin >= CAST(date_trunc('month', CAST($du AS DATE)) AS DATE)
            ) AS a
            JOIN mois AS mo
              ON CAST(date_trunc('month', a.date_fin) AS DATE) = mo.debut
             AND a.valid_from < mo.debut
             AND (a.jusqu_a IS NULL OR a.jusqu_a >= mo.debut)
            WHERE {scope(actor, filters)}
            GROUP BY 1, 2
        ),
        signes AS (
            SELECT CAST(date_trunc('month', a.date_signature) AS DATE) AS debut,
                   {user_key} AS user_id,
                   sum(a.total_ht) AS signe
            FROM affaire AS a
            WHERE a.statut = 'Gagnée'
              AND a.date_signature BETWEEN $du AND $au
              AND {scope(actor, filters)}
            GROUP BY 1, 2
        ),
        figures AS (
            SELECT coalesce(p.debut, s.debut) AS debut,
                   coalesce(p.user_id, s.user_id) AS user_id,
                   p.prevu, p.prevu_haut, s.signe
            FROM prevus AS p
            FULL JOIN signes AS s ON s.debut = p.debut AND s.user_id = p.user_id
        )
        SELECT {month_text(dialect(con), "f.debut")} AS mois, f.user_id, u.nom AS gestion_par,
               round(coalesce(f.prevu, 0), 2) AS prevu,
               round(coalesce(f.prevu_haut, 0), 2) AS prevu_haut,
               round(coalesce(f.signe, 0), 2) AS signe
        FROM figures AS f
        LEFT JOIN {USER_LABELS} AS u ON u.id = f.user_id
    """
    frame = query(con, actor, sql, params(actor, filters))
    du, au = filters.period()
    if per_user:
        frame = frame.sort_values(["gestion_par", "user_id", "mois"]).reset_index(drop=True)
        frame = frame[["gestion_par", "mois", "prevu", "prevu_haut", "signe"]]
    else:
        months = pd.DataFrame({"mois": month_labels(du, au)})
        frame = months.merge(frame.drop(columns=["user_id", "gestion_par"]), "left", on="mois")
        for column in ("prevu", "prevu_haut", "signe"):
            frame[column] = frame[column].astype("float64").fillna(0.0)
    frame = frame.reset_index(drop=True)
    frame["realisation"] = ratio(frame["signe"], frame["prevu"])
    return frame


def _first_dates_fin(engine: str, affaires: str | None) -> str:
    """Each affaire's premiere_date_fin: the date_fin of its first version that had one (by
    valid_from, then version), for the affaires whose ids the subquery affaires gives (every
    affaire when None: one pass over the versions beats a semi-join on most affaires).
    DuckDB's arg_min is one hash aggregate; PostgreSQL has no arg_min, and DISTINCT ON keeps
    the first row of each affaire."""
    only = "TRUE" if affaires is None else f"affaire_id IN {affaires}"
    if engine == POSTGRESQL:
        return f"""
            SELECT DISTINCT ON (affaire_id) affaire_id, date_fin AS premiere_date_fin
            FROM affaire_version
            WHERE date_fin IS NOT NULL
              AND {only}
            ORDER BY affaire_id, valid_from, version
        """
    return f"""
            SELECT affaire_id,
                   arg_min(date_fin, (valid_from, version)) AS premiere_date_fin
            FROM affaire_version
            WHERE date_fin IS NOT NULL
              AND {only}
            GROUP BY affaire_id
        """


def slipping(
    con: Connection, actor: Actor, filters: Filters, limit: int | None = None
) -> pd.DataFrame:
    """A13: the open affaires today with id, nom, gestion_par (name), date_fin, reports (how
    many versions moved date_fin later than the version before) and premiere_date_fin (the
    date_fin of the first version that had one); by reports descending, then id (the first
    `limit` rows when given)."""
    # With a limit, the first date fin is read from the versions of the affaires kept only.
    kept = None if limit is None else "(SELECT id FROM gardees)"
    sql = f"""
        WITH gardees AS (
            SELECT a.id, a.nom, a.gestion_par, a.date_fin, coalesce(r.reports, 0) AS reports
            FROM affaire AS a
            LEFT JOIN {REPORTS_BY_AFFAIRE} AS r ON r.affaire_id = a.id
            WHERE a.statut = 'En cours'
              AND {scope(actor, filters)}
            ORDER BY reports DESC, a.id
            {"LIMIT $limit" if limit is not None else ""}
        ),
        premieres AS ({_first_dates_fin(dialect(con), kept)})
        SELECT g.id, g.nom, u.nom AS gestion_par, g.date_fin, g.reports, p.premiere_date_fin
        FROM gardees AS g
        LEFT JOIN premieres AS p ON p.affaire_id = g.id
        LEFT JOIN {USER_LABELS} AS u ON u.id = g.gestion_par
        ORDER BY g.reports DESC, g.id
    """
    values = params(actor, filters, limit=limit)
    frame = query(con, actor, sql, values)
    frame["id"] = frame["id"].astype("int64")
    frame["reports"] = frame["reports"].astype("int64")
    for column in ("date_fin", "premiere_date_fin"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.reset_index(drop=True)


def open_ids_at(
    con: Connection,
    actor: Actor,
    filters: Filters,
    *,
    etape: str | None = None,
    mois: str | None = None,
    user_id: int | None = None,
) -> list[int]:
    """The ids of the affaires behind a figure of the pipe on filters.le (A10's drill-down; the
    live pipe without le): open at the end of that day, in that étape, that A2 month (AAAA-MM,
    EN_RETARD or SANS_DATE, as forecast names them) or managed by that user when given."""
    month = (
        "TRUE"
        if mois is None
        else f"""CASE
                   WHEN a.date_fin IS NULL THEN $sans_date
                   WHEN a.date_fin < $today THEN $en_retard
                   ELSE {month_text(dialect(con), "a.date_fin")}
               END = $mois"""
    )
    sql = f"""
        SELECT a.id
        FROM {source(filters, dialect(con))} AS a
        WHERE a.statut = 'En cours'
          AND {scope(actor, filters)}
          AND ($etape IS NULL OR a.etape = $etape)
          AND (CAST($user_id AS BIGINT) IS NULL OR a.gestion_par = $user_id)
          AND {month}
        ORDER BY a.id
    """
    values = params(
        actor,
        filters,
        etape=etape,
        user_id=user_id,
        mois=mois,
        today=filters.le or filters.day(),
        sans_date=SANS_DATE,
        en_retard=EN_RETARD,
    )
    return [int(i) for i in query(con, actor, sql, values)["id"]]
