"""`python -m crm_data backup FILE` and `restore FILE`: the command line side of
crm_data.store.backup.

Messages are French: what was saved or restored on stdout, why it was refused on stderr.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from crm_data.store import backup, marker
from crm_data.store.db import Connection, shown
from crm_data.text import datetime_fr


def add_parsers(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register `backup` and `restore` on the command line's subparsers."""
    save = subparsers.add_parser(
        "backup", parents=[common], help="sauvegarder la base dans un fichier"
    )
    # Kept as text: Path() would drop the trailing "/" that names a folder yet to be made.
    save.add_argument(
        "file", metavar="FICHIER", help="un fichier, ou un dossier (finissant par /) : nom daté"
    )
    save.add_argument(
        "--garder",
        type=int,
        default=14,
        metavar="N",
        help="dans un dossier, garder les N sauvegardes les plus récentes (14)",
    )
    load = subparsers.add_parser(
        "restore",
        parents=[common],
        help="remplacer la base par une sauvegarde (l'ancienne base est gardée à côté)",
    )
    load.add_argument("file", metavar="FICHIER", type=Path)


def _summary(info: marker.BackupInfo) -> str:
    affaires = info.digests.get("affaire", (0, ""))[0]
    return f"{affaires} affaires, {info.rows} lignes en tout"


def cmd_backup(con: Connection, args: argparse.Namespace) -> int:
    """Write a backup of the base to args.file, or to a dated file when it is a folder (keeping
    the --garder newest there); 0 when done."""
    target = Path(args.file)
    if target.is_dir() or args.file.endswith(("/", os.sep)):
        info = backup.backup_to_folder(con, target, keep=args.garder)
    else:
        info = backup.backup(con, target)
    print(f"Sauvegarde écrite dans {info.path} ({_summary(info)}).")
    return 0


def cmd_restore(con: Connection, args: argparse.Namespace) -> int:
    """Replace the base at args.db by the backup args.file; 0 when done.

    The command's own connection is closed first: the file is swapped under no one.
    """
    con.close()
    result = backup.restore(args.db, args.file)
    info = result.restored
    print(
        f"Sauvegarde du {datetime_fr(info.created_at)} restaurée dans {shown(args.db)} "
        f"({_summary(info)})."
    )
    if result.previous is not None:
        print(f"L'ancienne base est gardée dans {result.previous}.")
    return 0
