"""Plate-reader exports → one in-memory plate: per channel, per well, a kinetic trace (seconds, reader units).

Three layouts, recognised by their content (never by the file name's extension); every
refusal is an :class:`~dsdcompile.errors.InputError` naming the file and the line:

``tidy``
    A CSV with the header ``well,channel,time_s,value`` (any column order; an optional
    ``plate`` column). One row per reading. Lines starting with ``#`` are comments; a
    ``# design: <id>`` comment ties the file to one design (``dsdcompile read`` refuses it
    against another).
``gen5``
    BioTek (Agilent) Gen5 2.x/3.x "Export" of a kinetic read to a text (tab-separated) or CSV
    file, data in the default *table* orientation: a header block (``Software Version``,
    ``Plate Number``, ``Reader Type:`` ...), then per read a label line (``FAM:485,528`` or
    ``Read 1:485,528``) followed by a table whose header is ``Time``, ``T° <label>`` and the
    well names, one row per kinetic cycle with the time as ``h:mm:ss``. A blank line ends the
    table. ``OVRFLW`` and other non-numbers are refused.
``mars``
    BMG Labtech MARS 3.x/4.x "Export → table (wells in rows)" of a kinetic run, as CSV or
    tab-separated text: a header block (``User:``, ``Path:``, ``Test ID:``, ``Test Name:``,
    ``Date:``, ``Time:``), then per channel a block whose header row is ``Well``,
    ``Content`` and the channel label (``Raw Data (485/520)``, optionally followed by the
    channel's name: ``Raw Data (485/520) FAM``), a row ``,,Time [s],t1,t2,...`` (also
    ``Time [min]`` or ``Time [h]``), and one row per well: well (``A01`` or ``A1``),
    content, a blank cell and the readings.

Channel labels are matched to the design's dyes later (:func:`dsdcompile.lab.read.design.match_channel`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.runtime.resources import regular_file

MAX_BYTES = 64 << 20  # a 384-well, 4-channel, 1000-cycle export is about 20 MB
WELL_RE = re.compile(r"^([A-Pa-p])0*([1-9][0-9]?)$")
FORMATS = ("tidy", "gen5", "mars")


def well_name(text: str) -> str | None:
    """'a01', 'A1' → 'A1'; None if not a well name of a 96/384-well plate."""
    m = WELL_RE.match(text.strip())
    if not m or int(m.group(2)) > 24:
        return None
    return f"{m.group(1).upper()}{int(m.group(2))}"


@dataclass
class Trace:
    times: list = field(default_factory=list)   # seconds
    values: list = field(default_factory=list)
    lines: list = field(default_factory=list)   # source line of each reading


@dataclass
class PlateReading:
    """What a reader export says: ``traces[channel][well]`` with the line of every reading."""

    path: str
    format: str
    traces: dict = field(default_factory=dict)  # channel label -> well -> Trace
    design_id: str | None = None
    channel_lines: dict = field(default_factory=dict)  # channel label -> line where it is named

    def add(self, channel: str, well: str, t: float, v: float, line: int) -> None:
        tr = self.traces.setdefault(channel, {}).setdefault(well, Trace())
        tr.times.append(t)
        tr.values.append(v)
        tr.lines.append(line)
        self.channel_lines.setdefault(channel, line)

    def arrays(self, channel: str, well: str) -> tuple[np.ndarray, np.ndarray]:
        tr = self.traces[channel][well]
        return np.asarray(tr.times, dtype=np.float64), np.asarray(tr.values, dtype=np.float64)

    def check_times(self) -> None:
        """Refuse a trace whose time does not increase (naming the line of the offending reading)."""
        for ch, wells in self.traces.items():
            for w, tr in wells.items():
                for k in range(1, len(tr.times)):
                    if not tr.times[k] > tr.times[k - 1]:
                        raise InputError(f"well {w}, channel {ch!r}: time {tr.times[k]:g} s does not increase "
                                         f"(previous reading at {tr.times[k - 1]:g} s)", path=self.path,
                                         line=tr.lines[k])


def _number(text: str, path: str, line: int, what: str) -> float:
    s = text.strip()
    try:
        v = float(s)
    except ValueError:
        v = math.nan
    if not math.isfinite(v):
        raise InputError(f"{what}: {s!r} is not a number", path=path, line=line)
    return v


def _hms(text: str, path: str, line: int) -> float:
    """'1:05:00' (h:mm:ss) or '0:00:30.5' → seconds."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise InputError(f"time {text.strip()!r} is not h:mm:ss", path=path, line=line)
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"time {text.strip()!r} is not h:mm:ss", path=path, line=line) from None
    if len(nums) == 2:
        nums = [0.0, *nums]
    if any(not math.isfinite(n) or n < 0 for n in nums):
        raise InputError(f"time {text.strip()!r} is not h:mm:ss", path=path, line=line)
    return nums[0] * 3600 + nums[1] * 60 + nums[2]


