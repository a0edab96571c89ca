"""Which role may use which area of the app: the table behind the navigation and the page checks."""

from __future__ import annotations

import pytest

from crm_data.model import Actor, Role
from crm_ui.access import AREA_ROLES, Area, may_use, visibility

ADMIN_ONLY = {Area.IMPORT_EXPORT, Area.PARAMETRES, Area.UTILISATEURS, Area.SAUVEGARDES}
MANAGERS = {Area.OBJECTIFS}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("area", list(Area))
def test_admin_areas_are_for_admins_and_the_rest_for_everyone(role: Role, area: Area) -> None:
    actor = Actor(id=1, login="x", nom="X", role=role)
    if area in MANAGERS:
        expected = role in (Role.ADMIN, Role.MANAGER)
    else:
        expected = role == Role.ADMIN or area not in ADMIN_ONLY
    assert may_use(actor, area) is expected
    assert visibility(actor, area) == ("visible" if expected else "hidden")


def test_every_area_has_its_roles() -> None:
    assert set(AREA_ROLES) == set(Area)
