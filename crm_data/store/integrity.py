"""The integrity check of a base: orphans, affaires breaking SPEC §1, versions out of step.

Read-only and set-based (one query per check), so it runs after a crash or a restore on a base
of a million affaires. The database constraints come first; this finds what they cannot.
"""

from __future__ import annotations

from crm_data.model import AFFAIRE_FIELDS
from crm_data.store.db import Connection, read

_EXAMPLES = 5

_ORPHANS = [
    ("action", "action(s) rattachée(s) à une affaire qui n'existe pas"),
    ("document", "document(s) rattaché(s) à une affaire qui n'existe pas"),
    ("projet", "projet(s) rattaché(s) à une affaire qui n'existe pas"),
    ("affaire_historique", "événement(s) d'historique d'une affaire qui n'existe pas"),
]

_AFFAIRE_RULES = [
    ("trim(a.nom) = '' OR length(trim(a.nom)) > 200", "nom vide ou de plus de 200 caractères"),
    ("a.date_fin < a.date_debut", "date de fin avant la date de début"),
    ("c.id IS NULL", "compte inexistant"),
    ("a.contact_id IS NOT NULL AND ct.id IS NULL", "contact inexistant"),
    ("ct.compte_id <> a.compte_id", "contact d'un autre compte que celui de l'affaire"),
    ("u.id IS NULL", "« gestion par » inexistant"),
    ("e.nom IS NULL", "étape hors de la liste"),
    ("a.code_cloture IS NOT NULL AND cc.nom IS NULL", "code clôture hors de la liste"),
    ("a.famille_article IS NOT NULL AND f.nom IS NULL", "famille d'article hors de la liste"),
    ("a.statut = 'Perdue' AND a.code_cloture IS NULL", "perdue sans code clôture"),
    (
        "a.statut IN ('En cours', 'Gagnée') AND a.code_cloture IS NOT NULL",
        "code clôture sur une affaire en cours ou gagnée",
    ),
    (
        "a.statut = 'Gagnée' AND (a.date_signature IS NULL OR a.total_ht IS NULL)",
        "gagnée sans date de signature ou sans total HT",
    ),
    (
        "(a.statut = 'En cours') <> (a.date_cloture IS NULL)",
        "date de clôture incohérente avec le statut",
    ),
    ("a.reussite NOT BETWEEN 0 AND 100", "réussite hors de 0 à 100"),
    (
        "a.ca_potentiel < 0 OR a.ca_attendu < 0 OR a.total_ht < 0",
        "montant négatif",
    ),
]


def check(con: Connection) -> list[str]:
    """Every problem found, in French, one line each with a count and example ids; [] when sound.

    Checks: records hanging on a missing affaire (the foreign keys refuse them since schema 3;
    a base copied in by other means could hold some), affaires whose deletion was left
    half-done (marked deleted, not yet purged), affaires breaking the rules of SPEC §1,
    versions of a missing affaire, affaires without a version, and affaires whose latest
    version differs from the stored row in a field or its number (a save that reached the
    affaire but not its versions, or the reverse).
    """
    problems: list[str] = []
    with read(con) as cur:
        for table, message in _ORPHANS:
            ids = _ids(
                cur,
                f"""
                SELECT t.id
                FROM {table} AS t
                WHERE NOT EXISTS (SELECT 1 FROM affaire AS a WHERE a.id = t.affaire_id)
                ORDER BY t.id
                """,
            )
            problems += _report(ids, message, "n°")
        marked = _ids(
            cur,
            """
            SELECT id
            FROM affaire
            WHERE deleted_at IS NOT NULL
            ORDER BY id
            """,
        )
        problems += _report(
            marked, "affaire(s) dont la suppression n'a pas été terminée", "affaire n°"
        )
        for condition, message in _AFFAIRE_RULES:
            ids = _ids(
                cur,
                f"""
                SELECT a.id
                FROM affaire AS a
                LEFT JOIN compte AS c ON c.id = a.compte_id
                LEFT JOIN contact AS ct ON ct.id = a.contact_id
                LEFT JOIN utilisateur AS u ON u.id = a.gestion_par
                LEFT JOIN etape AS e ON e.nom = a.etape
                LEFT JOIN code_cloture AS cc ON cc.nom = a.code_cloture
                LEFT JOIN famille_article AS f ON f.nom = a.famille_article
                WHERE {condition}
                ORDER BY a.id
                """,
            )
            problems += _report(ids, f"affaire(s) : {message}", "affaire n°")
        problems += _history_problems(cur)
    return problems


def _history_problems(cur: Connection) -> list[str]:
    problems = _report(
        _ids(
            cur,
            """
            SELECT DISTINCT v.affaire_id
            FROM affaire_version AS v
            WHERE NOT EXISTS (SELECT 1 FROM affaire AS a WHERE a.id = v.affaire_id)
            ORDER BY v.affaire_id
            """,
        ),
        "version(s) d'une affaire qui n'existe pas",
        "affaire n°",
    )
    problems += _report(
        _ids(
            cur,
            """
            SELECT a.id
            FROM affaire AS a
            WHERE NOT EXISTS (SELECT 1 FROM affaire_version AS v WHERE v.affaire_id = a.id)
            ORDER BY a.id
            """,
        ),
        "affaire(s) sans version",
        "affaire n°",
    )
    problems += _report(
        _ids(
            cur,
            """
            SELECT DISTINCT affaire_id
            FROM affaire_version
            GROUP BY affaire_id, version
            HAVING count(*) > 1
            ORDER BY affaire_id
            """,
        ),
        "affaire(s) ayant deux versions du même numéro",
        "affaire n°",
    )
    # The latest version is the affaire as it stands (an affaire being deleted is left out).
    fields = ("version", *AFFAIRE_FIELDS)
    differs = ", ".join(
        f"CASE WHEN a.{name} IS DISTINCT FROM l.{name} THEN '{name}' END" for name in fields
    )
    for champ, ids in _grouped(
        cur,
        f"""
        WITH latest AS (
            SELECT *
            FROM (
                SELECT *,
                       row_number() OVER (PARTITION BY affaire_id ORDER BY version DESC) AS n
                FROM affaire_version
            ) AS numbered
            WHERE n = 1
        )
        SELECT champ, id
        FROM (
            SELECT a.id, unnest(ARRAY[{differs}]) AS champ
            FROM affaire AS a
            JOIN latest AS l ON l.affaire_id = a.id
            WHERE a.deleted_at IS NULL
        ) AS differences
        WHERE champ IS NOT NULL
        ORDER BY champ, id
        """,
    ).items():
        problems += _report(
            ids, f"affaire(s) dont « {champ} » diffère de sa dernière version", "affaire n°"
        )
    return problems


def _ids(cur: Connection, sql: str) -> list[int]:
    return [int(row[0]) for row in cur.execute(sql).fetchall()]


def _grouped(cur: Connection, sql: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for champ, record_id in cur.execute(sql).fetchall():
        out.setdefault(str(champ), []).append(int(record_id))
    return out


def _report(ids: list[int], message: str, prefix: str) -> list[str]:
    if not ids:
        return []
    examples = ", ".join(f"{prefix} {i}" for i in ids[:_EXAMPLES])
    more = " ..." if len(ids) > _EXAMPLES else ""
    return [f"{len(ids)} {message} ({examples}{more})."]
