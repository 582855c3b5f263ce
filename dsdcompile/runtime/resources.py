"""Limits on what a run reads and allocates: regular files only, and memory estimates checked before allocating.

A model, an inputs CSV or the CRN a network makes can need more memory than the machine has;
allocating it would end in an allocator traceback or in minutes of swapping. Every stage that
can grow with its input estimates what it will need first and refuses (InputError, exit 2,
with the estimate) when that exceeds the limit: ``--max-memory``, by default
:data:`DEFAULT_MEMORY_FRACTION` of the machine's physical memory.

The estimates are measured upper bounds, not exact counts (``scripts/bench_inputs.py`` and the
constants below say how they were obtained): they decide between "runs" and "refused with a
reason", so they err on the side of the machine.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import sys
from pathlib import Path

from dsdcompile.errors import InputError

DEFAULT_MEMORY_FRACTION = 0.25  # of physical memory, when --max-memory is not given
FALLBACK_MEMORY = 8 << 30  # where the platform does not report its physical memory

# Peak bytes the CRN costs per network unit (its species), besides each construction's cost per
# nonzero weight (Construction.crn_bytes_per_weight). Measured with tracemalloc by
# `python scripts/bench_inputs.py --crn`; the constants keep a margin above the measurements.
CRN_BYTES_PER_UNIT = 6000
NAME_BYTES = 120  # one generated input name ("x123") with its tuple slot and summary entry

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12,
          "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the platform does not say."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def default_max_memory() -> int:
    """The limit when none is given: a fixed fraction of physical memory."""
    return int(DEFAULT_MEMORY_FRACTION * (physical_memory() or FALLBACK_MEMORY))


def memory_limit(max_memory: int | None) -> int:
    """``max_memory`` bytes, or the default limit when it is None."""
    return default_max_memory() if max_memory is None else max_memory


def parse_size(text: str | int | float) -> int:
    """'2GB', '512MiB', '1e9' or 1000000000 → bytes (decimal units, or binary with an i); InputError otherwise."""
    if isinstance(text, bool):
        raise InputError(f"--max-memory must be a size such as 4GB or 512MiB, got {text!r}")
    if isinstance(text, (int, float)):
        value, unit = float(text), ""
    else:
        m = _SIZE_RE.match(str(text))
        if not m or m.group(2).lower() not in _UNITS:
            raise InputError(f"--max-memory must be a size such as 4GB or 512MiB, got {text!r}")
        value, unit = float(m.group(1)), m.group(2).lower()
    n = value * _UNITS[unit]
    if not math.isfinite(n) or n < 1:
        raise InputError(f"--max-memory must be at least 1 byte, got {text!r}")
    return int(n)


def format_size(n: float) -> str:
    """Bytes in the largest decimal unit that keeps the number at or above 1 (1.5 GB, 20 TB)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"


def check_memory(estimate: float, max_memory: int | None, what: str, *, path: str | None = None) -> None:
    """Refuse (InputError) when ``what`` is estimated to need more than the memory limit."""
    limit = memory_limit(max_memory)
    if estimate > limit:
        given = "--max-memory" if max_memory is not None else \
            f"the default limit ({DEFAULT_MEMORY_FRACTION:.0%} of this machine's memory; raise it with --max-memory)"
        raise InputError(f"{what} would need about {format_size(estimate)} of memory, more than {given}: "
                         f"{format_size(limit)}", path=path)


# JSON nested deeper than this is refused by json.loads with RecursionError. The C decoder counts its
# depth against the interpreter's recursion limit, which peppercornenumerator raises to 10**6 when it
# is imported: at that limit a deeply nested document overflows the C stack and kills the process.
JSON_DEPTH_LIMIT = 2000


def loads_untrusted_json(text: str | bytes, **kwargs):
    """``json.loads(text, **kwargs)`` of text from a file, with the nesting depth bounded (RecursionError beyond
    it, never a crash)."""
    limit = sys.getrecursionlimit()
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    sys.setrecursionlimit(min(limit, depth + JSON_DEPTH_LIMIT))
    try:
        return json.loads(text, **kwargs)
    finally:
        sys.setrecursionlimit(limit)


