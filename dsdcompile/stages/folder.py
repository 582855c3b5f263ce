"""The design folder on disk: written whole into a temporary folder beside it and renamed into place on success."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dsdcompile.errors import InputError

SUMMARY = "summary.json"


def check_destination(out_dir: Path) -> None:
    """Refuse a destination that is not a folder, or a folder that is not a design (so a typo cannot delete files)."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError("exists and is not a directory", path=str(out_dir))
        if any(out_dir.iterdir()) and not (out_dir / SUMMARY).exists():
            raise InputError("exists and is not a dsdcompile design folder (no summary.json); "
                             "refusing to overwrite it", path=str(out_dir))


@contextmanager
def atomic_directory(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success it replaces ``out_dir`` whole.

    An existing ``out_dir`` is replaced only if it is empty or a previous design folder
    (it has a summary.json); anything else is refused. On any error the temporary folder is
    removed and ``out_dir`` is left as it was.
    """
    out_dir = Path(out_dir)
    check_destination(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.parent / f"{tmp.name}.old"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    os.chmod(out_dir, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


__all__ = ["SUMMARY", "atomic_directory", "check_destination"]
