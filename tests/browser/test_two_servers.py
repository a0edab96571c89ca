"""Two `streamlit run` servers on one PostgreSQL base behind haproxy with a sticky cookie
(docs/deploy.md): a clash between users on different servers, a document upload through the
proxy, a save seen from the other server after a reload, the command line beside both.

Each user's browser is pinned to one server by haproxy's SERVERID cookie, set before the first
request; haproxy's own log (one line per request, naming the server) proves who served whom.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm_data import affaires, documents, users
from crm_data.store import db
from tests import engines
from tests.browser.conftest import ROOT, Server, free_port, wait_for_app
from tests.factories import make_compte

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)
# Two servers, haproxy and PostgreSQL share a loaded CI machine with the other tests.
STEP = 60_000

HAPROXY = "/usr/sbin/haproxy"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def haproxy_config(port: int, servers: dict[str, int]) -> str:
    """The configuration of docs/deploy.md, on loopback, logging every request to stdout."""
    lines = "\n".join(
        f"    server {name} 127.0.0.1:{p} check cookie {name}" for name, p in servers.items()
    )
    return f"""\
global
    maxconn 256
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h

frontend crm
    bind 127.0.0.1:{port}
    default_backend streamlit

backend streamlit
    balance roundrobin
    cookie SERVERID insert indirect nocache
    option httpchk GET /_stcore/health
{lines}
"""


class Proxy:
    """haproxy in the foreground (-db) on a free loopback port; stop() ends it."""

    def __init__(self, folder: Path, servers: dict[str, int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, servers))
        check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.log = folder / "haproxy.log"
        self.process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"haproxy did not answer:\n{self.log.read_text()}")

    def served_by(self, server: str, path: str) -> int:
        """How many requests for path (a prefix) haproxy sent to server.

        haproxy logs a request when its connection ends: a websocket closed by the browser a
        moment ago may not be logged yet. So a count of none is read again until a deadline,
        and a count of some is returned at once.
        """
        pattern = re.compile(rf"streamlit/{server} .*\"[A-Z]+ {re.escape(path)}")
        deadline = time.monotonic() + 15
        while True:
            lines = self.log.read_text().splitlines()
            count = sum(1 for line in lines if pattern.search(line))
            if count or time.monotonic() > deadline:
                return count
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@dataclass
class Deployment:
    url: str
    base: str
    proxy: Proxy
    servers: dict[str, Server]


def _pg_base() -> str:
    """A new, empty PostgreSQL database on the tests' server (migrated by open_base)."""
    name = f"crm_two_servers_{os.getpid()}"
    head = engines.server_url().rpartition("/")[0]
    with psycopg.connect(engines.server_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{head}/{name}"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("two_servers")
    url = _pg_base()
    con = db.open_base(url)
    make_compte(con, "Acme Industrie", ville="Lyon")
    con.close()
    # Both servers share the cookie secret (docs/deploy.md); CRM_DB names the one base. The
    # first argument only names each server's log file.
    env = {"CRM_DB": url, "STREAMLIT_SERVER_COOKIE_SECRET": "le-meme-secret-pour-tous"}
    servers: dict[str, Server] = {}
    proxy: Proxy | None = None
    try:
        for name in ("s1", "s2"):
            servers[name] = Server(folder / name, env)
        proxy = Proxy(folder, {name: s.port for name, s in servers.items()})
        yield Deployment(proxy.url, url, proxy, servers)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers.values():
            server.stop()
        db.close_shared(url)
        with psycopg.connect(engines.server_url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


def pinned(browser: Browser, deployment: Deployment, server: str) -> BrowserContext:
    """A browser whose every request haproxy sends to server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.add_cookies([{"name": "SERVERID", "value": server, "url": deployment.url}])
    return context


def open_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(STEP)
    page.goto(url)
    wait_for_app(page)
    return page


def new_affaire(deployment: Deployment, nom: str) -> int:
    con = db.open_base(deployment.base)
    try:
        actor = users.local_admin(con)
        compte = int(con.execute("SELECT min(id) FROM compte").fetchone()[0])  # type: ignore[index]
        return affaires.create_affaire(con, actor, {"nom": nom, "compte_id": compte})
    finally:
        con.close()


def save(page: Page) -> None:
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    wait_for_app(page)


def test_users_on_two_servers_save_the_same_affaire_and_the_second_gets_the_conflict(
    browser: Browser, deployment: Deployment
) -> None:
    affaire_id = new_affaire(deployment, "Affaire partagée")
    first, second = pinned(browser, deployment, "s1"), pinned(browser, deployment, "s2")
    try:
        one = open_page(first, f"{deployment.url}/?affaire={affaire_id}")
        two = open_page(second, f"{deployment.url}/?affaire={affaire_id}")
        # Both have read the affaire before either saves: under load the first run of a page
        # can still be reading it when its first element shows.
        for page in (one, two):
            expect(page.get_by_text("(version 1)")).to_be_visible(timeout=STEP)
        one.get_by_label("Nom *").fill("Version du serveur 1")
        save(one)
        expect(one.get_by_text("(version 2)")).to_be_visible(timeout=STEP)
        two.get_by_label("Nom *").fill("Version du serveur 2")
        save(two)
        expect(two.get_by_text("a enregistré cette fiche")).to_be_visible(timeout=STEP)

        two.reload()
        wait_for_app(two)
        expect(two.get_by_label("Nom *")).to_have_value("Version du serveur 1", timeout=STEP)
    finally:
        first.close()
        second.close()
    for server in ("s1", "s2"):
        assert deployment.proxy.served_by(server, "/_stcore/stream") > 0
    con = db.open_base(deployment.base)
    assert affaires.get_affaire(con, users.local_admin(con), affaire_id).nom == (
        "Version du serveur 1"
    )
    con.close()


def test_a_document_uploaded_through_the_proxy_is_saved_and_seen_from_the_other_server(
    browser: Browser, deployment: Deployment, tmp_path: Path
) -> None:
    affaire_id = new_affaire(deployment, "Affaire avec devis")
    pdf = tmp_path / "devis-42.pdf"
    pdf.write_bytes(PDF)
    first, second = pinned(browser, deployment, "s2"), pinned(browser, deployment, "s1")
    try:
        page = open_page(first, f"{deployment.url}/?affaire={affaire_id}")
        page.get_by_role("tab", name="Documents").click()
        wait_for_app(page)
        page.get_by_label("Numéro *").fill("D-42")
        page.get_by_label("Montant HT (€) *").fill("1 250,50")
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(pdf))
        expect(page.get_by_text("devis-42.pdf")).to_be_visible(timeout=STEP)
        page.get_by_role("button", name="Ajouter le document").click()
        wait_for_app(page)
        expect(page.get_by_text("Document ajouté.")).to_be_visible(timeout=STEP)
        assert "without sticky sessions" not in page.inner_text("body")

        other = open_page(second, f"{deployment.url}/?affaire={affaire_id}")
        other.get_by_role("tab", name="Documents").click()
        wait_for_app(other)
        grid = other.get_by_test_id("stDataFrame").first
        expect(grid.locator("td").filter(has_text="devis-42.pdf").first).to_be_attached(
            timeout=STEP
        )
        expect(other.get_by_text("1 250,50 €").first).to_be_visible(timeout=STEP)
    finally:
        first.close()
        second.close()
    assert deployment.proxy.served_by("s2", "/_stcore/upload_file") > 0
    assert deployment.proxy.served_by("s1", "/_stcore/upload_file") == 0
    con = db.open_base(deployment.base)
    actor = users.local_admin(con)
    frame = documents.documents_of_affaire(con, actor, affaire_id)
    assert list(frame["fichier_nom"]) == ["devis-42.pdf"]
    document_id = int(frame["id"].iloc[0])
    assert documents.document_file(con, actor, document_id) == ("devis-42.pdf", PDF)
    con.close()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param(
            ["analyse", "pipe", "--format", "csv"],
            "etape,nombre,ca_potentiel",
            id="analyse",
        ),
        pytest.param(
            ["backup", "{folder}/"],
            "Sauvegarde écrite dans",
            id="backup",
        ),
        pytest.param(
            ["check"],
            "aucun problème trouvé",
            id="check",
        ),
    ],
)
def test_the_command_line_runs_against_the_base_while_both_servers_serve(
    deployment: Deployment, command: list[str], expected: str, tmp_path: Path
) -> None:
    command = [part.format(folder=tmp_path) for part in command]
    for server in deployment.servers.values():
        assert server.process.poll() is None
    result = subprocess.run(
        [sys.executable, "-m", "crm_data", "--db", deployment.base, *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    for server in deployment.servers.values():
        assert server.process.poll() is None
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as resp:
            assert resp.status == 200
