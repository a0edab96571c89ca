"""The Sauvegardes panel for an administrator: download a backup of the running base, restore one.

Backups and checks live in crm_data.store.backup; this module only reads widgets and reopens the
base.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from contextlib import suppress
from pathlib import Path

import streamlit as st

from crm_data.model import Actor, CrmError
from crm_data.store import backup, integrity
from crm_data.store.db import Connection
from crm_data.text import count_fr, datetime_fr
from crm_ui import formatting, session
from crm_ui.chrome import upload_note
from crm_ui.fields import plain

RESTORE_MAX_MB = 2048
_CHECKED_KEY = "backup_restore_checked"
_PROBLEMS_KEY = "backup_check_problems"


def backup_bytes(con: Connection) -> bytes:
    """A fresh backup of the base as the bytes of its file."""
    with tempfile.TemporaryDirectory(prefix="crm-sauvegarde-") as folder:
        info = backup.backup(con, Path(folder) / f"sauvegarde{backup.suffix_of(con)}")
        return info.path.read_bytes()


def render(con: Connection, actor: Actor) -> None:
    """Draw the panel; anyone but an admin gets a refusal and nothing else."""
    if not actor.is_admin:
        st.error("Les sauvegardes sont réservées aux administrateurs.", icon="🔒")
        return
    _render_backup(con)
    _render_restore()
    _render_check(con)


def _render_backup(con: Connection) -> None:
    st.subheader("Sauvegarder")
    st.caption(
        "Une copie complète et cohérente de la base, faite sans interrompre les utilisateurs : "
        "une fiche enregistrée pendant la copie y est entièrement ou pas du tout."
    )
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    st.download_button(
        "Sauvegarder",
        data=lambda: backup_bytes(con),
        file_name=f"crm-sauvegarde-{stamp}{backup.suffix_of(con)}",
        mime="application/octet-stream",
        icon=":material/download:",
        key="backup_download",
    )


def _render_restore() -> None:
    st.subheader("Restaurer")
    st.caption(
        "Remplace toute la base par une sauvegarde. La base actuelle est d'abord sauvegardée "
        "à côté d'elle (fichier « avant-restauration »)."
    )
    label = f"Fichier de sauvegarde ({RESTORE_MAX_MB:,} Mo au plus)".replace(",", "\u00a0")
    kind = backup.suffix_of(session.db_path())
    upload_note(label, f"Sauvegarde {kind}, {RESTORE_MAX_MB:,} Mo au plus".replace(",", "\u00a0"))
    uploaded = st.file_uploader(
        label,
        key="backup_restore_file",
        max_upload_size=RESTORE_MAX_MB,
    )
    if uploaded is None:
        st.session_state.pop(_CHECKED_KEY, None)
        return
    with tempfile.TemporaryDirectory(prefix="crm-restauration-") as folder:
        # The user's file name (its last part only) so that messages name the file they chose.
        staged = Path(folder) / (Path(uploaded.name).name or "sauvegarde.duckdb")
        staged.write_bytes(uploaded.getvalue())
        try:
            info = backup.read_backup(staged)
        except CrmError as exc:
            st.error(plain(str(exc)))
            return
        affaires = info.digests.get("affaire", (0, ""))[0]
        st.info(
            f"Sauvegarde du {datetime_fr(info.created_at)} : "
            f"{formatting.number(affaires)} affaires, {formatting.number(info.rows)} lignes."
        )
        confirmed = st.checkbox(
            "Je remplace la base actuelle par cette sauvegarde", key="backup_restore_confirm"
        )
        if not st.button(
            "Restaurer", type="primary", disabled=not confirmed, key="backup_restore_button"
        ):
            return
        try:
            result = backup.restore(session.db_path(), staged)
        except CrmError as exc:
            st.error(plain(str(exc)))
            return
        except OSError as exc:
            st.error(f"La restauration a échoué ({plain(exc.strerror)}) : réessayez.")
            return
        finally:
            # A base that cannot be reopened shows its own French message on the next run.
            with suppress(CrmError):
                session.reconnect()
    st.cache_data.clear()
    kept = (
        f" L'ancienne base est gardée dans {plain(_kept_name(result.previous))} "
        f"(les {backup.KEEP_PREVIOUS} plus récentes sont gardées à côté de la base)."
        if result.previous
        else ""
    )
    session.flash(f"Sauvegarde du {datetime_fr(info.created_at)} restaurée.{kept}")
    # The restored base is checked at once; the result shows under « Vérifier la base ».
    st.session_state[_PROBLEMS_KEY] = integrity.check(session.connection())
    st.rerun()


def _kept_name(previous: Path | str) -> str:
    """The kept copy's file name, or the kept PostgreSQL database's name."""
    return previous.name if isinstance(previous, Path) else previous.rpartition("/")[2]


def _render_check(con: Connection) -> None:
    st.subheader("Vérifier la base")
    st.caption(
        "Cherche les fiches rattachées à une affaire disparue, les affaires hors des règles et "
        "les champs différents de leur dernier historique. Faite aussi après chaque restauration."
    )
    if st.button("Vérifier", key="backup_check_button", icon=":material/fact_check:"):
        st.session_state[_PROBLEMS_KEY] = integrity.check(con)
    problems = st.session_state.get(_PROBLEMS_KEY)
    if problems is None:
        return
    if not problems:
        st.success("Aucun problème trouvé dans la base.")
        return
    st.error(f"{count_fr(len(problems), 'problème trouvé', 'problèmes trouvés')} :")
    for problem in problems:
        st.markdown(f"- {plain(problem)}")
