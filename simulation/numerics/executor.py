"""Where sweeps run: on this machine's cores, or on a Dask cluster.

Every sweep (the split grid, the budget map, the tornado, a batch of scenarios) is a list of
independent, seeded units of work ``fn(shared, item)``: ``shared`` is what all units of the
sweep need (the scenario, its assumption draws), ``item`` what one unit does (a split, a
total, an assumption's end, a scenario). A unit's result depends only on its arguments, so
where it runs cannot change it.

:class:`LocalExecutor` runs the units on the process's thread pool
(:mod:`simulation.numerics.parallel`), in process, with nothing copied. :class:`DaskExecutor`
sends them to a Dask cluster: ``shared`` goes to the cluster once per sweep (a scattered
future, kept for later sweeps that name the same ``key``), each unit runs on one worker core
(:func:`~simulation.numerics.parallel.serial`), and the compiled engine is loaded once per
worker when it joins (:class:`~simulation.numerics.dask_plugin.EngineOnWorkers`).

:func:`executor_for` picks one: an address given, else the ``RETENTION_LAB_DASK_SCHEDULER``
environment variable, else this machine. An address that cannot be reached within
:data:`CONNECT_TIMEOUT` seconds falls back to this machine, and says why.

Dask is the optional ``cluster`` extra; nothing here imports it until a cluster is named, and
without it a named cluster is refused with :data:`MISSING_EXTRA`.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from .parallel import in_serial, parallel_map, serial, workers

ENV = "RETENTION_LAB_DASK_SCHEDULER"
CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler before working on this machine instead
RETRY_AFTER = 30.0  # seconds before an unreachable scheduler is tried again
SHARED_KEPT = 4  # shared inputs (scenario and draws) kept on the cluster for later sweeps
LOCAL_PREFIX = "local"  # "local" or "local:N": a cluster of N worker processes started here

log = logging.getLogger("retention_lab.executor")


class Executor:
    """Runs the units of a sweep and returns their results in order."""

    in_process: bool = True

    def map(
        self,
        fn: Callable,
        items: Sequence,
        shared=None,
        *,
        key: Hashable | None = None,
        progress: Callable[[int, int], None] | None = None,
        max_workers: int | None = None,
    ) -> list:
        """``[fn(shared, x) for x in items]``.

        Parameters
        ----------
        fn : callable
            A module-level function ``fn(shared, item)`` (a cluster imports it by name).
        items : sequence
            One entry per unit; small (a number, a tuple, a scenario).
        shared : object, optional
            What every unit needs; sent once.
        key : hashable, optional
            Names ``shared``: later sweeps with the same key reuse what was sent (the caller
            guarantees that the same key means the same ``shared``).
        progress : callable, optional
            ``progress(done, count)``, called from the calling thread as units finish.
        max_workers : int, optional
            Units at once on this machine (a cluster runs as many as it has cores).
        """
        raise NotImplementedError

    @property
    def cores(self) -> int:
        """Units that can run at the same time."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the work runs, for a person: ``this machine, 2 cores``."""
        raise NotImplementedError


class _Bound:
    """``fn`` with ``shared`` bound (a picklable partial that keeps the unit's name)."""

    __slots__ = ("fn", "shared")

    def __init__(self, fn, shared):
        self.fn, self.shared = fn, shared

    def __call__(self, item):
        return self.fn(self.shared, item)


class LocalExecutor(Executor):
    """The units on this process's thread pool: today's behaviour, at no extra cost."""

    in_process = True

    def __init__(self, note: str | None = None):
        self.note = note  # why work runs here although a cluster was named, or None

    def map(self, fn, items, shared=None, *, key=None, progress=None, max_workers=None) -> list:
        return parallel_map(_Bound(fn, shared), list(items), max_workers, progress)

    @property
    def cores(self) -> int:
        return 1 if in_serial() else workers()

    def describe(self) -> str:
        n = self.cores
        return f"this machine, {n} core" + ("" if n == 1 else "s")


def _run_unit(item, fn, shared):
    """A unit on a worker: inline on the worker's thread, whose core the cluster assigned."""
    with serial():
        return fn(shared, item)


