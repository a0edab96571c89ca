"""Racing writes for the concurrency tests: threads released at once by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

from crm_data.model import CrmError


def race(*writes: Callable[[], object]) -> list[CrmError | None]:
    """Run the writes in threads released at once; each one's refusal, or None if acknowledged.

    Anything but a CrmError propagates as a test failure would: it is re-raised here.
    """
    barrier = threading.Barrier(len(writes))
    outcomes: list[CrmError | None] = [None] * len(writes)
    crashes: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            writes[n]()
        except CrmError as exc:
            outcomes[n] = exc
        except BaseException as exc:
            crashes.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(writes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashes:
        raise crashes[0]
    return outcomes
