"""Executors that map a picklable function over tasks: serially, on a local process pool or on a Dask cluster.

A design run makes one executor (:func:`make_executor` from its :class:`~dsdcompile.config.ExecutionConfig`)
and hands it to every stage that has parallel work: module enumeration, verification and the
rate-dependent kinetics. Fewer tasks than ``ExecutionConfig.serial_below`` run in this process,
so small systems never pay for starting a pool.

Processes this module starts die with the process that started them (Linux: ``PR_SET_PDEATHSIG``),
so a design run killed with SIGKILL leaves no worker behind; pool workers and timeout children
ignore SIGINT, so Ctrl-C, which the terminal sends to the whole process group, reaches only the
main process, which stops them itself (one line and exit 130, no worker tracebacks).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dsdcompile.errors import InputError

_PR_SET_PDEATHSIG = 1

if TYPE_CHECKING:
    from dsdcompile.config import ExecutionConfig


@dataclass(frozen=True)
class TaskOutcome:
    """What one task produced: its value, or the error it raised, or that it ran out of time."""

    value: Any = None
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out


def _die_with_parent(parent: int | None) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); leave if ``parent`` already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: workers are still stopped by close()
            pass
    if parent is not None and os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _worker_setup() -> None:
    """Pool worker initializer: die with the process that started it, leave Ctrl-C to the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(None)  # its parent may be a fork server, not the main process: no pid to compare


def call_with_timeout(fn: Callable[[Any], Any], task: Any, timeout: float | None = None) -> TaskOutcome:
    """Run ``fn(task)``; with a timeout, run it in a forked child that is killed when time is up.

    A forked child (not multiprocessing) is used because it works inside daemonic pool and Dask
    worker processes, which may not start multiprocessing children, and inside worker threads,
    where SIGALRM cannot be used; killing the child is the only reliable way to stop pure-Python
    search code such as crnverifier's.
    """
    start = time.perf_counter()
    if timeout is None or timeout <= 0:
        try:
            value = fn(task)
        except Exception:  # noqa: BLE001 - the outcome carries the error to the caller
            return TaskOutcome(error=traceback.format_exc(limit=5), seconds=time.perf_counter() - start)
        return TaskOutcome(value=value, seconds=time.perf_counter() - start)

    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: compute, pickle the outcome into the pipe, leave without cleanup handlers
        os.close(read_fd)
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _die_with_parent(parent)
            try:
                payload = pickle.dumps((True, fn(task)), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001
                payload = pickle.dumps((False, traceback.format_exc(limit=5)))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view):]
        except BaseException:  # noqa: BLE001 - never let the child return into the parent's code
            code = 1
        finally:
            os._exit(code)

    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = start + timeout
    timed_out = False
    finished = False
    try:
        # Read while waiting: a large result would otherwise block the child on a full pipe.
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if not finished:  # out of time, or interrupted (Ctrl-C) while waiting: the child must not run on
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    seconds = time.perf_counter() - start
    if timed_out:
        return TaskOutcome(timed_out=True, seconds=seconds)
    if not chunks:
        return TaskOutcome(error="the task's process died without a result", seconds=seconds)
    ok, value = pickle.loads(b"".join(chunks))
    return TaskOutcome(value=value, seconds=seconds) if ok else TaskOutcome(error=value, seconds=seconds)


def _run_task(fn: Callable[[Any], Any], task: Any, timeout: float | None) -> TaskOutcome:
    """Top-level (hence picklable) wrapper that pools and Dask workers execute."""
    return call_with_timeout(fn, task, timeout)


Progress = Callable[[int], None]


class Executor(Protocol):
    """Maps ``fn`` over ``tasks`` and returns one TaskOutcome per task, in task order."""

    kind: str

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any], *, timeout: float | None = None,
            progress: Progress | None = None) -> list[TaskOutcome]: ...

    def close(self) -> None: ...


class _Base:
    kind = "base"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close(kill=exc[0] is not None)

    def close(self, *, kill: bool = False) -> None:
        pass


class SerialExecutor(_Base):
    """Runs every task in this process, one after the other (a forked child only to enforce a timeout)."""

    kind = "serial"

    def map(self, fn, tasks, *, timeout=None, progress=None) -> list[TaskOutcome]:
        out = []
        for task in tasks:
            out.append(call_with_timeout(fn, task, timeout))
            if progress:
                progress(1)
        return out


