"""Issue 14 at the command line: bad destinations refused first, nothing a user made is lost, no staging folder
left behind (even after SIGKILL), workers that die with their parent, Ctrl-C as one line and exit 130, Dask
addresses that fail fast, and a sample of the bad-input corpus (scripts/fuzz_inputs.py) run as the user would."""

import fcntl
import fnmatch
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.runtime import files as folder_files
from dsdcompile.stages import folder
from dsdcompile.stages.folder import MARKER, clean_stale

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "scripts" / "fuzz_inputs.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_inputs"] = fuzz  # dataclasses look their module up there
_spec.loader.exec_module(fuzz)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "iris.pt"
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": fuzz.GOOD_META}, path)
    (tmp_path / "x.csv").write_text("5.1,3.5,1.4,0.2\n6.2,2.9,4.3,1.3\n")
    return path


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _one_error(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dsdcompile: error:"), res.output
    assert "Traceback" not in res.output
    return lines[0]


def _staging(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.endswith(".tmp"))


# -- the destination ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("out, message", [
    (".", "a folder's own name or its parent"),
    ("sub/..", "a folder's own name or its parent"),
    ("afile/out", "afile is not a directory"),
    ("afile", "is a file"),  # click's own check of --out, as one line
    ("link", "is a symbolic link"),
    ("dangling", "is a symbolic link"),
    ("n" * 300, "cannot be used as a folder (File name too long)"),
])
def test_bad_destinations_are_refused_before_any_work(model, tmp_path, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    before = sorted(p.name for p in tmp_path.iterdir())
    res = _run(model, "--out", out, "-q")
    assert res.exit_code == 2 and message in _one_error(res)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no staging folder
    assert (tmp_path / "afile").read_text() == "mine" and not any((tmp_path / "target").iterdir())


def test_current_directory_inside_the_destination_is_refused(model, tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    res = _run(model, "--out", tmp_path / "a", "-q")
    assert res.exit_code == 2 and "is the current directory or contains it" in _one_error(res)


def test_mount_points_and_unwritable_places_are_refused(model, tmp_path, monkeypatch):
    (tmp_path / "mnt").mkdir()
    real_ismount = os.path.ismount
    monkeypatch.setattr(folder_files.os.path, "ismount", lambda p: str(p).endswith("mnt") or real_ismount(p))
    res = _run(model, "--out", tmp_path / "mnt", "-q")
    assert res.exit_code == 2 and "is a mount point" in _one_error(res)
    (tmp_path / "ro").mkdir()
    real_access = os.access
    monkeypatch.setattr(folder_files.os, "access", lambda p, mode: not str(p).endswith("ro") and real_access(p, mode))
    res = _run(model, "--out", tmp_path / "ro" / "out", "-q")
    assert res.exit_code == 2 and "no permission to write in" in _one_error(res)
    assert not any((tmp_path / "ro").iterdir())


def test_a_staging_folder_that_cannot_be_made_is_an_input_error(model, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(folder_files.tempfile, "mkdtemp", refuse)
    res = _run(model, "--out", tmp_path / "out", "-q")
    assert res.exit_code == 2 and "cannot write beside it" in _one_error(res)


# -- nothing a user made is lost ------------------------------------------------------------------------------
def test_compiling_into_a_folder_holding_a_user_file_keeps_the_file(model, tmp_path):
    out = tmp_path / "design"
    assert _run(model, "--out", out, "-q").exit_code == 0
    (out / "notes.txt").write_text("three weeks of lab notes")
    first = (out / "summary.json").read_bytes()
    res = _run(model, "--out", out, "-q")
    assert res.exit_code == 2 and "holds files this command would not write (notes.txt)" in _one_error(res)
    assert (out / "notes.txt").read_text() == "three weeks of lab notes"
    assert (out / "summary.json").read_bytes() == first and _staging(tmp_path) == []

    res = _run(model, "--out", out, "--force")
    assert res.exit_code == 0, res.output
    backups = sorted(tmp_path.glob("design.backup-*"))
    assert len(backups) == 1 and f"kept as {backups[0]}" in res.output
    assert (backups[0] / "notes.txt").read_text() == "three weeks of lab notes"
    assert (backups[0] / "summary.json").read_bytes() == first
    assert not (out / "notes.txt").exists() and (out / "summary.json").is_file()
    assert _staging(tmp_path) == []


def test_a_design_is_replaced_by_the_same_command_without_force(model, tmp_path):
    out = tmp_path / "design"
    for _ in range(2):
        assert _run(model, "--out", out, "--inputs", tmp_path / "x.csv", "-q").exit_code == 0
    assert not list(tmp_path.glob("design.backup-*")) and _staging(tmp_path) == []


def test_results_of_stages_this_run_skips_are_not_deleted(model, tmp_path):
    out = tmp_path / "design"
    assert _run(model, "--out", out, "--inputs", tmp_path / "x.csv", "-q").exit_code == 0
    res = _run(model, "--out", out, "-q")  # no --inputs: examples.csv would go
    assert res.exit_code == 2 and "(examples.csv, trajectory.png)" in _one_error(res)
    for name in ("sequences.csv", "order_plates.xlsx"):  # what `dsdcompile sequences` adds to a design
        (out / name).write_text("minutes of work")
    res = _run(model, "--out", out, "--inputs", tmp_path / "x.csv", "-q")
    assert res.exit_code == 2 and "order_plates.xlsx, sequences.csv" in _one_error(res)
    assert (out / "sequences.csv").read_text() == "minutes of work"


def test_a_folder_that_is_not_a_design_is_refused_and_force_keeps_it(model, tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("mine")
    res = _run(model, "--out", out, "-q")
    assert res.exit_code == 2 and "refusing to overwrite it (it holds chapter1.tex)" in _one_error(res)
    assert _run(model, "--out", out, "--force", "-q").exit_code == 0
    (backup,) = tmp_path.glob("thesis.backup-*")
    assert (backup / "chapter1.tex").read_text() == "mine"


def test_stage_files_cover_every_file_a_committed_design_holds():
    designs = [p.parent for p in (ROOT / "designs").glob("*/*/summary.json")]
    assert designs, "the repository's designs/ folder is missing"
    every = [pat for pats in folder.STAGE_FILES.values() for pat in pats]
    for design in designs:
        listed = json.loads((design / "summary.json").read_text())["files"]
        missing = [f for f in listed if not any(fnmatch.fnmatchcase(f, p) for p in every)]
        assert not missing, f"{design}: {missing} are not in folder.STAGE_FILES"


# -- staging folders of killed runs ----------------------------------------------------------------------------
def _stage(parent: Path, name: str, *, marker: bool = True, old: bool = False) -> Path:
    stage = parent / name
    (stage / "design").mkdir(parents=True)
    (stage / "design" / "formal.crn").write_text("half written")
    if marker:
        (stage / MARKER).write_text("")
    if old:
        (stage / "old").mkdir()
        (stage / "old" / "summary.json").write_text("{}")
    return stage


def test_stale_staging_folders_are_removed_by_their_lock_and_only_theirs(model, tmp_path):
    out = tmp_path / "out"
    dead = _stage(tmp_path, ".out.dead1234.tmp")
    foreign = _stage(tmp_path, ".out.nomarker.tmp", marker=False)
    live = _stage(tmp_path, ".out.live5678.tmp")
    other = _stage(tmp_path, ".other.dead0000.tmp")
    fd = os.open(live / MARKER, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a run that is still going
    try:
        assert _run(model, "--out", out, "-q").exit_code == 0
        assert not dead.exists()
        assert foreign.exists() and live.exists() and other.exists()  # never removed by guessing
    finally:
        os.close(fd)
    assert clean_stale(out) == [live]


def test_a_design_being_replaced_when_the_run_died_is_restored(tmp_path):
    out = tmp_path / "out"  # missing: the run died between moving it aside and moving the new one in
    stage = _stage(tmp_path, ".out.dead1234.tmp", old=True)
    assert clean_stale(out) == [stage]
    assert (out / "summary.json").read_text() == "{}" and not stage.exists()


# -- processes: SIGKILL, Ctrl-C ------------------------------------------------------------------------------
def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    out, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - out
        out |= frontier
    return out


def _alive(pids) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start_enumeration(model: Path, out: Path) -> tuple[subprocess.Popen, set[int]]:
    """A real run whose DSD stage enumerates on a pool of 2 workers; returns once the workers exist."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "dsdcompile", str(model), "--scheme", "soloveichik2010",
                             "--workers", "2", "--out", str(out), "-q"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        if len(workers) >= 2:
            time.sleep(1.0)  # let them take tasks
            return proc, _children(proc.pid)
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"no pool workers appeared: {proc.communicate()[1].decode()[-500:]}")


def test_kill_9_leaves_no_worker_and_the_next_run_cleans_its_staging(model, tmp_path):
    out = tmp_path / "out"
    proc, workers = _start_enumeration(model, out)
    assert _staging(tmp_path), "the staging folder is made before the stages run"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    deadline = time.monotonic() + 15
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(workers), "pool workers outlived their parent"
    assert not out.exists() and len(_staging(tmp_path)) == 1
    assert _run(model, "--out", out, "-q").exit_code == 0
    assert _staging(tmp_path) == [] and (out / "summary.json").is_file()


def test_ctrl_c_is_one_line_and_exit_130_with_no_worker_traceback(model, tmp_path):
    out = tmp_path / "out"
    proc, workers = _start_enumeration(model, out)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == ["dsdcompile: interrupted; nothing was written"]
    assert not out.exists() and _staging(tmp_path) == []
    time.sleep(1)
    assert not _alive(workers)


def test_a_late_ctrl_c_is_not_swallowed(model, tmp_path):
    """SIGINT after the design was written (here: while the summary prints) still ends with exit 130."""
    out = tmp_path / "out"
    code = ("import os, signal, sys; import dsdcompile.cli.compile as command; from dsdcompile.cli import main; "
            "command._print_summary = lambda result: os.kill(os.getpid(), signal.SIGINT); "
            "sys.argv[0] = 'dsdcompile'; main()")
    proc = subprocess.run([sys.executable, "-c", code, str(model), "--out", str(out)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "dsdcompile: interrupted after the design was written"
    assert "Traceback" not in proc.stderr and (out / "summary.json").is_file()


# -- options ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1:1", "did not answer as a Dask scheduler within 2 s"),
    ("::::", "is not a valid scheduler address"),
    ("http://127.0.0.1:1", "is not a valid scheduler address"),
])
def test_a_bad_dask_scheduler_is_one_line_within_the_connect_timeout(model, tmp_path, address, message):
    pytest.importorskip("distributed")
    start = time.monotonic()
    res = _run(model, "--scheme", "soloveichik2010", "--executor", "dask", "--scheduler", address,
               "--connect-timeout", "2", "--out", tmp_path / "out", "-q")
    assert res.exit_code == 2 and message in _one_error(res)
    assert time.monotonic() - start < 30 and not (tmp_path / "out").exists() and _staging(tmp_path) == []


def test_a_scheme_module_calling_sys_exit_is_a_scheme_error(model, tmp_path):
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(0)\n")
    res = _run(model, "--scheme", tmp_path / "quits.py", "--out", tmp_path / "out", "-q")
    assert res.exit_code == 2 and "called sys.exit(0) while being imported" in _one_error(res)
    assert not (tmp_path / "out").exists()


def test_help_says_a_scheme_file_runs_its_code():
    text = " ".join(_run("compile", "--help").output.split())
    assert "this RUNS that file's Python code, so give only files you trust" in text


@pytest.mark.parametrize("value, message", [("abc", "must be a size such as 4GB"), ("0", "at least 1 byte"),
                                            ("1KB", "would need about")])
def test_max_memory(model, tmp_path, value, message):
    res = _run(model, "--max-memory", value, "--out", tmp_path / "out", "-q")
    assert res.exit_code == 2 and message in _one_error(res)


def test_usage_errors_are_one_line(model, tmp_path):
    res = _run(model, "--construction", "bogus")
    assert res.exit_code == 2 and "Invalid value for '--construction'" in _one_error(res)
    res = _run(model, "--no-such-option")
    assert res.exit_code == 2 and "No such option" in _one_error(res)


def test_hostile_names_come_out_as_text(tmp_path):
    names = ["=cmd|' /C calc'!A0", "$\\frac{$", "<b>`x`</b>"]
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": dict(fuzz.GOOD_META, class_names=names)},
               tmp_path / "m.pt")
    (tmp_path / "x.csv").write_text("5.1,3.5,1.4,0.2\n")
    res = _run(tmp_path / "m.pt", "--inputs", tmp_path / "x.csv", "--out", tmp_path / "out", "-q")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "trajectory.png").stat().st_size > 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["network"]["class_names"] == names


# -- the corpus ------------------------------------------------------------------------------------------------
def _corpus_failures(results) -> list[str]:
    return [f"{r.case.name}: exit {r.code} {r.problems} {fuzz._last(r.output)}" for r in results if r.problems]


def test_a_sample_of_the_bad_input_corpus(tmp_path):
    """About 40 cases spread over every kind, run by click in forked children (scripts/fuzz_inputs.py --mode fork)."""
    cases = fuzz.sample(fuzz.build_corpus(tmp_path, seed=0, kinds=("model", "inputs", "out", "options")), 40)
    results = fuzz.run_corpus(cases, timeout=60, mode="fork")
    assert len(results) >= 30
    assert _corpus_failures(results) == []


@pytest.mark.slow
def test_the_whole_corpus_in_subprocesses(tmp_path):
    """Every case, each a real `python -m dsdcompile` with a 120 s limit (about 30 min on 2 cores)."""
    cases = [c for c in fuzz.build_corpus(tmp_path, seed=0) if c.owner == "reliab"]
    assert len(cases) >= 400
    assert _corpus_failures(fuzz.run_corpus(cases, timeout=120, jobs=2)) == []


def test_crn_file_cases_of_the_corpus(tmp_path):
    cases = [c for c in fuzz.build_corpus(tmp_path, seed=0, kinds=("crn",)) if not c.slow]
    assert _corpus_failures(fuzz.run_corpus(cases, timeout=60, mode="fork")) == []
