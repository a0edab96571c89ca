"""The base's tables, constraints and numbered migrations; opening an older base upgrades it.

Each migration is a list of plain SQL statements kept close to standard SQL (sequences, CHECK,
foreign keys) so that a PostgreSQL backend can run the same list.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from crm_data.model import AFFAIRE_FIELDS
from crm_data.store import pg_analyses, pg_list, pg_pipe, pg_ventes, pg_versions
from crm_data.store.engine import POSTGRESQL, dialect
from crm_data.store.purge import purge_marked

if TYPE_CHECKING:
    from crm_data.store.engine import Connection


class MovesRows(str):
    """A migration's statement that moves the rows of an older base into its new tables. A
    PostgreSQL base is always created at the current schema, so it has no rows to move and
    skips these (which are written in DuckDB's SQL: BY NAME, arg_max, TRY_CAST)."""


class PostgresOnly(str):
    """A migration's statement run on PostgreSQL only: an index DuckDB does without (its scans
    need none at a million affaires, and each ART index slows its bulk loads and holds memory),
    or one DuckDB already has (it indexes every foreign key)."""


class DuckDBOnly(str):
    """A migration's statement run on DuckDB only: the engine's own form of an object
    PostgreSQL gets from a PostgresOnly statement of the same migration."""


# DuckDB runs an UPDATE of an indexed column (a foreign key's column is indexed) as a delete
# and an insert, which a row referenced by another table's foreign key refuses, and which no
# concurrent write notices. So the audit columns carry no foreign key, and from MIGRATION_3 on
# the affaire has none either (the application checks its compte, contact and user; nothing
# deletes those): the tables hanging on an affaire reference it, and its updates stay in place.
_AUDIT = """
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_by BIGINT,
    version INTEGER NOT NULL DEFAULT 1
"""


def _affaire_table(*, owner_keys: bool) -> str:
    """The affaire table: with foreign keys to its compte, contact and user (MIGRATION_1), or
    without them and with the columns added since (MIGRATION_3)."""

    def key(table: str) -> str:
        return f" REFERENCES {table} (id)" if owner_keys else ""

    later = (
        ""
        if owner_keys
        else """
        source_id VARCHAR,
        deleted_at TIMESTAMP,
        children_version INTEGER NOT NULL DEFAULT 1,"""
    )
    return f"""
    CREATE TABLE affaire (
        id BIGINT PRIMARY KEY DEFAULT nextval('affaire_id_seq'),
        nom VARCHAR NOT NULL CHECK (length(trim(nom)) BETWEEN 1 AND 200),
        date_debut DATE NOT NULL,
        date_fin DATE CHECK (date_fin >= date_debut),
        compte_id BIGINT NOT NULL{key("compte")},
        contact_id BIGINT{key("contact")},
        gestion_par BIGINT NOT NULL{key("utilisateur")},
        statut VARCHAR NOT NULL
            CHECK (statut IN ('En cours', 'Gagnée', 'Perdue', 'Abandonnée')),
        etape VARCHAR NOT NULL,
        type VARCHAR NOT NULL CHECK (type IN ('Nouveau', 'Récurrent', 'Mise à jour')),
        famille_article VARCHAR,
        notes VARCHAR,
        ca_potentiel DECIMAL(14, 2) CHECK (ca_potentiel >= 0),
        reussite INTEGER CHECK (reussite BETWEEN 0 AND 100),
        ca_attendu DECIMAL(14, 2) CHECK (ca_attendu >= 0),
        code_cloture VARCHAR,
        date_signature DATE,
        total_ht DECIMAL(14, 2) CHECK (total_ht >= 0),
        date_cloture DATE,
        {_AUDIT},{later}
        CHECK (statut <> 'Perdue' OR code_cloture IS NOT NULL),
        CHECK (statut IN ('Perdue', 'Abandonnée') OR code_cloture IS NULL),
        CHECK (statut <> 'Gagnée' OR (date_signature IS NOT NULL AND total_ht IS NOT NULL)),
        CHECK ((statut = 'En cours') = (date_cloture IS NULL))
    )
    """


def _child_table(table: str, affaire_key: str) -> str:
    """A table hanging on an affaire; affaire_key is its foreign key clause, or empty."""
    columns = {
        "affaire_historique": """
        id BIGINT PRIMARY KEY DEFAULT nextval('historique_id_seq'),
        affaire_id BIGINT NOT NULL{key},
        changed_at TIMESTAMP NOT NULL,
        changed_by BIGINT,
        champ VARCHAR NOT NULL,
        ancien VARCHAR,
        nouveau VARCHAR""",
        "action": """
        id BIGINT PRIMARY KEY DEFAULT nextval('action_id_seq'),
        affaire_id BIGINT NOT NULL{key},
        type VARCHAR NOT NULL
            CHECK (type IN ('Mail', 'Téléphone', 'Relance', 'Rendez-vous', 'Tâche')),
        date_action DATE NOT NULL,
        objet VARCHAR NOT NULL CHECK (length(trim(objet)) > 0),
        description VARCHAR,
        echeance DATE,
        fait BOOLEAN NOT NULL DEFAULT FALSE,
        fait_le DATE,
        utilisateur_id BIGINT NOT NULL REFERENCES utilisateur (id),
        {audit}""",
        "document": """
        id BIGINT PRIMARY KEY DEFAULT nextval('document_id_seq'),
        affaire_id BIGINT NOT NULL{key},
        type VARCHAR NOT NULL CHECK (type IN ('Devis', 'Facture')),
        numero VARCHAR NOT NULL CHECK (length(trim(numero)) > 0),
        date_document DATE NOT NULL,
        montant_ht DECIMAL(14, 2) NOT NULL CHECK (montant_ht >= 0),
        statut VARCHAR NOT NULL,
        fichier_nom VARCHAR,
        fichier_type VARCHAR,
        fichier BYTEA,
        {audit},
        CHECK (
            (type = 'Devis' AND statut IN ('Brouillon', 'Envoyé', 'Accepté', 'Refusé'))
            OR (type = 'Facture' AND statut IN ('Émise', 'Payée'))
        )""",
        "projet": """
        id BIGINT PRIMARY KEY DEFAULT nextval('projet_id_seq'),
        affaire_id BIGINT NOT NULL{key},
        nom VARCHAR NOT NULL CHECK (length(trim(nom)) > 0),
        date_debut DATE,
        date_fin DATE CHECK (date_fin >= date_debut),
        statut VARCHAR NOT NULL
            CHECK (statut IN ('À réaliser', 'En cours', 'Réalisé', 'Annulé')),
        responsable_id BIGINT REFERENCES utilisateur (id),
        notes VARCHAR,
        {audit}""",
    }[table]
    return f"""
    CREATE TABLE {table} ({columns.format(key=affaire_key, audit=_AUDIT)}
    )
    """


MIGRATION_1 = [
    """
    CREATE TABLE schema_version (
        version INTEGER NOT NULL,
        applied_at TIMESTAMP NOT NULL
    )
    """,
    "CREATE SEQUENCE utilisateur_id_seq START 1",
    """
    CREATE TABLE utilisateur (
        id BIGINT PRIMARY KEY DEFAULT nextval('utilisateur_id_seq'),
        login VARCHAR NOT NULL UNIQUE,
        nom VARCHAR NOT NULL,
        email VARCHAR,
        role VARCHAR NOT NULL CHECK (role IN ('admin', 'manager', 'commercial')),
        actif BOOLEAN NOT NULL DEFAULT TRUE,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    )
    """,
    """
    CREATE TABLE etape (
        nom VARCHAR PRIMARY KEY,
        ordre INTEGER NOT NULL UNIQUE,
        reussite_defaut INTEGER NOT NULL CHECK (reussite_defaut BETWEEN 0 AND 100),
        actif BOOLEAN NOT NULL DEFAULT TRUE
    )
    """,
    """
    CREATE TABLE code_cloture (
        nom VARCHAR PRIMARY KEY,
        categorie VARCHAR NOT NULL CHECK (categorie IN ('interne', 'externe')),
        actif BOOLEAN NOT NULL DEFAULT TRUE
    )
    """,
    """
    CREATE TABLE famille_article (
        nom VARCHAR PRIMARY KEY,
        actif BOOLEAN NOT NULL DEFAULT TRUE
    )
    """,
    "CREATE SEQUENCE compte_id_seq START 1",
    f"""
    CREATE TABLE compte (
        id BIGINT PRIMARY KEY DEFAULT nextval('compte_id_seq'),
        nom VARCHAR NOT NULL CHECK (length(trim(nom)) > 0),
        nom_cle VARCHAR NOT NULL,
        secteur VARCHAR,
        ville VARCHAR,
        telephone VARCHAR,
        site_web VARCHAR,
        notes VARCHAR,
        {_AUDIT}
    )
    """,
    # A compte's name is unique ignoring case and accents. The key lives in a table of its own:
    # a UNIQUE column on compte would make every rename a delete and insert of a referenced row.
    """
    CREATE TABLE compte_cle (
        nom_cle VARCHAR PRIMARY KEY,
        compte_id BIGINT NOT NULL UNIQUE REFERENCES compte (id)
    )
    """,
    "CREATE SEQUENCE contact_id_seq START 1",
    f"""
    CREATE TABLE contact (
        id BIGINT PRIMARY KEY DEFAULT nextval('contact_id_seq'),
        compte_id BIGINT NOT NULL REFERENCES compte (id),
        prenom VARCHAR,
        nom VARCHAR NOT NULL CHECK (length(trim(nom)) > 0),
        fonction VARCHAR,
        email VARCHAR,
        telephone VARCHAR,
        {_AUDIT}
    )
    """,
    "CREATE SEQUENCE affaire_id_seq START 1",
    _affaire_table(owner_keys=True),
    "CREATE SEQUENCE historique_id_seq START 1",
    _child_table("affaire_historique", ""),
    "CREATE SEQUENCE action_id_seq START 1",
    _child_table("action", ""),
    "CREATE SEQUENCE document_id_seq START 1",
    _child_table("document", ""),
    "CREATE SEQUENCE projet_id_seq START 1",
    _child_table("projet", ""),
    """
    INSERT INTO etape (nom, ordre, reussite_defaut)
    VALUES
        ('Qualification', 1, 20),
        ('Analyse des besoins', 2, 40),
        ('Proposition commerciale', 3, 60),
        ('Négociation', 4, 80)
    """,
    """
    INSERT INTO code_cloture (nom, categorie)
    VALUES
        ('Prix', 'interne'),
        ('Offre inadaptée', 'interne'),
        ('Concurrent', 'interne'),
        ('Délai de réponse', 'interne'),
        ('Projet annulé', 'externe'),
        ('Pas de budget', 'externe'),
        ('Client injoignable', 'externe'),
        ('Décision reportée', 'externe')
    """,
    """
    INSERT INTO famille_article (nom)
    VALUES ('Logiciel'), ('Matériel'), ('Prestation'), ('Formation'), ('Maintenance')
    """,
    """
    INSERT INTO utilisateur (login, nom, role)
    VALUES ('admin', 'Administrateur local', 'admin')
    """,
]

MIGRATION_2 = [
    # Imports from other CRMs carry the source's record id, so a re-import updates instead of
    # duplicating; saved column and value mappings are reused by name.
    "ALTER TABLE affaire ADD COLUMN source_id VARCHAR",
    "ALTER TABLE compte ADD COLUMN source_id VARCHAR",
    "CREATE INDEX affaire_source_id_idx ON affaire (source_id)",
    """
    CREATE TABLE import_mapping (
        nom VARCHAR PRIMARY KEY,
        definition VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    )
    """,
]

_CHILDREN = ("affaire_historique", "action", "document", "projet")

# DuckDB has no ALTER TABLE ... DROP CONSTRAINT for a foreign key, so the affaire and the tables
# hanging on it are rebuilt: rows kept aside, tables dropped and created again, rows put back.
# Rows hanging on an affaire that no longer exists (left by deletes raced before this version)
# cannot be kept under the new foreign keys and are dropped: their affaire's deletion was
# acknowledged. deleted_at marks an affaire being deleted (see crm_data.store.purge); every write to
# a record under an affaire bumps children_version, so that it clashes with such a mark.
MIGRATION_3 = [
    *(f"CREATE TEMP TABLE keep_{t} AS SELECT * FROM {t}" for t in ("affaire", *_CHILDREN)),
    *(f"DROP TABLE {t}" for t in _CHILDREN),
    "DROP TABLE affaire",
    _affaire_table(owner_keys=False),
    MovesRows("""
    INSERT INTO affaire BY NAME
    SELECT *
    FROM keep_affaire
    """),
    "CREATE INDEX affaire_source_id_idx ON affaire (source_id)",
    *(_child_table(t, " REFERENCES affaire (id)") for t in _CHILDREN),
    *(
        MovesRows(f"""
        INSERT INTO {t} BY NAME
        SELECT k.*
        FROM keep_{t} AS k
        WHERE k.affaire_id IN (SELECT id FROM affaire)
        """)
        for t in _CHILDREN
    ),
    *(f"DROP TABLE keep_{t}" for t in ("affaire", *_CHILDREN)),
]

# The pipe through time (SPEC §3 A10–A13), objectifs and dormant affaires (A14).
# affaire_version is append-only: each write of an affaire adds the affaire's whole state after
# the write (valid_from: the write's instant; written_by: its author), in the write's own
# transaction. It is the one record of the past: the Historique is derived from consecutive
# versions, and A8 and A10–A13 read it. A deleted affaire's versions go with it. Existing field
# history folds into versions (_FOLD); affaire_historique keeps the child events (documents,
# actions, projets added or removed). No unique key on (affaire_id, version): two saves of one
# affaire at once already clash on its row, and a key there turned that clash into a constraint
# error raised before it (the integrity check looks for duplicates instead).
# objectif: a target of CA signé for one commercial and one month (mois = the month's first
# day); objectif_historique keeps every change of it (who, when, from what to what).
_TYPES = {
    **dict.fromkeys(("date_debut", "date_fin", "date_signature", "date_cloture"), "DATE"),
    **dict.fromkeys(("ca_potentiel", "ca_attendu", "total_ht"), "DECIMAL(14, 2)"),
    **dict.fromkeys(("compte_id", "contact_id", "gestion_par"), "BIGINT"),
    "reussite": "INTEGER",
}
_REQUIRED = ("nom", "date_debut", "compte_id", "gestion_par", "statut", "etape", "type")
_FIELD_LIST = ", ".join(f"'{f}'" for f in AFFAIRE_FIELDS)


def _encoded(column: str) -> str:
    """A history value as a marker that is never NULL: '' for an empty value, '=' + the text
    otherwise; NULL then means "not written here" to last_value(... IGNORE NULLS)."""
    return f"CASE WHEN {column} IS NULL THEN '' ELSE '=' || {column} END"


def _decoded(name: str, marker: str) -> str:
    """The field's value from a marker of _encoded, typed as its column; a value the type
    refuses falls back to the affaire's current one where the column is required."""
    value = f"TRY_CAST(substr({marker}, 2) AS {_TYPES.get(name, 'VARCHAR')})"
    value = f"CASE WHEN {marker} = '' THEN NULL ELSE {value} END"
    return f"coalesce({value}, a.{name})" if name in _REQUIRED else value


# The fold of the field history (schema 3) into versions. Each instant of an affaire's history
# is one write, so one version: each field as last written at or before that instant; before
# a field's first change, the value that change started from; a field never changed keeps its
# current value. The latest instant's version is the current row itself. Versions are numbered
# so that the latest one carries affaire.version (which grows to the count of versions when an
# import wrote more instants than saves). An affaire without history gets one version, its
# current state at its creation. Then affaire_historique keeps only the child events.
_FOLD = [
    f"""
    CREATE TEMP TABLE fold_write AS
    SELECT h.affaire_id,
           h.changed_at,
           max(h.changed_by) AS changed_by,
           {
        ", ".join(
            f"arg_max({_encoded('h.nouveau')}, h.id) FILTER (WHERE h.champ = '{f}') AS {f}"
            for f in AFFAIRE_FIELDS
        )
    }
    FROM affaire_historique AS h
    WHERE h.champ IN ({_FIELD_LIST})
      AND h.affaire_id IN (SELECT id FROM affaire)
    GROUP BY h.affaire_id, h.changed_at
    """,
    f"""
    CREATE TEMP TABLE fold_first AS
    SELECT h.affaire_id,
           {
        ", ".join(
            f"arg_min({_encoded('h.ancien')}, (h.changed_at, h.id)) "
            f"FILTER (WHERE h.champ = '{f}') AS {f}"
            for f in AFFAIRE_FIELDS
        )
    }
    FROM affaire_historique AS h
    WHERE h.champ IN ({_FIELD_LIST})
    GROUP BY h.affaire_id
    """,
    f"""
    CREATE TEMP TABLE fold_state AS
    SELECT w.affaire_id,
           w.changed_at,
           w.changed_by,
           row_number() OVER ordre AS n,
           count(*) OVER (PARTITION BY w.affaire_id) AS total,
           {
        ", ".join(
            f"coalesce(last_value(w.{f} IGNORE NULLS) OVER ordre, ff.{f}) AS {f}"
            for f in AFFAIRE_FIELDS
        )
    }
    FROM fold_write AS w
    JOIN fold_first AS ff ON ff.affaire_id = w.affaire_id
    WINDOW ordre AS (
        PARTITION BY w.affaire_id
        ORDER BY w.changed_at
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
    """,
    f"""
    INSERT INTO affaire_version (affaire_id, version, valid_from, written_by,
                                 {", ".join(AFFAIRE_FIELDS)})
    SELECT s.affaire_id,
           s.n + greatest(a.version - s.total, 0),
           s.changed_at,
           s.changed_by,
           {
        ", ".join(
            f"CASE WHEN s.n = s.total THEN a.{f} "
            f"ELSE coalesce({_decoded(f, 's.' + f)}, "
            f"CASE WHEN s.{f} IS NULL THEN a.{f} END) END"
            for f in AFFAIRE_FIELDS
        )
    }
    FROM fold_state AS s
    JOIN affaire AS a ON a.id = s.affaire_id
    """,
    f"""
    INSERT INTO affaire_version (affaire_id, version, valid_from, written_by,
                                 {", ".join(AFFAIRE_FIELDS)})
    SELECT a.id, a.version, a.created_at, a.created_by,
           {", ".join(f"a.{f}" for f in AFFAIRE_FIELDS)}
    FROM affaire AS a
    WHERE a.id NOT IN (SELECT affaire_id FROM fold_write)
    """,
    """
    UPDATE affaire
    SET version = t.total
    FROM (
        SELECT affaire_id, max(total) AS total
        FROM fold_state
        GROUP BY affaire_id
    ) AS t
    WHERE affaire.id = t.affaire_id
      AND affaire.version < t.total
    """,
    f"""
    DELETE FROM affaire_historique
    WHERE champ IN ({_FIELD_LIST})
    """,
    "DROP TABLE fold_write",
    "DROP TABLE fold_first",
    "DROP TABLE fold_state",
]

MIGRATION_4 = [
    """
    CREATE TABLE affaire_version (
        affaire_id BIGINT NOT NULL REFERENCES affaire (id),
        version INTEGER NOT NULL,
        valid_from TIMESTAMP NOT NULL,
        written_by BIGINT,
        nom VARCHAR NOT NULL,
        date_debut DATE NOT NULL,
        date_fin DATE,
        compte_id BIGINT NOT NULL,
        contact_id BIGINT,
        gestion_par BIGINT NOT NULL,
        statut VARCHAR NOT NULL,
        etape VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        famille_article VARCHAR,
        notes VARCHAR,
        ca_potentiel DECIMAL(14, 2),
        reussite INTEGER,
        ca_attendu DECIMAL(14, 2),
        code_cloture VARCHAR,
        date_signature DATE,
        total_ht DECIMAL(14, 2),
        date_cloture DATE
    )
    """,
    *(MovesRows(statement) for statement in _FOLD),
    "ALTER TABLE etape ADD COLUMN jours_sans_activite INTEGER",
    """
    UPDATE etape
    SET jours_sans_activite = CASE nom
        WHEN 'Qualification' THEN 14
        WHEN 'Analyse des besoins' THEN 21
        WHEN 'Proposition commerciale' THEN 21
        WHEN 'Négociation' THEN 14
        ELSE 21
    END
    """,
    """
    CREATE TABLE objectif (
        utilisateur_id BIGINT NOT NULL REFERENCES utilisateur (id),
        mois DATE NOT NULL,
        montant DECIMAL(14, 2) NOT NULL CHECK (montant >= 0),
        updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        updated_by BIGINT,
        PRIMARY KEY (utilisateur_id, mois)
    )
    """,
    "CREATE SEQUENCE objectif_historique_id_seq START 1",
    """
    CREATE TABLE objectif_historique (
        id BIGINT PRIMARY KEY DEFAULT nextval('objectif_historique_id_seq'),
        utilisateur_id BIGINT NOT NULL,
        mois DATE NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        changed_by BIGINT,
        ancien DECIMAL(14, 2),
        nouveau DECIMAL(14, 2)
    )
    """,
]

# The base's change stamp: each committed write transaction takes the next value, after its
# commit (crm_data.store.db.transaction), so the analyses' cache key is one read of it, not an
# aggregate over every table (144 ms per call on PostgreSQL at a million affaires). A sequence,
# not a row: concurrent writers never clash on it. DuckDB bases keep their aggregate key (a few
# ms there) and never take values.
MIGRATION_5 = ["CREATE SEQUENCE change_stamp_seq START 1"]

# PostgreSQL's indexes (issue 16): it indexes no foreign key by itself, so every lookup of an
# affaire's actions, versions, documents or projets, and of a compte's contacts and affaires,
# scanned the whole child table (the page's dormant marks, the record's tabs); the list's default
# sort and the board's cards walk an index to their first rows instead of sorting a million.
# Each index's columns and order are the ones a query names (ORDER BY ... NULLS LAST, id), so
# that PostgreSQL can read the index in that order.
_PG_INDEXES = (
    ("action_affaire_idx", "action", "affaire_id"),
    ("affaire_version_affaire_idx", "affaire_version", "affaire_id, valid_from, version"),
    ("document_affaire_idx", "document", "affaire_id"),
    ("projet_affaire_idx", "projet", "affaire_id"),
    ("affaire_historique_affaire_idx", "affaire_historique", "affaire_id"),
    ("contact_compte_idx", "contact", "compte_id"),
    ("affaire_compte_idx", "affaire", "compte_id"),
    ("affaire_gestion_par_idx", "affaire", "gestion_par, updated_at DESC NULLS LAST, id DESC"),
    ("affaire_updated_idx", "affaire", "updated_at DESC NULLS LAST, id DESC"),
    ("affaire_ca_potentiel_idx", "affaire", "ca_potentiel DESC NULLS LAST, id DESC"),
)
MIGRATION_6: list[str] = [
    *(PostgresOnly(f"CREATE INDEX {n} ON {t} ({columns})") for n, t, columns in _PG_INDEXES),
    # The board's cards (open affaires of one étape by date fin): partial, since an index led
    # by statut is read unordered for the list of statuts the filter binds (`= ANY(...)`).
    PostgresOnly("""
    CREATE INDEX affaire_board_idx ON affaire (etape, date_fin, id)
    WHERE statut = 'En cours' AND deleted_at IS NULL
    """),
]

# PostgreSQL keeps each version's neighbours, for the pipe through time (store.pg_versions).
# Each engine has the view of SPEC §3 A13's reports: per affaire with at least one, how many
# of its versions moved date_fin later than the version before. DuckDB reads each version's
# predecessor with a window pass; PostgreSQL from the version itself, through a partial index
# (and as the reader, so that a commercial's row-level security applies).
MIGRATION_7: list[str] = [
    *(PostgresOnly(statement) for statement in pg_versions.STATEMENTS),
    DuckDBOnly("""
    CREATE VIEW affaire_reports AS
    SELECT affaire_id, count(*) AS reports
    FROM (
        SELECT affaire_id,
               date_fin > lag(date_fin) OVER (PARTITION BY affaire_id ORDER BY valid_from, version)
                   AS later
        FROM affaire_version
    ) AS l
    WHERE later
    GROUP BY affaire_id
    """),
    PostgresOnly("""
    CREATE VIEW affaire_reports WITH (security_invoker = true) AS
    SELECT affaire_id, count(*) AS reports
    FROM affaire_version
    WHERE date_fin > date_fin_avant
    GROUP BY affaire_id
    """),
]

# Mes actions on PostgreSQL (issue 16): a user's actions left to do, by échéance, read from an
# index of the not-done actions instead of a scan of every action (5 million in the demo base);
# the dormant affaires, oldest save first, walk the open affaires in that order and stop at
# the first twenty instead of testing every open affaire before sorting them (1.5 s → 2 ms).
MIGRATION_8: list[str] = [
    PostgresOnly("""
    CREATE INDEX action_todo_idx ON action (utilisateur_id, echeance, id)
    WHERE NOT fait
    """),
    PostgresOnly("""
    CREATE INDEX affaire_open_updated_idx ON affaire (updated_at, id)
    WHERE statut = 'En cours' AND deleted_at IS NULL
    """),
    PostgresOnly("""
    CREATE INDEX affaire_open_gestion_par_idx ON affaire (gestion_par, updated_at, id)
    WHERE statut = 'En cours' AND deleted_at IS NULL
    """),
    # The Comptes and Contacts screens cut their page by name from these, not from a sort of
    # every compte or contact.
    PostgresOnly("CREATE INDEX compte_nom_cle_idx ON compte (nom_cle, id)"),
    PostgresOnly("CREATE INDEX contact_nom_idx ON contact (nom, prenom, id)"),
]

# The affaires list at a million affaires on PostgreSQL (store.pg_list): trigram indexes for its
# search (when pg_trgm can be created), and the reports and last action done of each affaire
# kept on it by triggers, for its sort by reports and its dormant filter.
MIGRATION_9: list[str] = [PostgresOnly(statement) for statement in pg_list.STATEMENTS]

# The analyses' screens on PostgreSQL (issue 16): their indexes (store.pg_analyses).
MIGRATION_10: list[str] = [PostgresOnly(statement) for statement in pg_analyses.STATEMENTS]

# The Ventes screen on PostgreSQL (issue 16): its covering indexes (store.pg_ventes).
MIGRATION_11: list[str] = [PostgresOnly(statement) for statement in pg_ventes.STATEMENTS]

# The Pipe screen on PostgreSQL (issue 16): its covering indexes (store.pg_pipe).
MIGRATION_12: list[str] = [PostgresOnly(statement) for statement in pg_pipe.STATEMENTS]

MIGRATIONS: list[list[str]] = [
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    MIGRATION_7,
    MIGRATION_8,
    MIGRATION_9,
    MIGRATION_10,
    MIGRATION_11,
    MIGRATION_12,
]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con: Connection) -> int:
    """The base's schema version; 0 for an empty base."""
    exists = con.execute(
        """
        SELECT count(*)
        FROM information_schema.tables
        WHERE table_name = 'schema_version'
          AND table_schema = current_schema()
        """
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute(
        """
        SELECT max(version)
        FROM schema_version
        """
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply every migration above the base's version up to target, each in its own transaction.

    Returns the version reached. A base newer than this code is left untouched. Then finishes
    the deletions a stopped process left half-done (affaires marked deleted, see
    crm_data.store.purge).
    """
    version = current_version(con)
    while version < target:
        statements = MIGRATIONS[version]
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                if isinstance(statement, MovesRows) and dialect(con) == POSTGRESQL:
                    continue
                if isinstance(statement, PostgresOnly) and dialect(con) != POSTGRESQL:
                    continue
                if isinstance(statement, DuckDBOnly) and dialect(con) == POSTGRESQL:
                    continue
                con.execute(statement)
            con.execute(
                """
                INSERT INTO schema_version (version, applied_at)
                VALUES (?, ?)
                """,
                [version + 1, dt.datetime.now()],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version += 1
    if version >= 3:
        purge_marked(con)
    return version