class ProcessExecutor(_Base):
    """A local process pool (the default); the pool starts on first use and is reused until close()."""

    kind = "process"

    def __init__(self, workers: int | None = None, serial_below: int = 2) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.serial_below = serial_below
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn, tasks, *, timeout=None, progress=None) -> list[TaskOutcome]:
        tasks = list(tasks)
        if len(tasks) < self.serial_below or self.workers == 1:
            # starting a pool costs more than a few small tasks do
            return SerialExecutor().map(fn, tasks, timeout=timeout, progress=progress)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_setup)
        futures = {self._pool.submit(_run_task, fn, t, timeout): i for i, t in enumerate(tasks)}
        out: list[TaskOutcome | None] = [None] * len(tasks)
        for fut in as_completed(futures):
            try:
                out[futures[fut]] = fut.result()
            except Exception as e:  # noqa: BLE001 - e.g. a worker killed by the OS
                out[futures[fut]] = TaskOutcome(error=f"{type(e).__name__}: {e}")
            if progress:
                progress(1)
        return out  # type: ignore[return-value]

    def close(self, *, kill: bool = False) -> None:
        """Shut the pool down: wait for running tasks, or with ``kill`` (an error, Ctrl-C) stop them at once."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if kill:
            # shutdown() would wait for every running task (up to the module timeout each)
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    proc.kill()
        pool.shutdown(wait=not kill, cancel_futures=True)


class DaskExecutor(_Base):
    """Runs tasks on a Dask cluster: an existing one at ``scheduler``, or a new local one."""

    kind = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, connect_timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise InputError("the dask executor needs dask.distributed (pip install 'dsdcompile[dask]')") from e
        self.scheduler = scheduler
        if scheduler:
            self.client = _connect(Client, scheduler, connect_timeout)
        else:
            self.client = Client(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1)
        self._own_cluster = not scheduler

    def map(self, fn, tasks, *, timeout=None, progress=None) -> list[TaskOutcome]:
        from distributed import as_completed as dask_completed

        tasks = list(tasks)
        futures = [self.client.submit(_run_task, fn, t, timeout, pure=False) for t in tasks]
        position = {f.key: i for i, f in enumerate(futures)}
        out: list[TaskOutcome | None] = [None] * len(tasks)
        for fut in dask_completed(futures):
            try:
                out[position[fut.key]] = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker, a cancelled future
                out[position[fut.key]] = TaskOutcome(error=f"{type(e).__name__}: {e}")
            if progress:
                progress(1)
        return out  # type: ignore[return-value]

    def close(self, *, kill: bool = False) -> None:
        cluster = self.client.cluster if self._own_cluster else None
        self.client.close()
        if cluster is not None:
            cluster.close()


def _connect(client_class, address: str, timeout: float):
    """A Dask client connected to ``address`` within ``timeout`` seconds; InputError (one line) otherwise.

    The address is first probed with a bare connection and handshake: a Client that fails to
    start lingers and prints its own errors on the way out, a probe does not.
    """
    import asyncio
    import logging

    from distributed.comm import connect

    async def probe() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    quiet = [logging.getLogger(name) for name in ("distributed", "distributed.client", "distributed.comm")]
    levels = [log.level for log in quiet]
    for log in quiet:  # its own warnings would add lines to the one-line error below
        log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(probe())
        return client_class(address, timeout=timeout)
    except Exception as e:  # noqa: BLE001 - whatever answers there (or nothing) is not a usable scheduler
        why = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        kind = "is not a valid scheduler address" if isinstance(e, (ValueError, TypeError)) else \
            f"did not answer as a Dask scheduler within {timeout:g} s (--connect-timeout)"
        raise InputError(f"--scheduler {address!r} {kind}: {why}") from None
    finally:
        for log, level in zip(quiet, levels):
            log.setLevel(level)


def make_executor(config: ExecutionConfig) -> Executor:
    """The executor ``config`` asks for: serial, a local process pool (started on first use) or a Dask client."""
    if config.executor == "serial":
        return SerialExecutor()
    if config.executor == "process":
        return ProcessExecutor(config.workers, config.serial_below)
    if config.executor == "dask":
        return DaskExecutor(config.workers, config.scheduler, config.connect_timeout)
    raise InputError(f"unknown executor {config.executor!r}; choose serial, process or dask")
