"""Eight real browser sessions on one `streamlit run` server for two minutes (list, filter, open,
save), then the base checked against their ledger. Loopback only; needs Debian's chromium.

Run: python -m bench.browser_soak [--sessions 8] [--seconds 120] [--max-ops 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.browser.conftest import Server
from tests.browser.soak import lost_rows, run_soak, seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--max-ops", type=int, default=1000, help="per session")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crm.duckdb"
        targets = seed(path, shared=3, per_session=2, sessions=args.sessions)
        server = Server(path)
        start = time.monotonic()
        try:
            ledger = run_soak(server.url, targets, args.seconds, args.max_ops)
        finally:
            server.stop()
        spent = time.monotonic() - start
        problems = lost_rows(path, ledger)
    rows = [
        ("sessions", args.sessions),
        ("seconds", round(spent)),
        ("list views", ledger.lists),
        ("filtered views", ledger.filters),
        ("records opened", ledger.opens),
        ("saves accepted", len(ledger.saved)),
        ("conflicts shown", len(ledger.conflicts)),
        ("other refusals", len(ledger.refused)),
        ("outcome unclear", len(ledger.unclear)),
        ("page errors", len(ledger.page_errors)),
        ("rows lost or problems", len(problems)),
    ]
    for label, value in rows:
        print(f"{label:24} {value:>8}")
    for problem in problems + ledger.page_errors:
        print(" -", problem)
    for affaire, nom, message in ledger.refused:
        print(f" - affaire {affaire}, « {nom} » refused: {message}")


if __name__ == "__main__":
    main()
