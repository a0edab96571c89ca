"""Server-side time of opening a Fiche affaire on a big base, against a reference query.

Times, under AppTest through dashboard.py: a deep link (`?affaire=ID`, a new session), opening
from the list (a row selected), a change of étape on the open record, and each tab opened; the
reference is the bare read of the affaire's row in DuckDB, measured in the same run. With
`--browser`, also the same in headless Chromium on a `streamlit run` server, against a deep
link to a missing affaire (the page's frame without the record). Prints medians and ratios.
Run: `python -m bench.record_open --db /tmp/a200k.duckdb [--browser]` (a base made by
`python -m crm_data --db /tmp/a200k.duckdb demo --affaires 200000`), or `--affaires N` to build
a demo base in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm_data.store import db

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = str(ROOT / "dashboard.py")
REPEAT = 7
TABS = ("Documents", "Projet", "Action", "Historique")


def median_ms(action: Callable[[], object]) -> float:
    """Median wall time of action over REPEAT runs after one warm-up, in milliseconds."""
    action()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def busiest_affaire(path: Path) -> int:
    """The affaire with the most actions (the heaviest record to open)."""
    con = db.open_base(path)
    try:
        row = con.execute(
            """
            SELECT affaire_id
            FROM action
            GROUP BY affaire_id
            ORDER BY count(*) DESC, affaire_id
            LIMIT 1
            """
        ).fetchone()
        if row is None:
            row = con.execute("SELECT min(id) FROM affaire").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def reference(path: Path, affaire_id: int) -> float:
    """The bare read of the affaire's row, through the app's shared connection."""
    con = db.shared_connection(path)

    def read() -> object:
        return (
            con.cursor()
            .execute(
                """
                SELECT *
                FROM affaire
                WHERE id = ?
                """,
                [affaire_id],
            )
            .fetchall()
        )

    return median_ms(read)


def _checked(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def deep_link(affaire_id: int) -> Callable[[], object]:
    def run() -> object:
        at = AppTest.from_file(DASHBOARD, default_timeout=120)
        at.query_params["affaire"] = str(affaire_id)
        return _checked(at.run())

    return run


def from_list(affaire_id: int) -> Callable[[], object]:
    """The list drawn, then the record opened: the query parameter the row's click sets."""
    at = _checked(AppTest.from_file(DASHBOARD, default_timeout=120).run())

    def run() -> object:
        at.query_params["affaire"] = str(affaire_id)
        _checked(at.run())
        del at.query_params["affaire"]
        return _checked(at.run())

    return run


def on_record(affaire_id: int) -> tuple[AppTest, Callable[[str, str], Callable[[], object]]]:
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.query_params["affaire"] = str(affaire_id)
    _checked(at.run())

    def set_and_run(key: str, value: str) -> Callable[[], object]:
        def run() -> object:
            at.session_state[key] = value
            return _checked(at.run())

        return run

    return at, set_and_run


def browser_rows(path: Path, affaire_id: int) -> list[tuple[str, float]]:
    """Wall time in Chromium until the record's form is shown (median of REPEAT); the first
    row is the reference: a deep link to a missing affaire."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app

    server = Server(path)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
            page.set_default_timeout(60_000)

            def missing() -> None:
                page.goto(f"{server.url}/?affaire=999999999999")
                page.get_by_text("introuvable").first.wait_for()

            def deep() -> None:
                page.goto(f"{server.url}/?affaire={affaire_id}")
                page.get_by_label("CA potentiel (€ HT)").wait_for()

            def listed() -> None:
                page.goto(server.url)
                wait_for_app(page)
                box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
                assert box is not None
                start = time.perf_counter()
                page.mouse.click(box["x"] + 16, box["y"] + 36 + 18)
                page.get_by_label("CA potentiel (€ HT)").wait_for()
                clicks.append((time.perf_counter() - start) * 1000)

            clicks: list[float] = []
            rows = [("missing affaire (reference)", median_ms(missing))]
            rows.append(("deep link", median_ms(deep)))
            for _ in range(REPEAT + 1):
                listed()
            rows.append(("click a row of the list", statistics.median(clicks[1:])))
            browser.close()
    finally:
        server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an existing base (else a demo base is built)")
    parser.add_argument("--affaires", type=int, default=200_000)
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db
        if path is None:
            path = Path(folder) / "crm.duckdb"
            command = ["-m", "crm_data", "--db", str(path), "demo", "--affaires"]
            subprocess.run(
                [sys.executable, *command, str(args.affaires)],
                check=True,
                cwd=ROOT,
            )
        os.environ["CRM_DB"] = str(path)
        affaire_id = busiest_affaire(path)
        ref = reference(path, affaire_id)
        rows: list[tuple[str, float]] = [
            ("deep link (new session)", median_ms(deep_link(affaire_id))),
            ("open from the list and back", median_ms(from_list(affaire_id))),
        ]
        _, set_and_run = on_record(affaire_id)
        etapes = iter(["Négociation", "Qualification"] * (REPEAT + 1))
        rows.append(
            (
                "change the étape",
                median_ms(lambda: set_and_run(f"fiche.{affaire_id}.etape", next(etapes))()),
            )
        )
        for tab in TABS:
            rows.append((f"open tab {tab}", median_ms(set_and_run(f"fiche_tab.{affaire_id}", tab))))
        db.close_shared(path)
        in_browser = browser_rows(path, affaire_id) if args.browser else []
    print(f"affaire {affaire_id}; reference: bare read of its row {ref:.2f} ms\n")
    print(f"{'interaction (AppTest run)':<32}{'ms':>9}{'ratio':>9}")
    for name, ms in rows:
        print(f"{name:<32}{ms:>9.1f}{ms / ref:>9.0f}")
    print(f"\nmedian of {REPEAT} runs after one warm-up; ratio = run / reference read")
    if in_browser:
        base = in_browser[0][1]
        print(f"\n{'in Chromium, until the form shows':<36}{'ms':>9}{'ratio':>9}")
        for name, ms in in_browser:
            print(f"{name:<36}{ms:>9.0f}{ms / base:>9.2f}")
        print("ratio = time / deep link to a missing affaire (same server, same run)")


if __name__ == "__main__":
    main()
