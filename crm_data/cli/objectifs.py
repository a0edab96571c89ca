"""`python -m crm_data objectifs import|export FILE` (SPEC §5): the objectifs file, all or nothing
on import, acting as the local administrator."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from crm_data.files.objectifs_file import export_objectifs, import_objectifs
from crm_data.model import CrmError
from crm_data.store.db import Connection
from crm_data.text import count_fr
from crm_data.users import local_admin


def add_parsers(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register `objectifs import FILE` and `objectifs export FILE [--annee AAAA]`."""
    parser = subparsers.add_parser(
        "objectifs", parents=[common], help="importer ou exporter les objectifs mensuels"
    )
    actions = parser.add_subparsers(dest="objectifs_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", parents=[common], help="fixer les objectifs d'un fichier")
    imp.add_argument("file", metavar="FICHIER", type=Path)
    exp = actions.add_parser("export", parents=[common], help="exporter les objectifs")
    exp.add_argument("file", metavar="FICHIER", type=Path)
    exp.add_argument("--annee", type=int, metavar="AAAA", help="une année seulement (sinon toutes)")


def handle(con: Connection, args: argparse.Namespace) -> int:
    """Run the objectifs action; 0 when done. CrmError (ValidationError listing every bad cell)
    when the file is refused: nothing is then written."""
    if args.objectifs_command == "import":
        count = import_objectifs(con, local_admin(con), args.file)
        print(
            f"{count_fr(count, 'objectif enregistré', 'objectifs enregistrés')} depuis {args.file}."
        )
        return 0
    if args.file.suffix.lower() not in (".csv", ".xlsx"):
        raise CrmError("Le fichier d'export doit finir par .csv ou .xlsx.")
    if args.annee is not None:
        du, au = dt.date(args.annee, 1, 1), dt.date(args.annee, 12, 31)
    else:
        du, au = dt.date(1900, 1, 1), dt.date(9999, 12, 31)
    count = export_objectifs(con, local_admin(con), args.file, du, au)
    print(f"{count_fr(count, 'objectif exporté', 'objectifs exportés')} dans {args.file}.")
    return 0
