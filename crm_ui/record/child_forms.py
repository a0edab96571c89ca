"""What the record's tabs share: a table whose selected row opens its edit form, forms whose
values survive a rejected save, and deletion after confirmation.

Each record of a tab keeps its values under `{kind}.{affaire_id}.{record_id or 'new'}.`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from crm_data.model import CrmError, ValidationError
from crm_ui.fields import clear_keys, plain
from crm_ui.session import flash

Saver = Callable[[dict[str, Any]], object]


def form_key(kind: str, affaire_id: int, record_id: int | None) -> str:
    """The session-state prefix of one child record's form."""
    return f"{kind}.{affaire_id}.{record_id or 'new'}."


def submit(key: str, names: tuple[str, ...], save: Saver, message: str) -> None:
    """Save the form's values; keep them with the messages when refused, clear them on success."""
    values = {n: st.session_state.get(key + n) for n in names}
    try:
        save(values)
    except ValidationError as exc:
        st.session_state[key + "errors"] = exc.errors
        return
    except CrmError as exc:
        st.session_state[key + "errors"] = [("", str(exc))]
        return
    clear_keys(key)
    flash(message)


def remove(key: str, delete: Callable[[], object], message: str, table_key: str) -> None:
    """Delete after the user confirmed; a refusal (stale version, rights) shows on the form.

    The table's selection goes too: its row position would now point at another record.
    """
    try:
        delete()
    except CrmError as exc:
        st.session_state[key + "errors"] = [("", str(exc))]
        return
    clear_keys(key)
    st.session_state.pop(table_key, None)
    flash(message, icon="🗑️")


def init_once(key: str, record: Mapping[str, Any]) -> int:
    """Put a record's values in session state the first time its form opens; return the version
    it was opened with (later reruns keep it, so a stale save is refused)."""
    if key + "version" not in st.session_state:
        for name, value in record.items():
            if name not in ("id", "affaire_id", "version"):
                st.session_state[key + name] = value
        st.session_state[key + "version"] = int(record.get("version") or 0)
    return int(st.session_state[key + "version"])


def errors_of(key: str) -> list[tuple[str, str]]:
    """The messages of the form's last refused save."""
    return list(st.session_state.get(key + "errors", []))


def selected_id(table_key: str, frame: pd.DataFrame) -> int | None:
    """The id of the row selected in the dataframe drawn with table_key (positions → ids)."""
    state = st.session_state.get(table_key)
    rows = []
    if state is not None:
        selection = state.get("selection", {}) if isinstance(state, Mapping) else state.selection
        rows = list(selection.get("rows", []) if isinstance(selection, Mapping) else selection.rows)
    if not rows or rows[0] >= len(frame):
        return None
    return int(frame["id"].iloc[rows[0]])


def delete_button(
    key: str, delete: Callable[[], object], message: str, what: str, table_key: str
) -> None:
    """A Supprimer popover that asks for confirmation before deleting."""
    with st.popover("Supprimer", icon=":material/delete:"):
        st.write(f"Supprimer {plain(what)} ? Cette suppression est définitive.")
        st.button(
            "Oui, supprimer",
            key=key + "delete",
            on_click=remove,
            args=(key, delete, message, table_key),
        )
