"""A PostgreSQL base nobody answers for: the user reads one French message, and none of
psycopg_pool's English lines (which pytest's own log handlers would hide in-process)."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.test_cli import run


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nobody listens on the port just freed.
    return f"postgresql://crm:secret@127.0.0.1:{port}/crm"


def test_the_command_line_says_it_in_one_french_line(tmp_path: Path) -> None:
    done = run("--db", _dead_url(), "check", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Impossible d'ouvrir la base PostgreSQL postgresql://crm@")
    assert "ne répond pas" in lines[0]
