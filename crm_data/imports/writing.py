"""Writing the valid rows of an import: the affaires with the comptes and contacts they name
first created, in bulk (crm_data.imports.bulk's statements), inside the caller's transaction.

write_checked inserts a checked chunk straight from its table (both imports); write_affaires
inserts affaires built in Python by validation, the way imports wrote before: no import uses it
any more, tests/test_import_checked_insert.py compares write_checked's rows with its rows.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from crm_data.comptes import insert_comptes
from crm_data.files.canonical import TextChunk
from crm_data.imports.bulk import allocate_ids, insert_affaires, insert_contacts, insert_selected
from crm_data.imports.names import Names
from crm_data.imports.set_validation import CHECKED_TABLE, CheckedChunk
from crm_data.model import Actor, Affaire
from crm_data.store.db import Connection


def write_checked(
    cur: Connection,
    actor: Actor,
    chunk: TextChunk,
    valid: list[int],
    checked: CheckedChunk,
    names: Names,
    *,
    dry_run: bool = False,
) -> list[int]:
    """Insert the valid rows of a checked chunk (check_chunk_rows) straight from its table, with
    the comptes and contacts they name; their affaire ids. A dry run (rolled back by its
    caller) draws no number from the sequences."""
    now = dt.datetime.now()
    rows = pa.array(valid, pa.int64())
    comptes = pc.take(checked.compte_ids, rows)
    contacts = pc.take(checked.contact_ids, rows)
    used = (set(pc.unique(comptes).to_pylist()), set(pc.unique(contacts).to_pylist()))
    real, real_contact = _create_names(cur, actor, names, used, now, dry_run=dry_run)
    ids = allocate_ids(cur, "affaire_id_seq", len(valid), dry_run=dry_run)
    source_ids = pc.take(chunk.text("source_id"), rows)
    frame = pa.table(
        {
            "idx": rows,
            "id": pa.array(ids, pa.int64()),
            "compte_id": _settled(real, comptes),
            "contact_id": _settled(real_contact, contacts),
            "source_id": pc.if_else(
                pc.equal(source_ids, ""), pa.scalar(None, pa.string()), source_ids
            ),
        }
    )
    insert_selected(cur, actor, CHECKED_TABLE, frame, now)
    return ids


def write_affaires(
    cur: Connection,
    actor: Actor,
    valid: list[tuple[Affaire, str | None]],
    names: Names,
    *,
    dry_run: bool = False,
) -> list[int]:
    """Insert the valid rows with the comptes and contacts they name; their affaire ids.

    A dry run (rolled back by its caller) draws no number from the sequences.
    """
    now = dt.datetime.now()
    used = ({aff.compte_id for aff, _ in valid}, {aff.contact_id for aff, _ in valid})
    real, real_contact = _create_names(cur, actor, names, used, now, dry_run=dry_run)
    ids = allocate_ids(cur, "affaire_id_seq", len(valid), dry_run=dry_run)
    affaires: list[Affaire] = []
    for (aff, _), affaire_id in zip(valid, ids, strict=True):
        if aff.compte_id is not None and aff.compte_id < 0:
            aff.compte_id = real[aff.compte_id]
        if aff.contact_id is not None and aff.contact_id < 0:
            aff.contact_id = real_contact[aff.contact_id]
        aff.id = affaire_id
        affaires.append(aff)
    insert_affaires(cur, actor, affaires, [s for _, s in valid], now)
    return ids


def _settled(real: dict[int, int], given: pa.Array) -> pa.Array:
    """Rows' compte or contact ids once the new ones are inserted (real: by provisional id)."""
    if not real:
        return given
    found = pc.index_in(given, value_set=pa.array(list(real), pa.int64()))
    return pc.coalesce(pc.take(pa.array(list(real.values()), pa.int64()), found), given)


def _create_names(
    cur: Connection,
    actor: Actor,
    names: Names,
    used: tuple[set[int | None], set[int | None]],
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> tuple[dict[int, int], dict[int, int]]:
    """Insert the new comptes and contacts that the rows use (provisional ids, used); their real
    ids by provisional id, settled in names for the next chunks."""
    used_comptes, used_contacts = used
    comptes = [(i, nom) for i, nom in names.new_comptes.values() if i in used_comptes]
    contacts = [
        (i, c, nom) for (c, _), (i, nom) in names.new_contacts.items() if i in used_contacts
    ]
    real = dict(
        zip(
            [i for i, _ in comptes],
            allocate_ids(cur, "compte_id_seq", len(comptes), dry_run=dry_run),
            strict=True,
        )
    )
    real_contact = dict(
        zip(
            [i for i, _, _ in contacts],
            allocate_ids(cur, "contact_id_seq", len(contacts), dry_run=dry_run),
            strict=True,
        )
    )
    insert_comptes(cur, actor, [(real[i], nom) for i, nom in comptes], now)
    insert_contacts(
        cur, actor, [(real_contact[i], real.get(c, c), nom) for i, c, nom in contacts], now
    )
    names.settle(real, real_contact)
    return real, real_contact
