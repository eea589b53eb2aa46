"""Work on many items in parallel processes (XlsxWriter and the readers are CPU-bound), with progress.

One helper for the verbs that write or read a file per item (forms, feedback workbooks): the shared state is
sent to each worker once by `init(*initargs)`; few items run in this process, as the pool would cost more.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

from .ledger import Progress

T, R = TypeVar("T"), TypeVar("R")


def process_map(fn: Callable[[T], R], items: Iterable[T], init: Callable, initargs: tuple, *,
                workers: int | None = None, progress: Progress | None = None, threshold: int = 40) -> list[R]:
    """`fn` over `items` in order; in up to 8 processes (or `workers`) once there are `threshold` items or more."""
    items = list(items)
    total = len(items)
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 8) if total >= threshold else 1)
    out: list[R] = []
    if workers <= 1:
        init(*initargs)
        results: Iterable[R] = map(fn, items)
        for r in results:
            out.append(r)
            if progress:
                progress(len(out), total)
        return out
    with ProcessPoolExecutor(workers, initializer=init, initargs=initargs) as pool:
        # small chunks: at the end no worker waits long for another's last chunk
        for r in pool.map(fn, items, chunksize=max(1, min(16, total // (workers * 4) or 1))):
            out.append(r)
            if progress:
                progress(len(out), total)
    return out
