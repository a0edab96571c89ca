"""A throwaway PostgreSQL server on loopback, for tests, benchmarks and demos (NOTES-postgres.md).

Debian's binaries (`postgresql` package); `initdb` and `postgres` refuse root, so under root they
run as the `postgres` user, in a fresh folder it owns. Trust authentication is acceptable only
because the server listens on 127.0.0.1 alone and its socket lives in that private folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from crm_data.model import CrmError


def binaries() -> Path | None:
    """The folder of Debian's newest PostgreSQL binaries, or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """A server started in a temporary folder; stop() ends it and removes the folder.

    durable=False (tests) turns fsync and synchronous commits off; benchmarks keep them on.
    """

    def __init__(self, *, durable: bool = True) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise CrmError(
                "PostgreSQL n'est pas installé : apt-get install -y --no-install-recommends "
                "postgresql"
            )
        self.bin = bin_dir
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        self.data = self.folder / "data"
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = _free_port()
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += " -c max_connections=200"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CrmError(f"{program} a échoué : {result.stdout}{result.stderr}")

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server (created by the caller)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
