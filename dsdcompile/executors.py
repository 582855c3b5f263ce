"""Executors that map a picklable function over tasks: serially, on a local process pool or on a Dask cluster.

A design run makes one executor (:func:`make_executor` from its :class:`~dsdcompile.config.ExecutionConfig`)
and hands it to every stage that has parallel work: module enumeration, verification and the
rate-dependent kinetics. Fewer tasks than ``ExecutionConfig.serial_below`` run in this process,
so small systems never pay for starting a pool.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dsdcompile.errors import InputError

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
    pid = os.fork()
    if pid == 0:  # child: compute, pickle the outcome into the pipe, leave without cleanup handlers
        os.close(read_fd)
        code = 0
        try:
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
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
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
        self.close()

    def close(self) -> None:
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
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
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

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskExecutor(_Base):
    """Runs tasks on a Dask cluster: an existing one at ``scheduler``, or a new local one."""

    kind = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise InputError("the dask executor needs dask.distributed (pip install 'dsdcompile[dask]')") from e
        self.scheduler = scheduler
        if scheduler:
            self.client = Client(scheduler)
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

    def close(self) -> None:
        cluster = self.client.cluster if self._own_cluster else None
        self.client.close()
        if cluster is not None:
            cluster.close()


def make_executor(config: ExecutionConfig) -> Executor:
    """The executor ``config`` asks for: serial, a local process pool (started on first use) or a Dask client."""
    if config.executor == "serial":
        return SerialExecutor()
    if config.executor == "process":
        return ProcessExecutor(config.workers, config.serial_below)
    if config.executor == "dask":
        return DaskExecutor(config.workers, config.scheduler)
    raise InputError(f"unknown executor {config.executor!r}; choose serial, process or dask")


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], executor: Executor | None = None, *,
              timeout: float | None = None, progress: Progress | None = None) -> list[TaskOutcome]:
    """Map with ``executor``, or with a throw-away serial one when none is given."""
    if executor is None:
        return SerialExecutor().map(fn, tasks, timeout=timeout, progress=progress)
    return executor.map(fn, tasks, timeout=timeout, progress=progress)
