"""Executors: serial, process pool and a local in-process Dask cluster, with per-task timeouts."""

from __future__ import annotations

import time

import pytest
from test_verify import soloveichik

from dsdcompile.config import ExecutionConfig, VerificationConfig
from dsdcompile.errors import InputError
from dsdcompile.runtime.executors import call_with_timeout, make_executor
from dsdcompile.verify import EQUIVALENT, NOT_EQUIVALENT, verify_modules
from dsdcompile.verify.modular import ShapeTask, check_shape
from dsdcompile.verify.system import prepare


def _square(x: int) -> int:
    return x * x


def _sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _fail(_: object) -> None:
    raise ValueError("boom")


def test_call_with_timeout_value_error_and_timeout():
    assert call_with_timeout(_square, 7).value == 49
    assert call_with_timeout(_square, 7, timeout=10).value == 49  # through a forked child
    failed = call_with_timeout(_fail, None, timeout=10)
    assert not failed.ok and "boom" in failed.error
    slow = call_with_timeout(_sleepy, 30.0, timeout=0.2)
    assert slow.timed_out and not slow.ok and slow.seconds < 5


def test_large_results_come_back_through_the_pipe():
    out = call_with_timeout(lambda n: "x" * n, 1_000_000, timeout=30)
    assert out.ok and len(out.value) == 1_000_000


@pytest.mark.parametrize("kind", ["serial", "process"])
def test_local_executors_keep_order_and_time_limits(kind):
    with make_executor(ExecutionConfig(executor=kind, workers=2, serial_below=2)) as ex:
        assert [o.value for o in ex.map(_square, range(6))] == [0, 1, 4, 9, 16, 25]
        ticks = []
        outs = ex.map(_sleepy, [0.0, 30.0], timeout=0.5, progress=ticks.append)
        assert outs[0].ok and outs[1].timed_out and sum(ticks) == 2


def test_unknown_executor_is_an_input_error():
    with pytest.raises(InputError):
        make_executor(ExecutionConfig(executor="mpi"))


def test_dask_in_process_cluster_runs_verification():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None)
    with cluster:
        ex = make_executor(ExecutionConfig(executor="dask", scheduler=cluster.scheduler_address))
        try:
            # A real verification task mapped directly ...
            tasks = [ShapeTask(prepare(soloveichik(0, ["A", "B"], ["C"])), ("modular-bisimulation",), 30.0,
                               "default", 1000),
                     ShapeTask(prepare(soloveichik(1, ["A"], ["B"], wrong_product="E")), ("modular-bisimulation",),
                               30.0, "default", 1000)]
            outs = ex.map(check_shape, tasks, timeout=60)
            assert [o.value[0][0].verdict for o in outs] == [EQUIVALENT, NOT_EQUIVALENT]
            # ... and verify_modules on the cluster, two shapes in parallel.
            modules = [soloveichik(i, ["A", "B"], [f"C{i}"]) for i in range(3)] + [soloveichik(3, ["A"], ["D"])]
            result = verify_modules(modules, VerificationConfig(), executor=ex)
            assert result.verdict == EQUIVALENT and [m.instances for m in result.modules] == [3, 1]
            assert ex.map(_sleepy, [30.0], timeout=0.3)[0].timed_out
        finally:
            ex.close()
