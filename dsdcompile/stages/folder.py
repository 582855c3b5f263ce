"""The design folder on disk: checked before the run, staged in a locked folder beside it, moved into place on success.

What a run does to ``--out`` (see the README's "Reliability" section):

- Before any stage runs, the destination is checked (:func:`check_destination`): not the
  current directory or one of its parents, not a mount point, not a symbolic link, not a file,
  in a folder that exists or can be made and can be written. An existing folder is replaced
  only when it holds nothing this command would not write (:func:`planned_files`): a design
  folder from an earlier ``compile`` with the same stages. Anything else (a user's file, a
  later stage's results such as sequences and order sheets, a folder that is not a design) is
  refused, naming the files, unless ``force``: then the old folder is kept whole under a new
  name, ``<out>.backup-<date>-<time>``, never deleted.
- The files are written into a staging folder ``.<out>.<random>.tmp`` beside the destination,
  made at the start (so an unwritable place fails at once) and holding a marker file that the
  run keeps locked (``flock``) while it lives. On success the staging folder's design replaces
  the destination; on failure it is removed.
- A run killed with SIGKILL cannot clean up. The lock dies with its process, so the next run
  into the same place removes staging folders whose marker it can lock (restoring an old
  design that was being replaced, if the destination is missing). Folders without a marker,
  or whose marker is locked by a live run, are never touched: nothing is removed by guessing.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dsdcompile.config import RunConfig
from dsdcompile.errors import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-folder cleanup by lock
    fcntl = None

SUMMARY = "summary.json"
MARKER = ".dsdcompile-staging"
DESIGN = "design"
OLD = "old"

# What each stage of `dsdcompile compile` may write into the design folder (names or fnmatch patterns).
STAGE_FILES: dict[str, tuple[str, ...]] = {
    "crn": (SUMMARY, "formal.crn", "reduced.crn", "formal.json", "reduced.json", "formal.sbml", "reduced.sbml",
            "network.json", "index.html"),
    "agreement": ("examples.csv", "trajectory.png", "convergence.png"),
    "dsd": ("dsd.pil", "strands.csv", "complexes.csv", "domains.csv", "verified.crn", "verification.json",
            "verification.md", "verification.html", "README.md"),
    "kinetics": ("kinetics.csv", "kinetics_draws.csv", "fuel.csv", "leak.csv", "kinetics_*.png", "implementation.sbml",
                 "fluorescence.csv", "fluorescence.png"),
    "lab": ("concentrations.csv", "concentrations.md", "annealing.csv", "inputs.csv", "readout.csv", "plate.xlsx",
            "protocol.md", "pipetting.csv", "wells.csv", "lab_plan.json", "reporters.csv", "dyes.csv"),
    "sequences": ("sequences.csv", "sequence_report.md", "sequence_report.json", "sequence_report.png",
                  "order_plates.xlsx", "order_plate_*.csv", "order_tubes.csv"),
}


def planned_files(config: RunConfig, *, inputs: bool) -> tuple[str, ...]:
    """Names (and patterns) a ``compile`` run with ``config`` may write: what it may replace without --force."""
    stages = ["crn"]
    if inputs:
        stages.append("agreement")
    if config.dsd_enabled:
        stages.append("dsd")
        if inputs and config.run_kinetics:
            stages += ["kinetics", "lab"]
        if config.sequences is not None:
            stages.append("sequences")
    return tuple(name for stage in stages for name in STAGE_FILES[stage])


def _contents(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, relative, folders with a trailing slash."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [f"{(rel / d).as_posix()}/" for d in dirs] + [(rel / f).as_posix() for f in files]
    return sorted(out)


def _listing(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _nearest_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_destination(out_dir: Path, *, planned: Iterable[str] | None = None, force: bool = False) -> None:
    """Refuse (InputError, before any work) a destination this run could not write or must not replace.

    ``planned``: the names this run may write (:func:`planned_files`); None accepts any earlier
    design folder (one with a summary.json).
    """
    out_dir = Path(out_dir)
    where = str(out_dir)
    if out_dir.name in ("", ".", ".."):
        raise InputError("is a folder's own name or its parent, which cannot be replaced; give a new folder name "
                         "such as ./design", path=where)
    try:
        st = os.lstat(out_dir)
    except (FileNotFoundError, NotADirectoryError):  # the latter: a parent is a file, named below
        st = None
    except OSError as e:  # a name too long, a loop of links, no permission to look
        raise InputError(f"cannot be used as a folder ({e.strerror or e})", path=where) from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise InputError(f"is a symbolic link (to {os.readlink(out_dir)}); give the folder itself or a new name",
                         path=where)
    resolved = out_dir.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise InputError("is the current directory or contains it; give a new folder name such as ./design",
                         path=where)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError("exists and is not a directory", path=where)
        if os.path.ismount(out_dir):
            raise InputError("is a mount point, which cannot be replaced; give a folder inside it", path=where)
        if not force:
            _refuse_to_lose(out_dir, planned)
    ancestor = _nearest_existing(out_dir.parent if str(out_dir.parent) else Path("."))
    if not ancestor.is_dir():
        raise InputError(f"cannot be made: {ancestor} is not a directory", path=where)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"cannot be written: no permission to write in {ancestor} (or it is read-only)", path=where)


def _refuse_to_lose(out_dir: Path, planned: Iterable[str] | None) -> None:
    hint = "; move them elsewhere, or pass --force to keep the old folder as a backup beside the new one"
    if not (out_dir / SUMMARY).is_file():
        top = sorted(os.listdir(out_dir))  # not walked: it may be a home folder
        if top:
            raise InputError("exists and is not a dsdcompile design folder (no summary.json); refusing to overwrite "
                             f"it (it holds {_listing(top)}){hint}", path=str(out_dir))
        return
    if planned is None:
        return
    contents = _contents(out_dir)
    patterns = tuple(planned)
    foreign = [c for c in contents if not any(fnmatch.fnmatchcase(c, pat) for pat in patterns)]
    if foreign:
        raise InputError(f"holds files this command would not write ({_listing(foreign)}); refusing to overwrite "
                         f"them{hint}", path=str(out_dir))


def backup_name(out_dir: Path) -> Path:
    """A free name beside ``out_dir`` for the old folder that --force replaces: <out>.backup-<date>-<time>[-n]."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = out_dir.with_name(f"{out_dir.name}.backup-{stamp}")
    n = 1
    while os.path.lexists(candidate):
        n += 1
        candidate = out_dir.with_name(f"{out_dir.name}.backup-{stamp}-{n}")
    return candidate


