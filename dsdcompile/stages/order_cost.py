"""The order cost of a design: every strand its protocol uses, priced from a table the user can edit.

The price table (``dsdcompile/config/prices.toml``, or a copy given with ``--prices``) holds synthesis
scales (length range, delivered nmol, price per nucleotide and per oligo), purification charges with
the fraction of the yield they keep, and dye/quencher modification charges, with the source and date of
its figures. :func:`order_lines` reads what to order from a planned protocol
(:class:`~dsdcompile.lab.tables.LabDesign`): every strand of its concentration and input tables (outputs
are made in the tube), its length, its purification and the DNA the protocol pipettes of it;
reporter strands carry their dye or quencher. :func:`estimate_cost` picks each strand's scale (the
smallest whose length range holds it and whose delivered amount covers the amount needed) and adds
up the prices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dsdcompile.errors import InputError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DEFAULT_PRICES = "prices.toml"  # in the dsdcompile.config package
MAX_PRICE_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Scale:
    """One synthesis scale: the lengths it makes, what it delivers (desalted) and its price."""

    name: str
    min_nt: int
    max_nt: int
    yield_nmol: float
    per_nt: float
    per_oligo: float

    def price(self, length: int) -> float:
        return self.per_nt * length + self.per_oligo


@dataclass(frozen=True)
class Purification:
    per_oligo: float
    yield_fraction: float


@dataclass(frozen=True)
class PriceTable:
    """A price table as read (:func:`load_prices`); ``path`` is where it came from."""

    path: str
    currency: str
    status: str
    date: str
    sources: tuple[str, ...]
    overage: float
    scales: tuple[Scale, ...]
    purification: Mapping[str, Purification]
    modifications: Mapping[str, float]

    def describe(self) -> dict:
        """The table's provenance for schemes.json."""
        return {"path": self.path, "currency": self.currency, "status": self.status, "date": self.date,
                "sources": list(self.sources), "overage": self.overage}


@dataclass(frozen=True)
class OrderLine:
    """One strand to order: its length, its purification, the DNA the protocol uses (pmol) and its labels."""

    name: str
    length_nt: int
    purification: str
    used_pmol: float
    modifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class CostEstimate:
    """The order's price in the table's currency, its parts, and what could not be priced (``missing``)."""

    total: float
    synthesis: float
    purification: float
    modifications: float
    oligos: int  # syntheses ordered (a strand needing more than the largest scale delivers counts more than once)
    strands: int
    scales: Mapping[str, int] = field(default_factory=dict)  # syntheses per scale
    purifications: Mapping[str, int] = field(default_factory=dict)  # syntheses per purification
    labels: Mapping[str, int] = field(default_factory=dict)  # syntheses per dye or quencher
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"total": round(self.total, 2), "synthesis": round(self.synthesis, 2),
                "purification": round(self.purification, 2), "modifications": round(self.modifications, 2),
                "oligos": self.oligos, "strands": self.strands, "scales": dict(self.scales),
                "purifications": dict(self.purifications), "labels": dict(self.labels),
                "missing": list(self.missing)}


def default_prices_text() -> str:
    """The shipped price table, as text (what ``--write-prices`` writes)."""
    return resources.files("dsdcompile.config").joinpath(DEFAULT_PRICES).read_text(encoding="utf-8")


def load_prices(path: str | Path | None = None) -> PriceTable:
    """The price table at ``path`` (None: the shipped defaults); InputError (exit 2) naming the first problem."""
    if path is None:
        text, where = default_prices_text(), f"dsdcompile/config/{DEFAULT_PRICES}"
    else:
        from dsdcompile.runtime.resources import open_text

        where = str(path)
        with open_text(path, "price table", max_bytes=MAX_PRICE_FILE_BYTES, newline=None) as fh:
            text = fh.read()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not a TOML price table ({e})", path=where) from None
    return _price_table(data, where)


