"""What a user typed is shown as text: a hostile ?affaire= target or user name makes no link,
no image and no formatting in the app's own messages and sidebar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_data import users
from crm_data.model import Role
from crm_data.store import db
from tests.pages import DASHBOARD, run_app, shown

PHISHING = "[Session expirée, reconnectez-vous](https://evil.example/login)![i](https://evil.example/i.png)"
HOSTILE_NAME = "**[x](https://evil.example)**![i](https://evil.example/i.png)"
# A markdown link, image or emphasis needs one of these unescaped.
_ACTIVE = re.compile(r"(?<!\\)[\[\]()*!_<>]|https?:(?!\u200b)|https?\\:(?!\u200b)")


def is_plain(markdown: str) -> bool:
    return _ACTIVE.search(markdown) is None


def test_a_hostile_affaire_target_is_shown_as_text(_isolated_base: Path) -> None:
    at = run_app(affaire=PHISHING)
    [error] = at.error
    assert is_plain(str(error.value))
    assert PHISHING in shown(str(error.value))


@pytest.mark.parametrize("target", ["²", "١٢", "12a", "9" * 40, "-1", " 1"])
def test_a_target_that_is_not_ascii_digits_is_refused_in_french(
    _isolated_base: Path, target: str
) -> None:
    at = run_app(affaire=target)
    assert "n'est pas un numéro d'affaire" in at.error[0].value


def test_a_user_named_in_markdown_is_shown_as_text_in_the_sidebar(_isolated_base: Path) -> None:
    con = db.shared_connection(_isolated_base)
    users.add_user(con, None, "piege", Role.ADMIN.value, HOSTILE_NAME, "piege@exemple.fr")
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.session_state["actor"] = users.get_actor(con, "piege")
    at.run()
    assert not at.exception
    [caption] = [c for c in at.sidebar.caption if "evil" in str(c.value)]
    assert is_plain(str(caption.value))
    assert shown(str(caption.value)).startswith(HOSTILE_NAME)
