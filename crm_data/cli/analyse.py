"""`python -m crm_data analyse NAME`: any analysis of SPEC §3 as CSV or JSON on stdout (SPEC §5).

Plain figures for scripts: no thousands separators, `.` as decimal point, ISO dates, empty for
a rate without denominator. Messages to the user are French, on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from typing import Any

import pandas as pd

from crm_data import referentiels
from crm_data.analyses.registry import AS_ON_DAY, REGISTRY, VALEURS, Filters, movements
from crm_data.model import CrmError, TypeAffaire
from crm_data.store import db
from crm_data.text import fold
from crm_data.users import local_admin, users_by_name


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » : attendu AAAA-MM-JJ") from exc


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `analyse` on the command line's subparsers and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "analyse",
        help="imprimer une analyse (pipe, prévision, résultats, pertes...) en CSV ou JSON",
        description="Imprime une analyse ; période : l'année civile en cours par défaut.",
    )
    parser.add_argument("name", metavar="NAME", choices=list(REGISTRY), help=", ".join(REGISTRY))
    parser.add_argument("--du", type=_iso_date, help="début de période (AAAA-MM-JJ), inclus")
    parser.add_argument("--au", type=_iso_date, help="fin de période (AAAA-MM-JJ), incluse")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument(
        "--le", type=_iso_date, help="pipe, prevision, commerciaux : tels qu'à la fin de ce jour"
    )
    parser.add_argument(
        "--valeur", choices=list(VALEURS), help="mouvements : valeur mesurée (ca_potentiel)"
    )
    parser.add_argument("--fenetre-du", dest="fenetre_du", type=_iso_date, metavar="AAAA-MM-JJ")
    parser.add_argument("--fenetre-au", dest="fenetre_au", type=_iso_date, metavar="AAAA-MM-JJ")
    parser.add_argument("--gestion-par", dest="gestion_par", metavar="NOM", action="append")
    parser.add_argument("--type", dest="type", metavar="TYPE", action="append")
    parser.add_argument("--famille", dest="famille", metavar="FAMILLE", action="append")
    # SUPPRESS: a top-level --db given before the command name must not be reset to None here.
    parser.add_argument(
        "--db", type=db.target, default=argparse.SUPPRESS, help="fichier ou URL de la base"
    )
    parser.set_defaults(handler=run)
    return parser


def _match(kind: str, given: list[str] | None, known: dict[str, Any]) -> list[Any]:
    """The known values matching each given name (ignoring case and accents), or CrmError."""
    found = []
    for name in given or []:
        key = fold(name)
        if key not in known:
            raise CrmError(f"{kind} inconnu(e) : « {name} ».")
        found.append(known[key])
    return found


def filters_from_args(con: db.Connection, args: argparse.Namespace) -> Filters:
    """The Filters the options ask for; CrmError in French for an unknown name or a bad period."""
    if args.du and args.au and args.du > args.au:
        raise CrmError("La date --du doit précéder la date --au.")
    by_name = users_by_name(con)
    familles = referentiels.names(con, "famille_article", active_only=False)
    return Filters(
        du=args.du,
        au=args.au,
        gestion_par=_match("Utilisateur", args.gestion_par, by_name),
        types=_match("Type", args.type, {fold(t.value): t.value for t in TypeAffaire}),
        familles=_match("Famille d'article", args.famille, {fold(f): f for f in familles}),
    )


def render(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as CSV (header, one line per row) or as a JSON array of objects."""
    if fmt == "json":
        return frame.to_json(orient="records", force_ascii=False, date_format="iso") + "\n"
    return frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")


def handle(con: db.Connection, args: argparse.Namespace) -> int:
    """Print the analysis named args.name on the open base; 0 when done. Raises CrmError with a
    French message for refused input (the command line prints it and exits 1)."""
    filters = filters_from_args(con, args)
    actor = local_admin(con)
    if args.le is not None:
        if args.name not in AS_ON_DAY:
            raise CrmError("L'option --le ne vaut que pour pipe, prevision et commerciaux.")
        filters = replace(filters, le=args.le)
    if args.name != "mouvements" and (args.valeur or args.fenetre_du or args.fenetre_au):
        raise CrmError("Les options --valeur et --fenetre-* ne valent que pour mouvements.")
    if args.name == "mouvements":
        if (args.fenetre_du is None) != (args.fenetre_au is None):
            raise CrmError("La fenêtre demande --fenetre-du et --fenetre-au ensemble.")
        if args.fenetre_du and args.fenetre_au and args.fenetre_du > args.fenetre_au:
            raise CrmError("La date --fenetre-du doit précéder la date --fenetre-au.")
        valeur = args.valeur or "ca_potentiel"
        window = (args.fenetre_du, args.fenetre_au) if args.fenetre_du else None
        frame = movements(con, actor, filters, valeur, window)
    else:
        frame = REGISTRY[args.name](con, actor, filters)
    sys.stdout.write(render(frame, args.format))
    return 0


def run(args: argparse.Namespace) -> int:
    """Open the base of args.db (else the default one), print the analysis, close the base;
    0 when done, 1 when the input is refused (the message on stderr)."""
    try:
        con = db.open_base(getattr(args, "db", None) or db.default_db_path())
    except CrmError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        return handle(con, args)
    except CrmError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        con.close()