def _get(data: Mapping, key: str, kind: type | tuple[type, ...], where: str, ctx: str):
    if not isinstance(data, Mapping) or key not in data:
        raise InputError(f"price table needs {ctx}{key}", path=where)
    value = data[key]
    if kind in (int, float, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InputError(f"{ctx}{key} must be a non-negative number, got {value!r}", path=where)
        return value
    if not isinstance(value, kind):
        raise InputError(f"{ctx}{key} has the wrong type ({type(value).__name__})", path=where)
    return value


def _price_table(data: Mapping, where: str) -> PriceTable:
    num = (int, float)
    table = _get(data, "table", dict, where, "")
    order = _get(data, "order", dict, where, "")
    scales = []
    for i, s in enumerate(_get(data, "scales", list, where, "")):
        ctx = f"scales[{i}]."
        sc = Scale(str(_get(s, "name", str, where, ctx)), int(_get(s, "min_nt", num, where, ctx)),
                   int(_get(s, "max_nt", num, where, ctx)), float(_get(s, "yield_nmol", num, where, ctx)),
                   float(_get(s, "per_nt", num, where, ctx)), float(_get(s, "per_oligo", num, where, ctx)))
        if sc.min_nt > sc.max_nt or sc.yield_nmol <= 0:
            raise InputError(f"{ctx[:-1]} ({sc.name}): needs min_nt <= max_nt and a positive yield_nmol", path=where)
        scales.append(sc)
    if not scales:
        raise InputError("price table needs at least one [[scales]] entry", path=where)
    purification = {}
    for name, p in _get(data, "purification", dict, where, "").items():
        ctx = f"purification.{name}."
        fraction = float(_get(p, "yield_fraction", num, where, ctx))
        if not 0 < fraction <= 1:
            raise InputError(f"{ctx}yield_fraction must be in (0, 1], got {fraction}", path=where)
        purification[name] = Purification(float(_get(p, "per_oligo", num, where, ctx)), fraction)
    mods = {name: float(_get(_get(data, "modifications", dict, where, ""), name, num, where, "modifications."))
            for name in _get(data, "modifications", dict, where, "")}
    overage = float(_get(order, "overage", num, where, "order."))
    if overage < 1:
        raise InputError(f"order.overage must be at least 1, got {overage}", path=where)
    sources = table.get("sources", [])
    return PriceTable(where, str(_get(table, "currency", str, where, "table.")), str(table.get("status", "")),
                      str(table.get("date", "")), tuple(str(s) for s in (sources if isinstance(sources, list)
                                                                          else [sources])),
                      overage, tuple(scales), purification, mods)


def order_lines(design) -> list[OrderLine]:
    """What a planned protocol (:class:`~dsdcompile.lab.tables.LabDesign`) orders: each strand once, with the DNA
    its anneals, master mix and sample premixes take (stock µM × µL = pmol) and its reporter labels."""
    from dsdcompile.lab.tables import concentration_rows, input_rows

    lines: dict[str, dict] = {}
    for r in concentration_rows(design):
        if r["kind"] != "strand" or r["role"] == "output":
            continue
        line = lines.setdefault(r["name"], {"length": int(r["length_nt"]), "purification": r["purification"],
                                            "pmol": 0.0})
        line["pmol"] += _pmol(r)
    for r in input_rows(design):
        if r["strand"] in lines:
            lines[r["strand"]]["pmol"] += _pmol(r)
    labels: dict[str, list[str]] = {}
    by_name = design.by_name()
    for readout in design.readout:
        sp = by_name.get(readout.reporter)
        if sp is not None:  # dsdcompile.dsd.reporters: the fluorophore strand first, then the quencher strand
            labels.setdefault(sp.strands[0].name, []).append(readout.dye.dye)
            labels.setdefault(sp.strands[1].name, []).append(readout.dye.quencher)
    return [OrderLine(name, v["length"], v["purification"], v["pmol"], tuple(labels.get(name, ())))
            for name, v in lines.items()]


def _pmol(row: Mapping) -> float:
    try:
        return float(row["stock_uM"]) * float(row["volume_uL"])
    except (TypeError, ValueError):  # a strand not pipetted in this plan (empty cells)
        return 0.0


def estimate_cost(lines: Sequence[OrderLine], prices: PriceTable) -> CostEstimate:
    """Each strand at the smallest scale that makes its length and delivers ``overage`` × what the protocol uses
    (after its purification's yield); ordered several times when the largest such scale delivers too little."""
    synthesis = purification = modifications = 0.0
    oligos, scales, purifications, labels, missing = 0, {}, {}, {}, []
    for line in lines:
        pur = prices.purification.get(line.purification)
        if pur is None:
            missing.append(f"purification '{line.purification}'")
            pur = Purification(0.0, 1.0)
        fitting = [s for s in prices.scales if s.min_nt <= line.length_nt <= s.max_nt]
        if not fitting:
            missing.append(f"a scale for {line.length_nt} nt ({line.name})")
            continue
        need_nmol = line.used_pmol / 1000.0 * prices.overage
        enough = [s for s in fitting if s.yield_nmol * pur.yield_fraction >= need_nmol]
        scale = enough[0] if enough else max(fitting, key=lambda s: s.yield_nmol)
        n = 1 if enough else math.ceil(need_nmol / (scale.yield_nmol * pur.yield_fraction))
        oligos += n
        scales[scale.name] = scales.get(scale.name, 0) + n
        purifications[line.purification] = purifications.get(line.purification, 0) + n
        synthesis += n * scale.price(line.length_nt)
        purification += n * pur.per_oligo
        for mod in line.modifications:
            labels[mod] = labels.get(mod, 0) + n
            if mod in prices.modifications:
                modifications += n * prices.modifications[mod]
            else:
                missing.append(f"modification '{mod}'")
    return CostEstimate(synthesis + purification + modifications, synthesis, purification, modifications, oligos,
                        len(lines), scales, purifications, labels, tuple(dict.fromkeys(missing)))


__all__ = ["DEFAULT_PRICES", "CostEstimate", "OrderLine", "PriceTable", "Purification", "Scale",
           "default_prices_text", "estimate_cost", "load_prices", "order_lines"]
