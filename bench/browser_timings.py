"""Click-to-content timings in headless Chromium over a big base: open a record from the list, by
deep link, the first chart page of a session (Pipe), a filter, the .xlsx export of all affaires.

Build the base once: python -m crm_data --db /tmp/d200k.duckdb demo --affaires 200000
Run: python -m bench.browser_timings --db /tmp/d200k.duckdb [--root /work/main] [--repeat 5]
--root names the code tree whose dashboard.py is served (another checkout gives the "before").
Each figure is the median of --repeat runs, in seconds; the ratio is against the deep link
measured in the same run (the reference: one full run of the record page).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
IDLE = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " || document.querySelector('[data-testid=\"stStatusWidget\"]').innerText === ''"
)


def start_server(root: Path, db: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "dashboard.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=root,
        env=os.environ | {"CRM_DB": str(db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("streamlit did not start")


def idle(page: Page) -> None:
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(IDLE, timeout=120_000)


def list_page(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Affaires", exact=True).first.wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    idle(page)
    page.wait_for_timeout(500)


def open_from_list(page: Page, url: str) -> float:
    list_page(page, url)
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    assert box is not None
    start = time.perf_counter()
    # The row's selection box: the one click that opens a record on every version of the list.
    page.mouse.click(box["x"] + 16, box["y"] + 36 + 18)
    page.get_by_text(re.compile(r"^Affaire n° \d+")).first.wait_for(timeout=120_000)
    return time.perf_counter() - start


def deep_link(page: Page, url: str, affaire_id: int) -> float:
    start = time.perf_counter()
    page.goto(f"{url}/?affaire={affaire_id}")
    page.get_by_text(f"Affaire n° {affaire_id}").first.wait_for(timeout=120_000)
    return time.perf_counter() - start


def first_chart(browser: Browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"{url}/pipe")
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=120_000)
        return time.perf_counter() - start
    finally:
        context.close()


def a_filter(page: Page, url: str, word: str) -> float:
    list_page(page, url)
    metric = page.locator('[data-testid="stMetricValue"]').first
    before = metric.inner_text()
    box = page.get_by_label("Rechercher")
    box.fill(word)
    start = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        "(b) => { const m = document.querySelector('[data-testid=\"stMetricValue\"]');"
        " return m && m.innerText !== b; }",
        arg=before,
        timeout=120_000,
    )
    return time.perf_counter() - start


def export_all(page: Page, url: str) -> float:
    page.goto(f"{url}/import_export")
    idle(page)
    page.get_by_role("tab", name="Exporter").click()
    page.get_by_text("Toutes les affaires").click()
    page.get_by_text(".xlsx", exact=True).click()
    idle(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Préparer l'export").click()
    page.get_by_role("button", name=re.compile(r"^Télécharger affaires\.xlsx")).wait_for(
        timeout=600_000
    )
    return time.perf_counter() - start


def median(runs: int, measure: Callable[[int], float]) -> float:
    return statistics.median(measure(i) for i in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    server = start_server(args.root.resolve(), args.db.resolve(), args.port)
    words = ["lyon", "paris", "maintenance", "audit", "serveur", "migration", "contrat"]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
            page = context.new_page()
            page.set_default_timeout(120_000)
            list_page(page, url)  # warm the server's caches once, as a first visitor would
            figures = {
                "deep link": median(args.repeat, lambda i: deep_link(page, url, 1000 + i)),
                "open from list": median(args.repeat, lambda i: open_from_list(page, url)),
                "filter": median(args.repeat, lambda i: a_filter(page, url, words[i % 7])),
                "first chart (Pipe)": median(args.repeat, lambda i: first_chart(browser, url)),
            }
            if not args.skip_export:
                figures["export .xlsx (all)"] = median(args.repeat, lambda i: export_all(page, url))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    reference = figures["deep link"]
    print(f"code: {args.root.resolve()}  base: {args.db}  median of {args.repeat}")
    for label, seconds in figures.items():
        print(f"{label:22} {seconds:8.2f} s   ×{seconds / reference:5.2f} of the deep link")


if __name__ == "__main__":
    main()
