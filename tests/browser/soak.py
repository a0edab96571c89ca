"""Real browser sessions at once on one server: list, filter, open and save, with a ledger.

Driven by Playwright's async API so that every session really runs at the same time; used by
tests/browser/test_soak.py (short) and bench/browser_soak.py (two minutes). Loopback only.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

from crm_data.store import db, integrity
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import make_affaire, make_compte

SEARCHES = ("Parc", "serveurs", "Lyon", "Soak", "zzz introuvable", "'; DROP TABLE affaire; --")


@dataclass
class Ledger:
    """What the sessions did and what the app answered."""

    lists: int = 0
    filters: int = 0
    opens: int = 0
    saved: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    """Saves refused with a message other than a conflict: (affaire, nom, message)."""
    unclear: list[tuple[int, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def operations(self) -> int:
        return self.lists + self.filters + self.opens


def seed(path: Path, shared: int, per_session: int, sessions: int) -> list[list[int]]:
    """A base with `shared` affaires every session edits and `per_session` of its own each;
    returns, per session, the affaires it may open."""
    con = db.open_base(path)
    compte = make_compte(con, "Parc serveurs Lyon")
    common = [make_affaire(con, compte_id=compte, nom=f"Partagée {n}") for n in range(shared)]
    targets = [
        [
            *common,
            *(make_affaire(con, compte_id=compte, nom=f"Soak {s}") for _ in range(per_session)),
        ]
        for s in range(sessions)
    ]
    con.close()
    return targets


async def _settled(page: Page) -> None:
    await page.wait_for_selector('[data-testid="stApp"]')
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || document.querySelector('[data-testid=\"stStatusWidget\"]').innerText === ''",
        timeout=60_000,
    )
    await page.wait_for_timeout(200)


async def _save(page: Page, url: str, affaire: int, nom: str, pause: float, ledger: Ledger) -> None:
    await page.goto(f"{url}/?affaire={affaire}")
    await _settled(page)
    ledger.opens += 1
    await page.get_by_label("Nom *").fill(nom)
    # Streamlit takes a text input's value when it loses focus; then the save sends it.
    await page.keyboard.press("Tab")
    await _settled(page)
    # Leaves time for another session to save the same affaire: clashes are the point.
    await asyncio.sleep(pause)
    await page.get_by_role("button", name="Enregistrer", exact=True).click()
    conflict = page.get_by_text("a enregistré cette fiche")
    saved = page.get_by_text(f"Affaire n° {affaire} — {nom}", exact=True)
    try:
        await expect(conflict.or_(saved).first).to_be_visible(timeout=60_000)
    except AssertionError:
        alerts = [a for a in await page.get_by_test_id("stAlert").all_inner_texts() if "error" in a]
        if alerts:
            ledger.refused.append((affaire, nom, alerts[-1].removeprefix("error").strip()))
        else:
            ledger.unclear.append((affaire, nom))
        return
    if await conflict.count():
        ledger.conflicts.append((affaire, nom))
    else:
        ledger.saved.append((affaire, nom))


async def _session(
    browser: Browser, url: str, n: int, targets: list[int], stop_at: float, max_ops: int
) -> Ledger:
    ledger = Ledger()
    rnd = random.Random(n)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = await context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda exc: ledger.page_errors.append(str(exc)))
    try:
        for k in itertools.count(1):
            if time.monotonic() > stop_at or k > max_ops:
                break
            action = rnd.choice(("list", "filter", "save", "save"))
            if action == "save":
                nom = f"Soak {n}-{k}"
                await _save(page, url, rnd.choice(targets), nom, rnd.uniform(0, 0.6), ledger)
            else:
                await page.goto(url)
                await _settled(page)
                if action == "filter":
                    await page.get_by_label("Rechercher", exact=True).fill(rnd.choice(SEARCHES))
                    await page.keyboard.press("Enter")
                    await _settled(page)
                    ledger.filters += 1
                else:
                    ledger.lists += 1
            if await page.get_by_test_id("stException").count():
                ledger.page_errors.append(await page.get_by_test_id("stException").inner_text())
    finally:
        await context.close()
    return ledger


async def _soak(url: str, targets: list[list[int]], seconds: float, max_ops: int) -> Ledger:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stop_at = time.monotonic() + seconds
        try:
            ledgers = await asyncio.gather(
                *(
                    _session(browser, url, n, session_targets, stop_at, max_ops)
                    for n, session_targets in enumerate(targets)
                )
            )
        finally:
            await browser.close()
    total = Ledger()
    for ledger in ledgers:
        total.lists += ledger.lists
        total.filters += ledger.filters
        total.opens += ledger.opens
        total.saved += ledger.saved
        total.conflicts += ledger.conflicts
        total.refused += ledger.refused
        total.unclear += ledger.unclear
        total.page_errors += ledger.page_errors
    return total


def run_soak(url: str, targets: list[list[int]], seconds: float, max_ops: int) -> Ledger:
    """Run one session per targets entry against the server at url for at most seconds, and at
    most max_ops operations each; return the merged ledger."""
    # A thread of its own: the sync Playwright of other browser tests may already run an event
    # loop in this one, and asyncio.run refuses to start a second.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _soak(url, targets, seconds, max_ops)).result()


def lost_rows(path: Path, ledger: Ledger) -> list[str]:
    """Every way the base disagrees with the ledger (empty when nothing was lost), with the
    integrity check's problems; call once the server has stopped."""
    con = db.open_base(path)
    try:
        problems = integrity.check(con)
        rows = con.execute(
            """
            SELECT affaire_id, version, nom
            FROM affaire_version
            ORDER BY affaire_id, version
            """
        ).fetchall()
    finally:
        con.close()
    # Every acknowledged save is a version of its affaire; versions are numbered without gaps,
    # so a save written over another (without its own version) would show as a missing name.
    names: dict[int, list[str]] = {}
    numbers: dict[int, list[int]] = {}
    for affaire, version, nom in rows:
        names.setdefault(int(affaire), []).append(str(nom))
        numbers.setdefault(int(affaire), []).append(int(version))
    for affaire, saved_nom in ledger.saved:
        if saved_nom not in names.get(affaire, []):
            problems.append(f"save lost: affaire {affaire} « {saved_nom} »")
    refusals = ledger.conflicts + [(affaire, nom) for affaire, nom, _ in ledger.refused]
    for affaire, refused_nom in refusals:
        if refused_nom in names.get(affaire, []):
            problems.append(f"refused save written: affaire {affaire} « {refused_nom} »")
    for affaire, seen in numbers.items():
        if seen != list(range(1, len(seen) + 1)):
            problems.append(f"versions out of sequence: affaire {affaire} {seen}")
    return problems
