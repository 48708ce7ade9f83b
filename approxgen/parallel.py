"""Ordered parallel maps for many independent jobs (build's specs, sweep's points).

An executor is a plug-in: a class in :data:`EXECUTORS` with ``map(function, args)`` yielding
``function(*a)`` for each ``a`` in order, ``serial`` (True when jobs run one after another in
this process, so each may report its own progress) and ``here`` (they run on this machine). ``local`` runs a process pool on this
machine; ``dask`` sends batches of jobs to a dask.distributed scheduler. Both run the same
functions on the same inputs, so their results are identical.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Iterator

from approxgen.errors import ApproxgenError, OSFailure

TASKS_PER_WORKER = 4  # dask: jobs are batched so each worker gets about this many tasks
CONNECT_SECONDS = 10


def ordered_map(function: Callable, args: list[tuple], jobs: int = 1,
                executor: "Executor | None" = None) -> Iterator:
    """``function(*a)`` for each ``a`` of ``args``, yielded in order as each is done, by
    ``executor`` (default: :class:`Local` with ``jobs`` processes). ``function`` must be a
    module-level function when it runs elsewhere."""
    yield from (executor or Local(jobs)).map(function, args)


def make(name: str = "local", jobs: int = 1, scheduler: str | None = None,
         per_task: int | None = None) -> "Executor":
    """The executor called ``name`` (see :data:`EXECUTORS`), its options checked (flags named)."""
    if name not in EXECUTORS:
        raise ApproxgenError(f"unknown executor {name!r} (known: {', '.join(EXECUTORS)})",
                             "--executor")
    return EXECUTORS[name].from_options(jobs=jobs, scheduler=scheduler, per_task=per_task)


class Executor:
    """The protocol: ``map`` yields results in the order of ``args``."""

    serial = False  # jobs run one after another in this process
    here = True  # jobs run on this machine (their stderr is ours)

    @classmethod
    def from_options(cls, jobs: int, scheduler: str | None, per_task: int | None):
        raise NotImplementedError

    def map(self, function: Callable, args: list[tuple]) -> Iterator:
        raise NotImplementedError


class Local(Executor):
    """``jobs`` processes on this machine (one: in this process). On Ctrl-C or any error the
    worker processes are stopped at once."""

    def __init__(self, jobs: int = 1):
        self.jobs = jobs
        self.serial = jobs <= 1

    @classmethod
    def from_options(cls, jobs, scheduler, per_task):
        if scheduler is not None:
            raise ApproxgenError("only with --executor dask", "--scheduler")
        if per_task is not None:
            raise ApproxgenError("only with --executor dask", "--per-task")
        return cls(jobs)

    def map(self, function, args):
        if self.jobs <= 1 or len(args) <= 1:
            for a in args:
                yield function(*a)
            return
        import multiprocessing

        pool = multiprocessing.Pool(min(self.jobs, len(args)), initializer=_ignore_sigint)
        try:
            yield from pool.imap(_Call(function), args)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()


class Dask(Executor):
    """Batches of ``per_task`` jobs (default: about :data:`TASKS_PER_WORKER` tasks per worker)
    run on the workers of the dask.distributed scheduler at ``scheduler`` (``tcp://host:8786``).
    Workers must run this approxgen version (checked per task). On Ctrl-C or any error the
    tasks still queued are cancelled."""

    here = False

    def __init__(self, scheduler: str, per_task: int | None = None):
        self.scheduler, self.per_task = scheduler, per_task

    @classmethod
    def from_options(cls, jobs, scheduler, per_task):
        if not scheduler:
            raise ApproxgenError("--executor dask needs the scheduler's address "
                                 "(--scheduler tcp://HOST:8786)", "--scheduler")
        if jobs != 1:
            raise ApproxgenError("is for --executor local (dask runs on its workers)", "--jobs")
        try:
            from distributed.comm import parse_address, parse_host_port
        except ImportError:
            raise ApproxgenError("needs dask.distributed: pip install 'approxgen[dask]'",
                                 "--executor dask") from None
        try:  # a malformed address is bad input (and a Client made of it hangs at exit)
            parse_host_port(parse_address(scheduler)[1])
        except (ValueError, TypeError) as exc:
            raise ApproxgenError(f"not a scheduler address {scheduler!r}: {exc}",
                                 "--scheduler") from None
        return cls(scheduler, per_task)

    def _client(self):
        from distributed import Client

        try:
            return Client(self.scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise OSFailure(f"cannot connect to the dask scheduler {self.scheduler!r}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                            "--scheduler") from None

    def map(self, function, args):
        if not args:
            return
        from approxgen.version import __version__

        client = self._client()
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            size = self.per_task or max(1, math.ceil(len(args) / (workers * TASKS_PER_WORKER)))
            chunks = [args[i:i + size] for i in range(0, len(args), size)]
            futures = client.map(_run_chunk, [function] * len(chunks), chunks,
                                 [__version__] * len(chunks), pure=False)
            try:
                for future in futures:
                    yield from future.result()
            except BaseException:
                client.cancel(futures)
                raise
        finally:
            client.close()


EXECUTORS = {"local": Local, "dask": Dask}


def _run_chunk(function: Callable, chunk: list[tuple], version: str) -> list:
    """One dask task: ``function(*a)`` for each job of the batch, on a worker running
    approxgen ``version`` (a worker of another version would give other results)."""
    from approxgen.version import __version__

    if __version__ != version:
        raise ApproxgenError(f"a dask worker runs approxgen {__version__}, this is {version} "
                             "(install the same version on every worker)", "--executor dask")
    return [function(*a) for a in chunk]


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
