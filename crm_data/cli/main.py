"""The command line (SPEC §5): `python -m crm_data init|demo|import|export|analyse|user add|check|
backup|restore|objectifs|copy`; --db and CRM_DB name a DuckDB file or a postgresql:// URL.

Exit status: 0 done, 1 rejected input (nothing written, problems on stderr in French), 2 wrong
usage. A new command is a parser in build_parser and a handler in HANDLERS.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crm_data.cli import analyse as cli_analyse
from crm_data.cli import backup as cli_backup
from crm_data.cli import copy as cli_copy
from crm_data.cli import objectifs as cli_objectifs
from crm_data.model import CrmError, Role, ValidationError
from crm_data.store.db import Connection, default_db_path, open_base, read, shown, target
from crm_data.store.engine import DUCKDB, dialect
from crm_data.store.schema import current_version
from crm_data.text import count_fr, whole_fr

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
DEMO_AFFAIRES = 5_000
DEMO_SEED = 1

Handler = Callable[[Connection, argparse.Namespace], int]


def _db_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        default=default,
        help="fichier DuckDB ou URL postgresql:// de la base (sinon $CRM_DB, sinon "
        "data/crm.duckdb)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each subparser's name is its key in HANDLERS."""
    common = argparse.ArgumentParser(add_help=False)
    _db_option(common, argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="python -m crm_data", description="CRM Affaires")
    _db_option(parser, None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    commands.add_parser("init", parents=[common], help="créer ou mettre à jour la base")
    demo = commands.add_parser("demo", parents=[common], help="remplir une base de démonstration")
    demo.add_argument("--affaires", type=int, default=DEMO_AFFAIRES, metavar="N")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, metavar="S")
    imp = commands.add_parser("import", parents=[common], help="importer un fichier d'affaires")
    imp.add_argument("file", metavar="FICHIER", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="enregistrer les lignes valides seulement"
    )
    imp.add_argument("--mapping", metavar="NOM", help="mapping enregistré (maven, salesforce)")
    exp = commands.add_parser("export", parents=[common], help="exporter toutes les affaires")
    exp.add_argument("file", metavar="FICHIER", type=Path)
    cli_analyse.add_parser(commands)
    user = commands.add_parser("user", parents=[common], help="gérer les utilisateurs")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", parents=[common], help="ajouter un utilisateur")
    add.add_argument("login", metavar="LOGIN")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--nom", default=None)
    add.add_argument("--email", default=None)
    commands.add_parser(
        "check", parents=[common], help="vérifier la base (liens, versions, règles)"
    )
    cli_backup.add_parsers(commands, common)
    cli_objectifs.add_parsers(commands, common)
    cli_copy.add_parser(commands, common)
    return parser


def _progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r{fraction:4.0%} {message[:70]:<70}", end="", file=sys.stderr, flush=True)
        if fraction >= 1:
            print(file=sys.stderr)


def cmd_init(con: Connection, args: argparse.Namespace) -> int:
    with read(con) as cur:
        version = current_version(cur)
    print(f"Base prête : {shown(args.db)} (schéma {version}).")
    return EXIT_OK


def cmd_demo(con: Connection, args: argparse.Namespace) -> int:
    from crm_data.demo import generate as demo

    if dialect(con) == DUCKDB:
        # DuckDB draws its own progress bar on long statements; ours says what is being loaded.
        con.execute("SET enable_progress_bar = false")
    counts = demo.generate(con, affaires=args.affaires, seed=args.seed, progress=_progress)
    labels = {
        "affaire": "affaires",
        "compte": "comptes",
        "contact": "contacts",
        "utilisateur": "utilisateurs",
        "action": "actions",
        "document": "documents",
        "projet": "projets",
        "affaire_version": "versions d'affaires",
    }
    summary = ", ".join(
        f"{counts[t]:,} {label}".replace(",", " ") for t, label in labels.items() if t in counts
    )
    print(f"Base de démonstration prête : {summary}.")
    return EXIT_OK


