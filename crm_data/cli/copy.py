"""`python -m crm_data copy --vers PATH|URL` (SPEC §5): the whole base of --db into a new base of
either engine, all or nothing, with a progress line on a terminal."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from crm_data.store import copy, db

Progress = Callable[[float, str], None]


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register `copy --vers PATH|URL`."""
    parser = subparsers.add_parser(
        "copy",
        parents=[common],
        help="copier toute la base (tables, historique) dans une base neuve, DuckDB ou PostgreSQL",
    )
    parser.add_argument(
        "--vers",
        required=True,
        type=db.target,
        metavar="PATH|URL",
        help="la base cible : un fichier DuckDB ou une URL postgresql:// (sans affaires)",
    )


def handle(con: db.Connection, args: argparse.Namespace, progress: Progress) -> int:
    """Copy the open base to args.vers; 0 when done. CrmError (French) when refused."""
    if db.shown(args.vers) == db.shown(args.db) or (
        not db.is_url(args.vers)
        and not db.is_url(args.db)
        and args.vers.resolve() == args.db.resolve()
    ):
        raise copy.CopyError("La base cible doit être une autre base que la base copiée.")
    counts = copy.copy_base(con, args.vers, progress=progress)
    versions = counts.get("affaire_version", 0)
    print(
        f"Base copiée dans {db.shown(args.vers)} : {counts.get('affaire', 0)} affaires, "
        f"{versions} versions d'affaires, {sum(counts.values())} lignes en tout."
    )
    return 0