def _try_lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove staging folders for ``out_dir`` left by killed runs (marker present and lockable); return them."""
    parent = out_dir.parent
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(f".{out_dir.name}.") and p.name.endswith(".tmp")]
    except OSError:
        return removed
    for stage in candidates:
        marker = stage / MARKER
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            continue  # not ours, or already gone: leave it
        try:
            if not _try_lock(fd):
                continue  # a live run holds it
            old = stage / OLD
            if old.is_dir() and not os.path.lexists(out_dir):
                os.replace(old, out_dir)  # killed between moving the old design aside and moving the new one in
            shutil.rmtree(stage, ignore_errors=True)
            removed.append(stage)
        finally:
            os.close(fd)
    return removed


class Destination:
    """The run's staging folder for ``out_dir``: made and locked on entry, moved into place by :meth:`commit`.

    Leaving the ``with`` block without a commit removes the staging folder and leaves the
    destination as it was.
    """

    def __init__(self, out_dir: str | Path, *, planned: Iterable[str] | None = None, force: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.planned = tuple(planned) if planned is not None else None
        self.force = force
        self.stage: Path | None = None
        self.backup: Path | None = None
        self._lock: int | None = None

    def __enter__(self) -> Destination:
        check_destination(self.out_dir, planned=self.planned, force=self.force)
        if self.out_dir.parent.is_dir():
            clean_stale(self.out_dir)
            self._make_stage()  # now, so a place that cannot be written fails before the work
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _make_stage(self) -> None:
        parent = self.out_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.", suffix=".tmp", dir=parent))
        except OSError as e:
            raise InputError(f"cannot write beside it in {parent} ({e.strerror or e})",
                             path=str(self.out_dir)) from None
        self.stage = stage
        self._lock = os.open(stage / MARKER, os.O_CREAT | os.O_RDWR, 0o644)
        _try_lock(self._lock)
        (stage / DESIGN).mkdir()

    @property
    def path(self) -> Path:
        """The folder to write the design into (inside the staging folder)."""
        if self.stage is None:
            self._make_stage()
        return self.stage / DESIGN

    def commit(self) -> Path | None:
        """Move the written design into place; return where --force moved the old folder (None if nowhere)."""
        design = self.path
        check_destination(self.out_dir, planned=self.planned, force=self.force)  # it may have changed meanwhile
        os.chmod(design, 0o755)
        if os.path.lexists(self.out_dir):
            if self.force:
                self.backup = backup_name(self.out_dir)
                os.replace(self.out_dir, self.backup)
            else:
                os.replace(self.out_dir, self.stage / OLD)
        os.replace(design, self.out_dir)
        return self.backup

    def close(self) -> None:
        """Remove the staging folder (with the replaced design, if any) and release the lock."""
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


__all__ = ["SUMMARY", "STAGE_FILES", "Destination", "backup_name", "check_destination",
           "clean_stale", "planned_files"]