def _rows(text: str) -> list[list[str]]:
    """CSV or tab-separated rows (the delimiter guessed from the first lines)."""
    head = text[:4096]
    delim = "\t" if head.count("\t") > head.count(",") else ("," if "," in head else ";" if ";" in head else ",")
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delim)]


def read_text(path: Path) -> str:
    """A reader export's text, through the project's guarded reader: regular files only, size-capped."""
    st = regular_file(path, "plate-reader export")
    if st.st_size > MAX_BYTES:
        raise InputError(f"is {st.st_size} bytes, more than the {MAX_BYTES >> 20} MiB a plate export can be",
                         path=str(path))
    raw = Path(path).read_bytes()[:MAX_BYTES + 1]
    if b"\x00" in raw[:4096]:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        raise InputError("is a binary file, not a text export (export the plate as text or CSV)", path=str(path))
    for enc in ("utf-8-sig", "cp1252"):  # Gen5 writes the degree sign in the Windows code page
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("is not text in UTF-8 or Windows-1252", path=str(path))


def detect(text: str) -> str | None:
    """Which layout ``text`` is in (see module docstring), or None."""
    lines = [ln.strip().lstrip("\ufeff") for ln in text.splitlines()[:400]]
    content = [ln for ln in lines if ln and not ln.startswith("#")]
    if content:
        first = [c.strip().lower() for c in re.split(r"[,\t;]", content[0])]
        if {"well", "channel", "time_s", "value"} <= set(first):
            return "tidy"
    low = [ln.lower() for ln in lines]
    if any(ln.startswith("software version") for ln in low) and any(
            re.match(r"^time[\t,;]+t(°|\xb0|Â°|\?|º)", ln) for ln in low):
        return "gen5"
    if any(ln.startswith(("test name:", "test id:")) for ln in low) and any(
            re.search(r"time \[(s|min|h)\]", ln) for ln in low):
        return "mars"
    return None


def read_plate(path: Path) -> PlateReading:
    """Parse a plate export (see module docstring); InputError naming file and line otherwise."""
    text = read_text(path)
    fmt = detect(text)
    if fmt is None:
        raise InputError("not a plate reading this tool knows: expected a tidy CSV (header well,channel,time_s,"
                         "value), a BioTek Gen5 or a BMG MARS kinetic export (see docs/reading.md)", path=str(path),
                         line=1)
    plate = {"tidy": _tidy, "gen5": _gen5, "mars": _mars}[fmt](text, str(path))
    if not plate.traces:
        raise InputError(f"no readings in this {fmt} export", path=str(path))
    plate.check_times()
    return plate