def regular_file(path: str | Path, what: str = "file") -> os.stat_result:
    """The stat of ``path`` if it is a regular file (symlinks followed); InputError for anything else.

    Devices (/dev/zero never ends), FIFOs (opening one waits for a writer) and sockets are
    refused before they are opened.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise InputError(f"cannot read this {what} ({getattr(e, 'strerror', None) or e})", path=str(p)) from None
    _refuse_irregular(st, p, what)
    if not os.access(p, os.R_OK):
        raise InputError(f"cannot read this {what} (permission denied)", path=str(p))
    return st


def _refuse_irregular(st: os.stat_result, p: Path, what: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a directory, expected a {what}", path=str(p))
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise InputError(f"is {kind}, not a regular {what}; dsdcompile reads only regular files", path=str(p))


def open_regular(path: str | Path, what: str = "file") -> int:
    """An open read-only descriptor on ``path`` after :func:`regular_file`'s checks; the opened file is checked
    again, so a path swapped for a FIFO or device after the check is refused without blocking or reading."""
    p = Path(path)
    regular_file(p, what)
    try:
        # O_NONBLOCK: should the path turn into a FIFO after the stat, opening it does not wait for a writer
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise InputError(f"cannot read this {what} ({e.strerror or e})", path=str(p)) from None
    try:
        _refuse_irregular(os.fstat(fd), p, what)
    except InputError:
        os.close(fd)
        raise
    return fd


def refuse_special_files(folder: str | Path, what: str = "design folder") -> None:
    """InputError naming the first FIFO, device or socket below ``folder`` (copying or reading one waits forever or
    never ends); symbolic links are not followed."""
    root = Path(folder)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(filenames + dirnames):
            p = Path(dirpath) / name
            try:
                mode = os.lstat(p).st_mode
            except OSError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) \
                    else "a device"
                raise InputError(f"holds {p.relative_to(root).as_posix()}, which is {kind}, not a file a {what} has; "
                                 "remove it first", path=str(root))


MAX_TEXT_FILE_BYTES = 1 << 30  # a CSV, JSON or text file a command reads: larger ones are refused, not read


def open_text(path: str | Path, what: str = "file", *, max_bytes: int | None = MAX_TEXT_FILE_BYTES,
              encoding: str = "utf-8", errors: str = "strict", newline: str | None = "") -> io.TextIOWrapper:
    """The guarded reader of every user file a command reads as text (the CSVs of mix, --dyes, train --csv, the
    files of a design folder that report and sequences read): regular files only (:func:`open_regular`: a FIFO
    or /dev/zero is refused at once, never waited on), at most ``max_bytes`` (None: any size, for files
    streamed row by row), as text."""
    p = Path(path)
    fd = open_regular(p, what)
    try:
        os.set_blocking(fd, True)
        size = os.fstat(fd).st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(f"this {what} is {format_size(size)}, above the limit of {format_size(max_bytes)}",
                             path=str(p))
        return open(fd, encoding=encoding, errors=errors, newline=newline)  # noqa: SIM115 - the caller closes it
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str | Path, what: str = "file", *, max_bytes: int = MAX_TEXT_FILE_BYTES,
              encoding: str = "utf-8") -> str:
    """The whole of a regular text file of at most ``max_bytes`` (:func:`open_text`); InputError when it is
    larger (also when it grew after the check) or not text in ``encoding``."""
    with open_text(path, what, max_bytes=max_bytes, encoding=encoding, newline=None) as fh:
        try:
            text = fh.read(max_bytes + 1)
        except UnicodeDecodeError as e:
            raise InputError(f"this {what} is not {encoding} text (byte {e.start} of a block)", path=str(path)) \
                from None
    if len(text) > max_bytes:
        raise InputError(f"this {what} is above the limit of {format_size(max_bytes)}", path=str(path))
    return text


__all__ = ["CRN_BYTES_PER_UNIT", "DEFAULT_MEMORY_FRACTION", "JSON_DEPTH_LIMIT", "MAX_TEXT_FILE_BYTES", "NAME_BYTES",
           "check_memory", "default_max_memory", "format_size", "loads_untrusted_json", "memory_limit", "open_regular",
           "open_text", "parse_size", "physical_memory", "read_text", "refuse_special_files", "regular_file"]