def cmd_import(con: Connection, args: argparse.Namespace) -> int:
    from crm_data.imports.canonical import import_file
    from crm_data.users import local_admin

    if args.mapping:
        return _import_mapped(con, args)
    report = import_file(
        con,
        local_admin(con),
        args.file,
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
        progress=_progress,
    )
    for error in report.errors:
        print(error, file=sys.stderr)
    if report.unknown_columns:
        print("Colonnes ignorées : " + ", ".join(report.unknown_columns), file=sys.stderr)
    done = "seraient créé" if args.dry_run else "créé"
    if report.comptes_crees:
        print(f"Comptes {done}s : " + _some(report.comptes_crees))
    if report.contacts_crees:
        print(f"Contacts {done}s : " + _some(report.contacts_crees))
    invalid = len(report.invalid_lines)
    if args.dry_run:
        valid = count_fr(report.valid_rows, "ligne valide", "lignes valides")
        print(f"Vérification : {valid}, {count_fr(invalid, 'ligne')} en erreur.")
        return EXIT_REJECTED if invalid else EXIT_OK
    if not report.written:
        print(
            f"Import refusé : {count_fr(invalid, 'ligne')} en erreur sur "
            f"{count_fr(report.rows_read, 'ligne')}, rien n'a été enregistré.",
            file=sys.stderr,
        )
        return EXIT_REJECTED
    skipped = f" ; {count_fr(invalid, 'ligne ignorée', 'lignes ignorées')}" if invalid else ""
    imported = count_fr(len(report.affaire_ids), "affaire importée", "affaires importées")
    print(f"{imported}{skipped}.")
    return EXIT_OK


def _some(names: list[str], shown: int = 10) -> str:
    """The first names and how many more: an import may create thousands of comptes."""
    more = f" … et {count_fr(len(names) - shown, 'autre')}" if len(names) > shown else ""
    return f"{whole_fr(len(names))} — " + ", ".join(names[:shown]) + more


def _import_mapped(con: Connection, args: argparse.Namespace) -> int:
    from crm_data.imports.mapped import import_mapped_file
    from crm_data.mapping.store import load_mapping
    from crm_data.users import local_admin

    report = import_mapped_file(
        con,
        local_admin(con),
        args.file,
        load_mapping(con, args.mapping),
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
        progress=_progress,
    )
    for error in report.errors:
        print(error, file=sys.stderr)
    if report.companions:
        print("Fichiers compagnons lus : " + ", ".join(report.companions))
    for line in report.summary():
        print(line)
    return EXIT_REJECTED if report.errors and (args.dry_run or not report.written) else EXIT_OK


def cmd_export(con: Connection, args: argparse.Namespace) -> int:
    from crm_data.files.export import export_affaires
    from crm_data.users import local_admin

    count = export_affaires(con, local_admin(con), args.file, progress=_progress)
    print(f"{count_fr(count, 'affaire exportée', 'affaires exportées')} dans {args.file}.")
    return EXIT_OK


def cmd_user_add(con: Connection, args: argparse.Namespace) -> int:
    from crm_data.users import add_user

    user_id = add_user(con, None, args.login, args.role, nom=args.nom, email=args.email)
    print(f"Utilisateur « {args.login} » créé (n° {user_id}, rôle {args.role}).")
    return EXIT_OK


def cmd_check(con: Connection, args: argparse.Namespace) -> int:
    """Run the integrity check: 0 when sound, 1 with every problem on stderr."""
    from crm_data.store.integrity import check

    problems = check(con)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        found = count_fr(len(problems), "problème trouvé", "problèmes trouvés")
        print(f"Base {shown(args.db)} : {found}.", file=sys.stderr)
        return EXIT_REJECTED
    print(f"Base {shown(args.db)} : aucun problème trouvé.")
    return EXIT_OK


HANDLERS: dict[str, Handler] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "import": cmd_import,
    "export": cmd_export,
    "analyse": cli_analyse.handle,
    "user add": cmd_user_add,
    "check": cmd_check,
    "backup": cli_backup.cmd_backup,
    "restore": cli_backup.cmd_restore,
    "objectifs": cli_objectifs.handle,
    "copy": lambda con, args: cli_copy.handle(con, args, _progress),
}


def _handler_key(args: argparse.Namespace) -> str:
    sub = getattr(args, "user_command", None)
    return f"{args.command} {sub}" if sub else str(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "export" and args.file.suffix.lower() not in (".csv", ".xlsx"):
        parser.error("le fichier d'export doit finir par .csv ou .xlsx")
    args.db = target(args.db) if args.db else default_db_path()
    handler = HANDLERS[_handler_key(args)]
    try:
        con = open_base(args.db)
    except CrmError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REJECTED
    try:
        return handler(con, args)
    except ValidationError as exc:
        for _, message in exc.errors:
            print(message, file=sys.stderr)
        return EXIT_REJECTED
    except CrmError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REJECTED
    except OSError as exc:
        print(f"Fichier inaccessible : {exc.filename or ''} ({exc.strerror}).", file=sys.stderr)
        return EXIT_REJECTED
    finally:
        con.close()
