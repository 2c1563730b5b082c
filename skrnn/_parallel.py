"""Threads for independent pieces of work, with BLAS limited to one thread each.

Independent pieces of work (chunks of sequences in prediction, the two
directions of a bidirectional layer) scale across cores where a threaded
product of a few hundred rows does not. `thread_map` runs them in a pool of
threads while NumPy's BLAS is held to one thread per call. Pure Python and
threadpoolctl: no scikit-learn, no array math.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

_controller = None
# The BLAS limit is process-wide: one caller at a time may set it.
_blas_limit = threading.Lock()


def _threadpool_controller():
    """The process's `ThreadpoolController`, created once (finding the
    loaded libraries takes a fraction of a millisecond), as scikit-learn does."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def blas_threads():
    """The number of threads NumPy's BLAS may use now (1 if unknown)."""
    counts = [
        lib["num_threads"]
        for lib in _threadpool_controller().select(user_api="blas").info()
        if lib.get("num_threads")
    ]
    return min(counts) if counts else 1


@contextlib.contextmanager
def thread_map(max_workers):
    """``(map, n_workers)``: a ``map`` whose calls run in ``n_workers``
    threads, at most ``max_workers`` and as many as NumPy's BLAS may use,
    with BLAS limited to one thread each meanwhile.

    The returned ``map`` returns a list, in the order of its items. A
    concurrent caller, one under ``threadpool_limits(1)``, or one asking for
    fewer than two workers gets the builtin `map` and one worker.
    """
    if max_workers < 2 or not _blas_limit.acquire(blocking=False):
        yield map, 1
        return
    try:
        n_workers = min(max_workers, blas_threads())
        if n_workers < 2:
            yield map, 1
            return
        with _threadpool_controller().limit(limits=1, user_api="blas"):
            with ThreadPoolExecutor(n_workers) as pool:
                yield (lambda function, items: list(pool.map(function, items))), n_workers
    finally:
        _blas_limit.release()
