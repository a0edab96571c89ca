"""The Fiche affaire's form: every field of SPEC §1 in the guide's order, grouped as a person
fills them. Values live in session state per record (nothing typed is lost on a rejected save),
and a save is checked against the version the record was opened with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from crm_data import affaires, contacts, referentiels, users
from crm_data.model import (
    AFFAIRE_FIELDS,
    Actor,
    Affaire,
    ConflictError,
    CrmError,
    NotFoundError,
    Statut,
    TypeAffaire,
    ValidationError,
)
from crm_data.money import parse_percent
from crm_data.store.db import Connection
from crm_data.validation import default_reussite
from crm_ui import formatting
from crm_ui.fields import amount_input, amount_text, clear_keys, field_errors, other_errors, plain
from crm_ui.formatting import date_fr
from crm_ui.record.compte_picker import compte_picker
from crm_ui.session import flash

NEW = "nouvelle"
_AMOUNTS = ("ca_potentiel", "ca_attendu", "total_ht")
_CLOSING = ("code_cloture", "date_signature", "total_ht", "date_cloture")
_CLOSED = (Statut.GAGNEE.value, Statut.PERDUE.value, Statut.ABANDONNEE.value)
MIN_DATE = dt.date(1990, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def prefix(affaire_id: int | None) -> str:
    """The session-state prefix of a record's values and widgets."""
    return f"fiche.{affaire_id or NEW}."


def _widget_value(name: str, value: Any) -> Any:
    # Amounts and the réussite are typed as French text and parsed by crm_data on save, so
    # that whatever was typed stays in its field when the save is refused.
    if name in _AMOUNTS:
        return amount_text(value)
    if name == "reussite":
        return "" if value is None else str(value)
    return value


def opened(con: Connection, actor: Actor, affaire_id: int | None) -> Affaire:
    """The record as it was when opened, read once: later reruns never re-read it (a re-read
    would let a stale form overwrite a newer save)."""
    key = prefix(affaire_id)
    orig = st.session_state.get(key + "orig")
    if isinstance(orig, Affaire):
        _restore_missing(key, orig)
        return orig
    if affaire_id is None:
        orig, _ = affaires.preview(con, actor, {})
    else:
        orig = affaires.get_affaire(con, actor, affaire_id)
    st.session_state[key + "orig"] = orig
    for name in AFFAIRE_FIELDS:
        st.session_state[key + name] = _widget_value(name, getattr(orig, name))
    return orig


def _restore_missing(key: str, orig: Affaire) -> None:
    # Streamlit drops a widget's value when a run ends without drawing it, as a closing field
    # hidden by the statut. The draft of the last complete run brings such values back, so
    # switching the statut back and forth loses nothing typed.
    draft: dict[str, Any] = st.session_state.get(key + "draft", {})
    for name in AFFAIRE_FIELDS:
        if key + name not in st.session_state:
            st.session_state[key + name] = draft.get(name, _widget_value(name, getattr(orig, name)))


def _remember_draft(key: str) -> None:
    st.session_state[key + "draft"] = {
        name: st.session_state[key + name]
        for name in AFFAIRE_FIELDS
        if key + name in st.session_state
    }


def close(affaire_id: int | None) -> None:
    """Forget the record's values and go back to the list (its filters are kept)."""
    clear_keys(prefix(affaire_id))
    if "affaire" in st.query_params:
        del st.query_params["affaire"]


def reload(affaire_id: int | None) -> None:
    """Forget what was typed and read the record again at its current version."""
    clear_keys(prefix(affaire_id))