def _connection_errors() -> tuple[type[BaseException], ...]:
    """What a failing cluster raises: lost connections, time-outs, and units it dropped."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError

    return (OSError, TimeoutError, CommClosedError, CancelledError)


class ClusterUnavailableError(RuntimeError):
    """The named Dask scheduler cannot be used (unreachable, or without workers)."""


class DaskExecutor(Executor):
    """The units on a Dask cluster, through a ``distributed.Client``.

    When the cluster fails during a sweep (connection lost, no workers left) the sweep is
    run again on this machine, which gives the same results, and :attr:`note` says why.
    """

    in_process = False

    def __init__(self, client, address: str, cluster=None):
        self.client, self.address, self.cluster = client, address, cluster
        self.note: str | None = None
        self._shared: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        from .dask_plugin import EngineOnWorkers

        client.register_plugin(EngineOnWorkers(), name=EngineOnWorkers.name)

    @property
    def worker_threads(self) -> dict:
        """Threads of each worker the scheduler knows; empty when it cannot be asked."""
        try:
            return self.client.nthreads()
        except Exception:  # a closed or lost client: no workers to use
            log.warning("cannot ask the Dask scheduler at %s for its workers", self.address, exc_info=True)
            return {}

    @property
    def cores(self) -> int:
        return sum(self.worker_threads.values())

    def describe(self) -> str:
        threads = self.worker_threads
        n = len(threads)
        return f"Dask cluster at {self.address}, {n} worker" + ("" if n == 1 else "s")

    def _scatter(self, shared, key):
        if key is None:
            return self.client.scatter(shared, hash=False)
        with self._lock:
            if key in self._shared:
                self._shared.move_to_end(key)
                return self._shared[key]
        future = self.client.scatter(shared, hash=False)
        with self._lock:
            self._shared[key] = future
            while len(self._shared) > SHARED_KEPT:  # the oldest is released on the cluster
                self._shared.popitem(last=False)
        return future

    def map(self, fn, items, shared=None, *, key=None, progress=None, max_workers=None) -> list:
        from distributed import as_completed

        items = list(items)
        if not items:
            return []
        try:
            if not self.worker_threads:
                raise ClusterUnavailableError(f"the Dask cluster at {self.address} has no workers")
            shared_future = self._scatter(shared, key)
            futures = self.client.map(
                _run_unit,
                items,
                fn=fn,
                shared=shared_future,
                pure=False,
                key=[f"{fn.__name__}-{uuid.uuid4().hex}" for _ in items],
            )
        except Exception as exc:  # nothing of the units has run yet: any failure here is the cluster's
            return self._fall_back(exc, fn, items, shared, progress, max_workers)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(items)
        try:
            for done, future in enumerate(as_completed(futures, loop=self.client.loop), start=1):
                results[index[future.key]] = future.result()
                if progress is not None:
                    progress(done, len(items))
        except _connection_errors() as exc:
            self.client.cancel(futures)
            return self._fall_back(exc, fn, items, shared, progress, max_workers)
        except BaseException:
            self.client.cancel(futures)
            raise
        self.note = None  # the cluster did this sweep: an earlier failure is over
        return results

    def close(self) -> None:
        """Release what was sent, disconnect, and stop the cluster if it was started here."""
        with self._lock:
            self._shared.clear()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def _fall_back(self, exc, fn, items, shared, progress, max_workers) -> list:
        if isinstance(exc, ClusterUnavailableError):
            text = str(exc)
            self.note = f"{text[:1].upper()}{text[1:]}; the work ran on this machine."
        else:
            reason = _reason(exc)
            self.note = f"The Dask cluster at {self.address} failed during the work ({reason}); it ran on this machine."
        log.warning("%s", self.note)
        with self._lock:
            self._shared.clear()
        return LocalExecutor().map(fn, items, shared, progress=progress, max_workers=max_workers)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# Choosing the executor --------------------------------------------------------------------------
@dataclass
class _Failure:
    at: float
    note: str


_executors: dict[str, DaskExecutor] = {}
_failures: dict[str, _Failure] = {}
_choose_lock = threading.Lock()
_local_executor = LocalExecutor()


def start_local_cluster(n_workers: int = 2):
    """A cluster of ``n_workers`` single-threaded worker processes on this machine, on 127.0.0.1.

    On Linux the workers are forked, not spawned: a spawned worker re-imports the parent's
    main module, which under ``streamlit run`` is Streamlit's own (and Python 3.14 no longer
    forks by default). Forked workers start a thread pool of their own
    (:mod:`simulation.numerics.parallel`); units only name functions of :mod:`simulation`.
    """
    import dask
    from distributed import LocalCluster

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: several clusters may run here
        )


def _local_workers(address: str) -> int:
    rest = address[len(LOCAL_PREFIX) :]
    if rest == "":
        return max(workers(), 1)
    if not rest.startswith(":") or not rest[1:].isdigit() or int(rest[1:]) < 1:
        raise ValueError(f"'{address}' is not 'local' or 'local:N' with N a whole number of workers, 1 or more")
    return int(rest[1:])


MISSING_EXTRA = (
    "Dask is not installed, so sweeps cannot run on a cluster; install the 'cluster' extra "
    """(pip install -e ".[cluster]" in the repository, or pip install 'retention-lab[cluster]')"""
)


async def _identity(address: str, timeout: float) -> object:
    """The reply of the server at ``address`` to Dask's ``identity`` request (handshake included)."""
    from distributed.comm import connect as open_comm
    from distributed.security import Security

    comm = await open_comm(address, timeout=timeout, **Security().get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _check_answers(address: str, timeout: float) -> None:
    """Refuse ``address`` unless a Dask scheduler there answers within ``timeout`` seconds.

    ``distributed.Client``'s own time-out does not cover the handshake: a server that accepts
    the connection and never answers held it for ever, and one that answers in another protocol
    (an HTTP port) made it read a frame length of exabytes. This asks the server who it is, on
    an event loop of its own in a thread of its own, and gives up at the deadline.
    """
    from distributed.comm.addressing import get_address_host_port

    try:
        get_address_host_port(address)
    except ValueError as exc:
        raise ClusterUnavailableError(
            f"'{address}' is not a Dask scheduler's address ({_reason(exc)}); write tcp://HOST:PORT"
        ) from None
    outcome: dict[str, object] = {}

    def ask() -> None:
        try:
            # a port nobody listens on fails inside the connect's own time-out, with its reason
            outcome["reply"] = asyncio.run(asyncio.wait_for(_identity(address, timeout), timeout + 0.5))
        except BaseException as exc:  # reported below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=ask, name="dask-scheduler-check", daemon=True)
    thread.start()
    thread.join(timeout + 1.5)
    error = outcome.get("error")
    if thread.is_alive() or isinstance(error, TimeoutError):
        raise ClusterUnavailableError(f"no Dask scheduler answered at {address} within {timeout:g} s")
    if isinstance(error, OSError):
        raise ClusterUnavailableError(f"cannot reach the Dask scheduler at {address}: {_reason(error)}")
    if error is not None:
        raise ClusterUnavailableError(
            f"the server at {address} does not answer as a Dask scheduler (is it a web or dashboard port? "
            "a scheduler usually listens on port 8786)"
        )
    reply = outcome.get("reply")
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        what = f"a Dask {str(kind).lower()}" if isinstance(kind, str) else "not a Dask scheduler"
        raise ClusterUnavailableError(f"the server at {address} is {what}, not a scheduler")


def connect(address: str, timeout: float | None = None) -> DaskExecutor:
    """A :class:`DaskExecutor` on the scheduler at ``address`` (``local[:N]`` starts one here).

    A remote scheduler must first answer Dask's ``identity`` request within ``timeout``
    seconds (connection and handshake included).

    Raises
    ------
    ClusterUnavailableError
        When Dask is not installed, the address is malformed, or no scheduler answers within
        ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`).
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        from distributed import Client
    except ImportError:
        raise ClusterUnavailableError(MISSING_EXTRA) from None
    address = address.strip()
    try:
        cluster = None
        if address == LOCAL_PREFIX or address.startswith(LOCAL_PREFIX + ":"):
            cluster = start_local_cluster(_local_workers(address))
            client = Client(cluster, set_as_default=False, timeout=timeout)
        else:
            _check_answers(address, timeout)
            client = Client(address, set_as_default=False, timeout=timeout)
    except ClusterUnavailableError:
        raise
    except Exception as exc:  # any failure to connect means: work here instead
        raise ClusterUnavailableError(f"cannot reach the Dask scheduler at {address}: {_reason(exc)}") from None
    return DaskExecutor(client, address if cluster is None else cluster.scheduler_address, cluster)


def executor_for(address: str | None = None) -> Executor:
    """The executor for ``address``, else for ``$RETENTION_LAB_DASK_SCHEDULER``, else this machine.

    One client per address serves the whole process. Inside a unit of work (on a worker)
    this is always this machine. An unreachable address gives a :class:`LocalExecutor`
    whose ``note`` says why; it is tried again after :data:`RETRY_AFTER` seconds.
    """
    if in_serial():
        return _local_executor
    address = (address if address is not None else os.environ.get(ENV, "")).strip()
    if not address:
        return _local_executor
    with _choose_lock:
        known = _executors.get(address)
        if known is not None and known.client.status in ("running", "connecting"):
            if known.worker_threads:
                return known
            return LocalExecutor(f"The Dask cluster at {address} has no workers. Working on this machine instead.")
        _executors.pop(address, None)
        failed = _failures.get(address)
        if failed is not None and time.monotonic() - failed.at < RETRY_AFTER:
            return LocalExecutor(failed.note)
        try:
            executor = connect(address)
        except ClusterUnavailableError as exc:
            note = f"{exc}. Working on this machine instead."
            _failures[address] = _Failure(time.monotonic(), note)
            log.warning("%s", note)
            return LocalExecutor(note)
        _failures.pop(address, None)
        _executors[address] = executor
        if executor.cluster is not None:  # started here: stopped with this process
            atexit.register(executor.close)
        return executor


def local_executor() -> LocalExecutor:
    """This machine's executor (the one a unit of work uses inside itself)."""
    return _local_executor


def resolve(executor: Executor | None) -> Executor:
    """``executor``, or :func:`executor_for` the environment when None."""
    return executor if executor is not None else executor_for()
