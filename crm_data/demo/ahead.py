"""Work drawn one step ahead in a worker thread: the demo's chunks.

The caller writes one item (a chunk of rows) into the engine while the worker computes the next
one: the engine's statements run outside the GIL, so the two overlap. (Not for the mapped
import: its writing is Python too, and sharing the GIL made 100,000 rows 10 % slower.) Items
are drawn one after the other, in order, by that one thread, so a drawing that keeps state
(random streams, ids handed out) gives what a plain loop would. At most two items are held.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class ahead(Generic[T]):
    """items in order, each next one drawn in a worker thread while the caller uses this one;
    the first one is drawn from the call on, so the caller can write something else meanwhile.

    An error while drawing is raised to the caller where that item was due. close() (or the end
    of the items) ends the worker: a draw under way finishes first, no more is drawn.
    """

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-ahead")
        self._pending: Future[object] | None = self._worker.submit(next, self._items, _END)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._pending is None:
            raise StopIteration
        try:
            item = self._pending.result()
        except BaseException:
            self.close()
            raise
        if item is _END:
            self.close()
            raise StopIteration
        self._pending = self._worker.submit(next, self._items, _END)
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop drawing; returns once the worker has ended."""
        self._pending = None
        self._worker.shutdown(wait=True, cancel_futures=True)
