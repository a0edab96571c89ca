"""Which screens each role may use: pages offered in the navigation and checked again inside.

Hiding a page is only comfort; the data a page shows is filtered by crm_data for the actor.
"""

from __future__ import annotations

import enum
from typing import Literal

import streamlit as st

from crm_data.model import Actor, Role


class Area(enum.StrEnum):
    AFFAIRES = "affaires"
    COMPTES = "comptes"
    CONTACTS = "contacts"
    PIPE = "pipe"
    VENTES = "ventes"
    OBJECTIFS = "objectifs"
    IMPORT_EXPORT = "import_export"
    PARAMETRES = "parametres"
    UTILISATEURS = "utilisateurs"
    SAUVEGARDES = "sauvegardes"


ROLE_LABELS = {
    Role.ADMIN: "Administrateur",
    Role.MANAGER: "Manager",
    Role.COMMERCIAL: "Commercial",
}

_EVERYONE = frozenset(Role)
_ADMIN = frozenset({Role.ADMIN})
AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.AFFAIRES: _EVERYONE,
    Area.COMPTES: _EVERYONE,
    Area.CONTACTS: _EVERYONE,
    # A commercial sees their own pipe and figures: the analyses filter by the actor.
    Area.PIPE: _EVERYONE,
    Area.VENTES: _EVERYONE,
    Area.OBJECTIFS: frozenset({Role.MANAGER, Role.ADMIN}),
    Area.IMPORT_EXPORT: _ADMIN,
    Area.PARAMETRES: _ADMIN,
    Area.UTILISATEURS: _ADMIN,
    Area.SAUVEGARDES: _ADMIN,
}
"""The roles that may use each area; an area missing here is refused to everyone."""


def may_use(actor: Actor, area: Area) -> bool:
    """True when the actor's role may open the screens of this area."""
    return actor.role in AREA_ROLES.get(area, frozenset())


def visibility(actor: Actor, area: Area) -> Literal["visible", "hidden"]:
    """How a page of this area appears in the actor's navigation (hidden pages stay registered,
    so that a deep link answers "Accès refusé" instead of "Page not found")."""
    return "visible" if may_use(actor, area) else "hidden"


def page(
    actor: Actor,
    area: Area,
    path: str,
    title: str,
    icon: str,
    *,
    default: bool = False,
) -> st.Page:
    """A navigation page, hidden for the roles that may not use its area.

    The default page is served at `/` but reserves a path of its own, which Streamlit then
    answers with its English « Page not found »: it reserves one nobody types (`accueil`), so
    that its own name can lead to it (dashboard.py's `/affaires`)."""
    return st.Page(
        path,
        title=title,
        icon=icon,
        default=default,
        url_path="accueil" if default else None,
        visibility=visibility(actor, area),
    )


def require(actor: Actor, area: Area) -> None:
    """Stop the page with "Accès refusé" unless the actor's role may use this area."""
    if may_use(actor, area):
        return
    st.error(
        f"Accès refusé : cette page n'est pas ouverte au rôle {ROLE_LABELS[actor.role].lower()}.",
        icon=":material/block:",
    )
    st.stop()
