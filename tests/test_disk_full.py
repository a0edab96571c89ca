"""A full disk: saves are refused in French, and once space is freed they work again in the same
process, even after DuckDB invalidated its database (the connection is reopened)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_data.model import CrmError
from crm_data.store import db
from tests.factories import make_affaire


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disque"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        db.close_shared(mount / "crm.duckdb")
        subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path) -> Path:
    filler = folder / "remplissage"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_saves_in_french_then_saves_work_again(small_disk: Path) -> None:
    con = db.shared_connection(small_disk / "crm.duckdb")
    make_affaire(con, nom="Avant")
    # Checkpoints at every commit: the failure then lands in one, which invalidates the base.
    con.execute("SET checkpoint_threshold = '1KB'")
    filler = fill(small_disk)
    messages = []
    for n in range(3):
        with pytest.raises(CrmError) as refused:
            make_affaire(con, nom=f"Disque plein {n}", notes="x" * 200_000)
        messages.append(str(refused.value))
    filler.unlink()
    make_affaire(con, nom="Après")
    print(f"\nrefusals: {messages}")
    assert all(m.startswith("Le disque de la base est plein") for m in messages)
    with db.read(con) as cur:
        names = {name for (name,) in cur.execute("SELECT nom FROM affaire").fetchall()}
    assert {"Avant", "Après"} <= names