def _tidy(text: str, path: str) -> PlateReading:
    out = PlateReading(path, "tidy")
    rows = _rows(text)
    header = None
    for n, row in enumerate(rows, start=1):
        if not row or not any(c.strip() for c in row):
            continue
        if row[0].lstrip("\ufeff").strip().startswith("#"):
            m = re.match(r"#\s*design\s*:\s*(\S+)", ",".join(row).lstrip("\ufeff").strip())
            if m:
                out.design_id = m.group(1)
            continue
        if header is None:
            header = [c.strip().lstrip("\ufeff").lower() for c in row]
            col = {c: header.index(c) for c in ("well", "channel", "time_s", "value")}
            plate_col = header.index("plate") if "plate" in header else None
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} fields, the header has {len(header)}", path=path, line=n)
        well = well_name(row[col["well"]])
        if well is None:
            raise InputError(f"{row[col['well']]!r} is not a well name (A1 ... P24)", path=path, line=n)
        if plate_col is not None and row[plate_col].strip():
            well = f"{row[plate_col].strip()}:{well}"
        ch = row[col["channel"]].strip()
        if not ch:
            raise InputError("empty channel", path=path, line=n)
        t = _number(row[col["time_s"]], path, n, "time_s")
        v = _number(row[col["value"]], path, n, f"well {well}, channel {ch!r}, value")
        out.add(ch, well, t, v, n)
    return out


def _gen5(text: str, path: str) -> PlateReading:
    out = PlateReading(path, "gen5")
    rows = _rows(text)
    label = None
    n = 0
    while n < len(rows):
        row = [c.strip() for c in rows[n]]
        cells = [c for c in row if c]
        if len(cells) == 1 and ":" in cells[0] and not re.match(r"^\d+:\d", cells[0]) and \
                not cells[0].lower().startswith(("software", "experiment", "protocol", "reader", "plate")):
            label = cells[0]
        if row and row[0].lower() == "time" and len(row) > 2 and re.match(r"^t(°|\xb0|Â°|\?|º)", row[1].lower()):
            ch = label or re.sub(r"^t\W*", "", row[1], flags=re.I).strip() or f"read {len(out.traces) + 1}"
            wells = []
            for j, c in enumerate(row[2:], start=2):
                w = well_name(c)
                if w is None and c:
                    raise InputError(f"column {j + 1} header {c!r} is not a well name", path=path, line=n + 1)
                wells.append(w)
            n += 1
            while n < len(rows) and any(c.strip() for c in rows[n]):
                r = rows[n]
                line = n + 1
                if len(r) < len(row):
                    raise InputError(f"{len(r)} fields, the table header has {len(row)}", path=path, line=line)
                t = _hms(r[0], path, line)
                for j, w in enumerate(wells, start=2):
                    if w is None:
                        continue
                    v = _number(r[j], path, line, f"well {w}, channel {ch!r}, value")
                    out.add(ch, w, t, v, line)
                n += 1
            label = None
        n += 1
    return out


_MARS_UNIT = {"s": 1.0, "min": 60.0, "h": 3600.0}


def _mars(text: str, path: str) -> PlateReading:
    out = PlateReading(path, "mars")
    rows = _rows(text)
    n = 0
    while n < len(rows):
        row = [c.strip() for c in rows[n]]
        if len(row) >= 3 and row[0].lower() == "well" and row[1].lower() == "content":
            ch_label = ",".join(c for c in row[2:] if c).strip()
            ch = ch_label
            if n + 1 >= len(rows):
                raise InputError("channel header without a time row", path=path, line=n + 1)
            trow = [c.strip() for c in rows[n + 1]]
            m = re.match(r"^time \[(s|min|h)\]$", (trow[2] if len(trow) > 2 else "").lower())
            if not m:
                raise InputError("expected the time row ',,Time [s],...' after the channel header", path=path,
                                 line=n + 2)
            unit = _MARS_UNIT[m.group(1)]
            times = [_number(c, path, n + 2, "time") * unit for c in trow[3:] if c]
            n += 2
            while n < len(rows) and rows[n] and rows[n][0].strip() and well_name(rows[n][0]) is not None:
                r = rows[n]
                w = well_name(r[0])
                vals = r[3:3 + len(times)]
                if len(vals) < len(times):
                    raise InputError(f"well {w}: {len(vals)} readings, the time row has {len(times)}", path=path,
                                     line=n + 1)
                for t, c in zip(times, vals):
                    out.add(ch, w, t, _number(c, path, n + 1, f"well {w}, channel {ch!r}, value"), n + 1)
                n += 1
            continue
        n += 1
    return out


__all__ = ["FORMATS", "PlateReading", "Trace", "detect", "read_plate", "read_text", "well_name"]
