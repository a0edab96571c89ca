"""Work drawn one step ahead in a worker thread: the demo's chunks.

The caller writes one item (a chunk of rows) into the engine while the worker computes the next
one: the engine's statements run outside the GIL, so the two overlap. (Not for the mapped
import: its writing is Python too, and sharing the GIL made 100,000 rows 10 % slower.) Items
are drawn one after the other, in order, by that one thread, so a drawing that keeps state
(random streams, ids handed out) gives what a plain loop would. At most two items are held.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_END = object()


def ahead(items: Iterable[T]) -> Generator[T, None, None]:
    """items in order, each next one drawn in a worker thread while the caller uses this one.

    An error while drawing is raised to the caller where that item was due. When the caller
    stops early (its own error), the draw under way ends before this returns; no more is drawn.
    """
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-ahead") as worker:
        pending = worker.submit(next, iterator, _END)
        while (item := pending.result()) is not _END:
            pending = worker.submit(next, iterator, _END)
            yield item  # type: ignore[misc]
