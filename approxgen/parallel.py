"""Ordered parallel maps for many independent jobs (build's specs, sweep's points)."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator


def ordered_map(function: Callable, args: list[tuple], jobs: int) -> Iterator:
    """``function(*a)`` for each ``a`` of ``args``, yielded in order as each is done; in ``jobs``
    processes when that is more than one (``function`` must be a module-level function). On
    Ctrl-C or any error the worker processes are stopped at once."""
    if jobs <= 1 or len(args) <= 1:
        for a in args:
            yield function(*a)
        return
    import multiprocessing

    pool = multiprocessing.Pool(min(jobs, len(args)), initializer=_ignore_sigint)
    try:
        yield from pool.imap(_Call(function), args)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


class _Call:
    """``function(*a)`` as a picklable one-argument callable."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, a: Iterable):
        return self.function(*a)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