def _values(key: str, statut: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in AFFAIRE_FIELDS:
        if name in _CLOSING and not _closing_shown(name, statut):
            continue
        # An amount goes as typed: crm_data's one parser rounds it half-up to the cent.
        values[name] = st.session_state.get(key + name)
    return values


def _closing_shown(name: str, statut: str) -> bool:
    if statut == Statut.EN_COURS.value:
        return False
    if statut == Statut.GAGNEE.value:
        # A Gagnée closes on its date de signature: a closing date typed here would be lost.
        return name in ("date_signature", "total_ht")
    return name in ("code_cloture", "date_cloture")


def _save(con: Connection, actor: Actor, affaire_id: int | None) -> None:
    key = prefix(affaire_id)
    orig = st.session_state[key + "orig"]
    values = _values(key, str(st.session_state.get(key + "statut")))
    st.session_state.pop(key + "conflict", None)
    try:
        if affaire_id is None:
            new_id = affaires.create_affaire(con, actor, values)
            clear_keys(key)
            st.query_params["affaire"] = str(new_id)
            flash(f"Affaire « {plain(values['nom'].strip())} » créée.")
            return
        affaires.update_affaire(con, actor, affaire_id, values, orig.version)
    except ValidationError as exc:
        st.session_state[key + "errors"] = exc.errors
        return
    except ConflictError as exc:
        st.session_state[key + "conflict"] = str(exc)
        return
    except CrmError as exc:
        st.session_state[key + "errors"] = [("", str(exc))]
        return
    clear_keys(key)
    flash("Affaire enregistrée.")


def _delete(con: Connection, actor: Actor, affaire_id: int, version: int) -> None:
    try:
        affaires.delete_affaire(con, actor, affaire_id, version)
    except (ConflictError, NotFoundError, CrmError) as exc:
        st.session_state[prefix(affaire_id) + "conflict"] = str(exc)
        return
    close(affaire_id)
    flash("Affaire supprimée.", icon="🗑️")


def _rates(con: Connection) -> dict[str, int]:
    return {e.nom: e.reussite_defaut for e in referentiels.list_etapes(con, active_only=False)}


def _typed_reussite(key: str) -> int | None:
    try:
        return parse_percent(st.session_state.get(key + "reussite"))
    except ValueError:
        return -1


def _follow_reussite(con: Connection, key: str) -> None:
    """The réussite shown follows the statut and the étape as crm_data's rule will on save: a
    closed affaire's is fixed, a default one takes the new default, a hand-typed one stays."""
    rates = _rates(con)
    draft: dict[str, Any] = st.session_state.get(key + "draft", {})
    statut = st.session_state.get(key + "statut")
    new = default_reussite(statut, st.session_state.get(key + "etape"), rates)
    before = default_reussite(draft.get("statut"), draft.get("etape"), rates)
    typed = _typed_reussite(key)
    if new is not None and (statut in _CLOSED or typed is None or typed == before):
        st.session_state[key + "reussite"] = str(new)


def _on_statut(con: Connection, key: str) -> None:
    """A statut change fills what becomes required: the signing date and the signed amount for
    a Gagnée (today, the CA potentiel), the closing date for a Perdue or Abandonnée; the
    réussite follows."""
    _follow_reussite(con, key)
    statut = st.session_state.get(key + "statut")
    today = dt.date.today()
    if statut == Statut.GAGNEE.value:
        if st.session_state.get(key + "date_signature") is None:
            st.session_state[key + "date_signature"] = today
        if not str(st.session_state.get(key + "total_ht") or "").strip():
            st.session_state[key + "total_ht"] = st.session_state.get(key + "ca_potentiel")
    closed = statut in (Statut.PERDUE.value, Statut.ABANDONNEE.value)
    if closed and st.session_state.get(key + "date_cloture") is None:
        st.session_state[key + "date_cloture"] = today


def _options(con: Connection, referentiel: str, current: str | None) -> list[str | None]:
    values: list[str | None] = list(referentiels.names(con, referentiel))
    if current is not None and current not in values:
        values.append(current)
    return values


def _date(label: str, key: str, errors: list[tuple[str, str]], name: str) -> None:
    st.date_input(
        label, key=key + name, format="DD/MM/YYYY", min_value=MIN_DATE, max_value=MAX_DATE
    )
    field_errors(errors, name)


def _amount(label: str, key: str, errors: list[tuple[str, str]], name: str) -> None:
    amount_input(label, key + name)
    field_errors(errors, name)


def _select(
    label: str,
    options: list[Any],
    key: str,
    errors: list[tuple[str, str]],
    name: str,
    **kwargs: Any,
) -> None:
    # Streamlit's own placeholder is English ("Choose an option").
    kwargs.setdefault("placeholder", "Choisissez")
    st.selectbox(label, options, key=key + name, **kwargs)
    field_errors(errors, name)


def _identity(con: Connection, actor: Actor, key: str, errors: list[tuple[str, str]]) -> None:
    c1, c2, c3 = st.columns([3, 1, 1])
    with c1:
        # No max_chars: the browser would silently cut what is typed; the rule says it in French.
        st.text_input("Nom *", key=key + "nom")
        field_errors(errors, "nom")
    with c2:
        _date("Date de début *", key, errors, "date_debut")
    with c3:
        _date("Date fin (signature prévue)", key, errors, "date_fin")
    c1, c2, c3 = st.columns(3)
    with c1:
        compte_picker(con, actor, key)
        field_errors(errors, "compte_id")
    compte_id = st.session_state.get(key + "compte_id")
    frame = contacts.contacts_of_compte(con, int(compte_id)) if compte_id is not None else None
    names: dict[int, str] = {}
    if frame is not None:
        names = dict(zip(frame["id"].astype(int), frame["nom_complet"].astype(str), strict=True))
    if st.session_state.get(key + "contact_id") not in names:
        st.session_state[key + "contact_id"] = None
    with c2:
        _select(
            "Contact",
            list(names),
            key,
            errors,
            "contact_id",
            format_func=lambda i: names.get(i, str(i)),
            index=None,
            placeholder="Aucun contact" if names else "Ce compte n'a pas de contact",
        )
        if st.session_state.get(key + "contact_id") is None:
            st.caption("Conseillé : un contact rend les analyses plus utiles.")
    people = users.list_users(con)
    current_user = st.session_state.get(key + "gestion_par")
    people = people[people["actif"].astype(bool) | (people["id"] == current_user)]
    user_names = dict(zip(people["id"].astype(int), people["nom"].astype(str), strict=True))
    with c3:
        _select(
            "Gestion par *",
            list(user_names),
            key,
            errors,
            "gestion_par",
            format_func=lambda i: user_names.get(i, str(i)),
            disabled=not actor.sees_everything,
        )


def _progress(con: Connection, key: str, new: bool, errors: list[tuple[str, str]]) -> str:
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        _select(
            "Statut *",
            [s.value for s in Statut],
            key,
            errors,
            "statut",
            on_change=_on_statut,
            args=(con, key),
        )
    with c2:
        etape = st.session_state.get(key + "etape")
        _select(
            "Étape *",
            _options(con, "etape", etape),
            key,
            errors,
            "etape",
            on_change=_follow_reussite,
            args=(con, key),
        )
    with c3:
        _select("Type *", [t.value for t in TypeAffaire], key, errors, "type")
    with c4:
        famille = st.session_state.get(key + "famille_article")
        _select(
            "Famille d'article",
            _options(con, "famille_article", famille),
            key,
            errors,
            "famille_article",
            index=None,
            placeholder="Aucune",
        )
    st.text_area("Notes", key=key + "notes", height=120)
    field_errors(errors, "notes")
    return str(st.session_state.get(key + "statut"))


def _money(con: Connection, key: str, errors: list[tuple[str, str]]) -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        _amount("CA potentiel (€ HT)", key, errors, "ca_potentiel")
    with c2:
        # A closed affaire's réussite is fixed (100 or 0): crm_data would replace a typed one.
        closed = st.session_state.get(key + "statut") in _CLOSED
        st.text_input("Réussite (%)", key=key + "reussite", placeholder="ex. 60 %", disabled=closed)
        field_errors(errors, "reussite")
        _reussite_caption(con, key)
    with c3:
        _amount("CA attendu (€ HT, minimum)", key, errors, "ca_attendu")


def _reussite_caption(con: Connection, key: str) -> None:
    statut = st.session_state.get(key + "statut")
    if statut in _CLOSED:
        fixed = formatting.points(default_reussite(statut, None, {}))
        st.caption(f"Fixée à {fixed} : affaire {str(statut).lower()}.")
        return
    etape = st.session_state.get(key + "etape")
    default = default_reussite(statut, etape, _rates(con))
    typed = _typed_reussite(key)
    if default is None or typed is None or typed < 0:
        return
    if typed == default:
        st.caption("Taux par défaut de l'étape : suit l'étape.")
    else:
        shown = formatting.points(default)
        st.caption(f"Saisie à la main (défaut de l'étape : {shown}) : reste si l'étape change.")


def _closing(con: Connection, key: str, statut: str, errors: list[tuple[str, str]]) -> None:
    if statut == Statut.EN_COURS.value:
        return
    st.markdown(f"**Clôture — affaire {statut.lower()}**")
    c1, c2, c3 = st.columns(3)
    if statut == Statut.GAGNEE.value:
        with c1:
            _date("Date de signature *", key, errors, "date_signature")
        with c2:
            _amount("Total HT signé *", key, errors, "total_ht")
        with c3:
            signature = st.session_state.get(key + "date_signature")
            st.text_input(
                "Date de clôture",
                value=date_fr(signature) if isinstance(signature, dt.date) else "",
                disabled=True,
                help="Une affaire gagnée est close le jour de sa signature.",
            )
        return
    with c1:
        code = st.session_state.get(key + "code_cloture")
        required = statut == Statut.PERDUE.value
        _select(
            "Code clôture *" if required else "Code clôture",
            _options(con, "code_cloture", code),
            key,
            errors,
            "code_cloture",
            index=None,
            placeholder="Pourquoi l'affaire est-elle perdue ?" if required else "Aucun",
        )
        if required and st.session_state.get(key + "code_cloture") is None:
            st.warning("Une affaire perdue demande un code clôture.", icon=":material/help:")
    with c2:
        _date("Date de clôture", key, errors, "date_cloture")


def affaire_form(con: Connection, actor: Actor, affaire_id: int | None) -> Affaire:
    """Draw the record's form with its buttons; return the record as it was opened."""
    key = prefix(affaire_id)
    orig = opened(con, actor, affaire_id)
    errors: list[tuple[str, str]] = st.session_state.get(key + "errors", [])
    conflict = st.session_state.get(key + "conflict")
    # Always drawn, even empty, so that the form keeps its place in the page when the
    # message comes and goes (otherwise the browser briefly shows the form twice).
    notice = st.container()
    if conflict:
        notice.error(str(conflict), icon=":material/sync_problem:")
        notice.button("Recharger", key=key + "reload", on_click=reload, args=(affaire_id,))
    with st.container(border=True):
        _identity(con, actor, key, errors)
        statut = _progress(con, key, affaire_id is None, errors)
        _money(con, key, errors)
        _closing(con, key, statut, errors)
        shown = set(AFFAIRE_FIELDS) - {f for f in _CLOSING if not _closing_shown(f, statut)}
        other_errors(errors, shown)
    _remember_draft(key)
    b1, b2, b3, _ = st.columns([1, 1, 1, 3])
    b1.button(
        "Enregistrer",
        type="primary",
        key=key + "save",
        on_click=_save,
        args=(con, actor, affaire_id),
        icon=":material/save:",
    )
    b2.button("Fermer", key=key + "close", on_click=close, args=(affaire_id,))
    if affaire_id is not None:
        with b3.popover("Supprimer", icon=":material/delete:"):
            st.write("Supprimer l'affaire avec ses documents, projets, actions et historique ?")
            st.button(
                "Oui, supprimer",
                key=key + "delete",
                on_click=_delete,
                args=(con, actor, affaire_id, orig.version),
            )
    return orig
