"""crm_data.demo.ahead: the next item drawn in a worker thread, in order, errors when due."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from crm_data.demo.ahead import ahead


def _drawn(n: int, log: list[tuple[int, str]], fail_at: int | None = None) -> Iterator[int]:
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"tirage {i} impossible")
        log.append((i, threading.current_thread().name))
        yield i


def test_items_come_in_order_each_drawn_by_the_worker_thread() -> None:
    log: list[tuple[int, str]] = []
    assert list(ahead(_drawn(50, log))) == list(range(50))
    assert [i for i, _ in log] == list(range(50))
    caller = threading.current_thread().name
    assert all(name != caller and name.startswith("crm-ahead") for _, name in log)


def test_an_empty_source_gives_nothing() -> None:
    assert list(ahead(iter([]))) == []


def test_an_error_while_drawing_reaches_the_caller_after_the_items_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="tirage 3 impossible"):
        for item in ahead(_drawn(10, [], fail_at=3)):
            got.append(item)
    assert got == [0, 1, 2]


def test_a_caller_that_stops_early_leaves_at_most_one_item_drawn_ahead() -> None:
    log: list[tuple[int, str]] = []
    items = ahead(_drawn(100, log))
    assert iter(items) is items
    with pytest.raises(RuntimeError, match="écriture refusée"):
        for item in items:
            if item == 5:
                raise RuntimeError("écriture refusée")
    items.close()
    drawn = [i for i, _ in log]
    assert drawn in (list(range(6)), list(range(7)))
    assert not any(t.name.startswith("crm-ahead") for t in threading.enumerate())


def test_the_first_item_is_drawn_from_the_call_on_and_close_ends_the_worker() -> None:
    started = threading.Event()

    def items() -> Iterator[int]:
        started.set()
        yield 1

    drawn = ahead(items())
    assert started.wait(10)
    drawn.close()
    assert list(drawn) == []
    assert not any(t.name.startswith("crm-ahead") for t in threading.enumerate())
