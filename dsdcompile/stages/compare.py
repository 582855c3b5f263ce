"""Every translation scheme on one network, side by side: what ``dsdcompile schemes MODEL_OR_CRN`` computes.

:func:`compare_schemes` compiles the model (or reads the CRN) once, runs the agreement check once on
the ``--inputs`` examples (a sample of ``examples`` of them, spread evenly through the file), then for
each scheme runs the design pipeline's per-scheme stages (:data:`PER_SCHEME`: translate, enumerate,
verify, the unit fit, kinetics at real rates, the tube as planned and the lab protocol;
:mod:`dsdcompile.stages.pipeline`) in memory, without sequence design and without writing a design
folder. Each scheme gives one row (:data:`COLUMNS`): a scheme that is refused (a reaction it cannot
implement), hits an enumeration limit, fails or runs past its ``timeout`` gets its row with the
reason in ``note``, and the others go on. :func:`write_comparison` writes the table and the page
(``schemes.csv``, ``schemes.json``, ``schemes.md`` and the same page as ``schemes.html``) into a staged
folder that replaces ``--out`` whole, so an error leaves nothing half-written.
"""

from __future__ import annotations

import datetime as _dt
import gc
import re
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import RunConfig
from dsdcompile.errors import DsdCompileError, InputError, SchemeError, UnsupportedReaction
from dsdcompile.runtime.files import Destination, markdown_table, md_escape, write_csv, write_json
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.order_cost import PriceTable, estimate_cost, load_prices, order_lines
from dsdcompile.stages.pipeline import STAGES, run_stages, stage_context

DSD_COLUMNS = ("strands", "complexes", "nucleotides", "longest_strand_nt", "fuel_nucleotides", "enumerated_reactions")
KINETICS_COLUMNS = ("implementation_label_agreement", "implementation_max_rel_error", "impurity_tolerance",
                    "leak_max_rel_error", "read_time_h")
"""The ``kinetics`` block keys of summary.json the table carries (with ``--inputs``)."""
COLUMNS = ("scheme", "verdict", *DSD_COLUMNS, "verification_s", *KINETICS_COLUMNS, "order_cost", "order_oligos",
           "kinetics_examples", "wall_s", "note")
FILES = ("schemes.csv", "schemes.json", "schemes.md", "schemes.html")
PER_SCHEME = tuple(s for s in STAGES if s.name not in ("crn", "agreement", "sequences"))
"""The pipeline's stages run once per scheme (the CRN and agreement stages run once for all)."""
DEFAULT_EXAMPLES = 24
DEFAULT_TIMEOUT = 120.0  # seconds per scheme: the FJ schemes' modular search takes minutes on IRIS
IMPURITY_TARGET = 0.01  # the page names the schemes that tolerate 1 % free strands
FORMAT = "dsdcompile-schemes"
VERSION = 1


class SchemeTimeout(BaseException):
    """A scheme ran past the comparison's per-scheme time limit (a BaseException, so that no library's broad
    ``except Exception`` swallows it)."""


@dataclass(frozen=True, eq=False)
class SchemeComparison:
    """The comparison's rows (one dict per scheme, keys :data:`COLUMNS`) and what they were computed from."""

    source: Path
    inputs: Path | None
    rows: tuple[dict, ...]
    config: RunConfig
    prices: PriceTable
    examples: int  # --inputs examples the kinetics columns simulate (0 without --inputs)
    examples_total: int
    crn: dict
    orders: dict  # scheme -> its order cost's parts (CostEstimate.to_dict), for the schemes that were priced
    started: str
    seconds: float
    timeout: float | None = None

    def to_json(self) -> dict:
        """schemes.json: the rows, their basis, the price table's provenance, the config and the versions."""
        from dsdcompile.stages.summary import versions

        return {"format": FORMAT, "version": VERSION, "source": str(self.source),
                "inputs": str(self.inputs) if self.inputs is not None else None,
                "kinetics_examples": self.examples, "inputs_examples": self.examples_total,
                "timeout_s": self.timeout, "crn": self.crn, "columns": list(COLUMNS), "schemes": list(self.rows),
                "orders": self.orders,
                "prices": self.prices.describe(), "config": self.config.to_dict(), "versions": versions(),
                "run": {"started": self.started, "seconds": round(self.seconds, 1)}}


def spread_indices(n: int, k: int | None) -> np.ndarray:
    """``k`` of ``n`` example indices spread evenly through them, first and last included (all for k None/-1/≥n)."""
    if k is None or k < 0 or k >= n:
        return np.arange(n)
    if k <= 1:
        return np.arange(min(k, n))
    return np.unique(np.round(np.linspace(0, n - 1, k)).astype(int))


def compare_schemes(source: str | Path, schemes: Sequence[str] | None = None, *, inputs: str | Path | None = None,
                    config: RunConfig | None = None, prices: PriceTable | None = None,
                    examples: int | None = DEFAULT_EXAMPLES, timeout: float | None = None,
                    kinetics: bool = True, progress: Progress | None = None) -> SchemeComparison:
    """Compare ``schemes`` (default: every available one) on ``source`` (a model or a CRN file).

    ``config`` supplies every stage's settings (its ``scheme`` and ``sequences`` are ignored); ``inputs``
    enables the kinetics, tube and cost columns, on ``examples`` of its rows spread evenly (-1 or None: all);
    ``kinetics`` False skips them anyway. ``timeout`` (seconds, main thread only) stops one scheme and records
    it. Bad input (the model, the inputs, the config) raises InputError before any scheme runs.
    """
    from dsdcompile.dsd.schemes import available_schemes

    progress = progress or Progress()
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.monotonic()
    names = list(schemes) if schemes else available_schemes()
    base = replace(config or RunConfig(), scheme="none", sequences=None, quiet=True,
                   run_kinetics=(config or RunConfig()).run_kinetics and kinetics and inputs is not None)
    prices = prices or load_prices()
    quiet = Progress(quiet=True)
    ctx = stage_context(source, inputs, base, quiet)
    with progress.stage("compile"):
        run_stages(base, ctx, STAGES[:1])
    agreement, total = None, 0
    if inputs is not None:
        agreement, total = _agreement(ctx, base, examples, quiet)
    n_kin = agreement.n_examples if agreement is not None and base.run_kinetics else 0
    rows, orders = [], {}
    for k, name in enumerate(names, 1):
        gc.unfreeze()  # the DSD stage freezes the collector's view (gc.freeze); let the last scheme's cycles go
        gc.collect()
        row = run_scheme(name, source, inputs, base, ctx.crn, agreement, prices, progress, timeout,
                         label=f"[{k}/{len(names)}] {name}")
        if row.get("order") is not None:
            orders[name] = row.pop("order")
        row["kinetics_examples"] = n_kin if row.get("implementation_label_agreement") not in (None, "") else ""
        rows.append({c: row.get(c, "") for c in COLUMNS})
        progress.log(f"[{k}/{len(names)}] {name}: {row['verdict']} ({row['wall_s']} s)"
                     + (f"; {row['note']}" if row.get("note") else ""))
    crn = {"species": len(ctx.crn.formal.species), "reactions": ctx.crn.formal.n_reactions}
    return SchemeComparison(Path(source), Path(inputs) if inputs is not None else None, tuple(rows), base, prices,
                            n_kin, total, crn, orders, started.isoformat(timespec="seconds"), time.monotonic() - t0,
                            timeout)


def _agreement(ctx, config: RunConfig, examples: int | None, progress: Progress):
    """The agreement check on the sample of --inputs the schemes share, and how many examples the file has."""
    from dsdcompile.stages.agreement import check_agreement
    from dsdcompile.stages.crn import load_examples

    ex = load_examples(ctx.inputs, ctx.crn, max_memory=config.max_memory)
    if not len(ex):
        return None, 0
    idx = spread_indices(len(ex), examples)
    if not len(idx):
        return None, len(ex)
    labels = ex.labels[idx] if ex.labels is not None else None
    return check_agreement(ctx.crn, ex.x[idx], labels, config.agreement, config.simulation, progress), len(ex)


def run_scheme(name: str, source, inputs, config: RunConfig, crn, agreement, prices: PriceTable,
               progress: Progress, timeout: float | None = None, *, label: str | None = None) -> dict:
    """One scheme's row: the per-scheme stages on the shared CRN and agreement, with a progress bar; a refusal,
    a failure or the timeout is recorded in the row (``verdict`` and ``note``), never raised."""
    start = time.monotonic()
    cfg = replace(config, scheme=name)
    done: list[str] = []
    failure = verdict = None
    ctx = None
    try:
        with progress.bar(len(PER_SCHEME), label or name, unit="stage") as update, _deadline(timeout):
            inner = _StageNames(getattr(update, "__self__", None))  # the bar shows the step running now
            ctx = stage_context(source, inputs, cfg, inner, crn=crn, agreement=agreement)
            run_stages(cfg, ctx, PER_SCHEME, after_each=lambda s: (done.append(s.name), update(1)))
    except SchemeTimeout:
        verdict, failure = "stopped", f"stopped after {timeout:g} s"
    except (SchemeError, UnsupportedReaction) as e:
        verdict, failure = "refused", str(e)
    except DsdCompileError as e:
        verdict, failure = "failed", str(e)
    except Exception as e:  # one scheme's error must not cost the others their rows
        verdict, failure = "failed", f"{type(e).__name__}: {e}"
    row = scheme_row(ctx, prices) if ctx is not None else {"verdict": ""}
    row["scheme"] = name
    notes = [row.pop("note")] if row.get("note") else []
    if failure is not None:
        stage = next((s.name for s in PER_SCHEME if s.name not in done), "")
        if ctx is None or ctx.dsd is None:
            row["verdict"] = verdict
        notes.insert(0, f"{verdict} in the {stage} stage: {failure}" if stage else f"{verdict}: {failure}")
    row["note"] = "; ".join(notes)
    row["wall_s"] = round(time.monotonic() - start, 1)
    return row


class _StageNames(Progress):
    """The stages' own progress, silent, except that each step's name goes to the scheme's bar."""

    def __init__(self, bar) -> None:
        super().__init__(quiet=True)
        self._bar = bar

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._bar is not None and hasattr(self._bar, "set_postfix_str"):
            self._bar.set_postfix_str(name)
        with super().stage(name):
            yield


def scheme_row(ctx, prices: PriceTable) -> dict:
    """The columns a (possibly partly run) per-scheme context fills: DSD counts and verdict, kinetics, cost."""
    row: dict = {"verdict": ""}
    notes = []
    if ctx.dsd is not None:
        counts, ver = ctx.dsd.counts, ctx.dsd.verification.summary()
        row.update({c: counts.get(c, "") for c in DSD_COLUMNS})
        row["verdict"], row["verification_s"] = str(ver.get("verdict", "")), ver.get("seconds", "")
        if ctx.dsd.extra.get("enumeration_stopped"):
            notes.append(ctx.dsd.extra["enumeration_stopped"])
    k = ctx.kinetics
    if k is not None and k.ran:
        block = k.block
        row.update({c: _num(block.get(c)) for c in KINETICS_COLUMNS})
        notes += [f"{what} skipped: {why}" for what, why in k.skipped.items() if what != "lab_tables"]
    elif k is not None:
        notes += [f"kinetics skipped: {why}" for why in k.skipped.values()]
    lab = ctx.lab
    if lab is not None and lab.written:
        cost = estimate_cost(order_lines(lab.design), prices)
        row["order_cost"], row["order_oligos"] = round(cost.total, 2), cost.oligos
        row["order"] = cost.to_dict()
        if cost.missing:
            notes.append("not priced: " + ", ".join(cost.missing))
    elif lab is not None and lab.skipped:
        notes.append(f"lab tables (and order cost) not planned: {lab.skipped}")
    row["note"] = "; ".join(notes)
    return row


def _num(v):
    """A kinetics figure for the table: four significant digits (a relative error of 4e-05 stays 4e-05)."""
    return "" if v is None else float(f"{v:.4g}") if isinstance(v, float) else v


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise SchemeTimeout in this (main) thread after ``seconds``; no limit elsewhere or for None."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise SchemeTimeout()

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------------------------------------ writing
def write_comparison(comparison: SchemeComparison, out_dir: str | Path, *, force: bool = False) -> list[str]:
    """schemes.csv, schemes.json, schemes.md and schemes.html in ``out_dir``, staged and moved into place whole (an
    existing folder holding other files is refused unless ``force``, which keeps it as a backup)."""
    with Destination(out_dir, planned=FILES, force=force) as dest:
        folder = dest.path
        write_csv(folder / "schemes.csv", COLUMNS, comparison.rows)
        write_json(folder / "schemes.json", comparison.to_json())
        (folder / "schemes.md").write_text(comparison_page(comparison), encoding="utf-8")
        (folder / "schemes.html").write_text(comparison_html(comparison), encoding="utf-8")
        dest.commit()
    return list(FILES)


def check_output(out_dir: str | Path, *, force: bool = False) -> None:
    """Refuse a bad ``--out`` (InputError, exit 2) before any scheme runs."""
    from dsdcompile.runtime.files import check_destination

    check_destination(Path(out_dir), planned=FILES, force=force)


def _ok(r: dict) -> bool:
    return r["verdict"] == "equivalent"


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def choice_lines(rows: Sequence[dict], currency: str) -> list[str]:
    """The page's summary: which schemes verify, which are cheapest, which tolerate 1 % free strands."""
    verified = [r for r in rows if _ok(r)]
    lines = [f"- **Verified** (equivalent to the CRN): {_names(verified)}."]
    others = [r for r in rows if not _ok(r)]
    if others:
        shown = ", ".join(f"{r['scheme']} ({r['verdict'] or 'no verdict'})" for r in others)
        lines.append(f"- **Not verified**: {shown}.")
    priced = sorted((r for r in verified if _is_num(r["order_cost"])), key=lambda r: r["order_cost"])
    if priced:
        lines.append("- **Cheapest verified order**: "
                     + ", ".join(f"{r['scheme']} ({r['order_cost']:,.0f} {currency})" for r in priced[:3]) + ".")
    else:
        by_nt = sorted((r for r in verified if _is_num(r["nucleotides"])), key=lambda r: r["nucleotides"])
        if by_nt:
            lines.append("- **Fewest nucleotides** (no order cost without --inputs): "
                         + ", ".join(f"{r['scheme']} ({r['nucleotides']} nt)" for r in by_nt[:3]) + ".")
    tol = [r for r in rows if _is_num(r["impurity_tolerance"])]
    if tol:
        good = [r for r in tol if r["impurity_tolerance"] >= IMPURITY_TARGET]
        lines.append(f"- **Tolerate {IMPURITY_TARGET:.0%} free strands** (labels still right with that fraction of "
                     f"each gate's strands left free after purification): {_names(good)}.")
    return lines


def _names(rows: Sequence[dict]) -> str:
    return ", ".join(r["scheme"] for r in rows) or "none"


def comparison_page(c: SchemeComparison) -> str:
    """schemes.md: a lab's choice first (verified, cheapest, impurity tolerant), then the table and its basis."""
    cur = c.prices.currency
    if c.examples:
        basis = (f"kinetics, tube and cost columns on {c.examples} of the {c.examples_total} examples of "
                 f"{c.inputs.name} (spread evenly through the file)")
    elif c.inputs is not None:
        basis = "no kinetics, tube or cost columns (--no-kinetics, or --examples 0)"
    else:
        basis = "no kinetics, tube or cost columns (give --inputs)"
    lines = [f"# Translation schemes on {md_escape(c.source.name)}", "",
             f"{len(c.rows)} schemes on the formal CRN ({c.crn['species']} species, {c.crn['reactions']} "
             f"reactions); {basis}.", "", "## Which scheme", ""]
    lines += choice_lines(c.rows, cur)
    lines += ["", "## The table", ""]
    lines += markdown_table(COLUMNS, c.rows)
    lines += ["", "## Columns", "",
              "- verdict: the verification of the DNA implementation against the CRN (`equivalent`, "
              "`not-equivalent`, `inconclusive`), or `refused`/`failed`/`stopped` with the reason in note.",
              "- strands ... fuel_nucleotides: the DNA of the design (reporters included); enumerated_reactions: "
              "peppercorn's reactions; verification_s: seconds the verification took.",
              "- implementation_label_agreement, implementation_max_rel_error: the DNA implementation's kinetics at "
              "real rates against the network; impurity_tolerance: the largest fraction of free strands swept "
              "with labels still right; leak_max_rel_error: worst error with the planned leak; read_time_h: when "
              "to read the plate.",
              f"- order_cost ({cur}): every strand the protocol uses at the smallest fitting synthesis scale, "
              "with purification and dye/quencher labels; order_oligos: syntheses ordered.",
              "", "## Prices", "",
              f"From {md_escape(c.prices.path)} ({md_escape(c.prices.status)}; {md_escape(c.prices.date)}); "
              f"ordering {c.prices.overage:g} times what the protocol uses. Sources:", ""]
    lines += [f"- {md_escape(s)}" for s in c.prices.sources] or ["- (none given)"]
    return "\n".join(lines) + "\n"


def comparison_html(c: SchemeComparison) -> str:
    """schemes.html: the page as one self-contained HTML file (the design report's style and table search)."""
    from dsdcompile.report.html_util import asset, badge, data_table, e, section
    md = comparison_page(c)
    intro = md.split("\n\n")[1]
    choice = "".join("<li>" + re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", e(line[2:])) + "</li>"
                     for line in choice_lines(c.rows, c.prices.currency))
    rows = [[badge(r[col]) if col == "verdict" and r[col] else e(str(r[col])) for col in COLUMNS] for r in c.rows]
    columns = md.split("## Columns\n\n", 1)[1].split("\n\n## Prices", 1)[0]
    prices = md.split("## Prices\n\n", 1)[1]
    body = (section("choice", "Which scheme", f"<ul>{choice}</ul>")
            + section("table", "The table", data_table("schemes", COLUMNS, rows, raw=True))
            + section("columns", "Columns", "<ul>" + "".join(f"<li>{e(x[2:])}</li>" for x in columns.splitlines())
                      + "</ul>")
            + section("prices", "Prices", "".join(f"<p>{e(x)}</p>" for x in prices.strip().splitlines())))
    title = f"Translation schemes on {c.source.name}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)} — dsdcompile</title><style>{asset('report.css')}</style></head>"
            f"<body><header><h1>{e(title)}</h1><p>{e(intro)}</p></header><main>{body}</main>"
            f"<script>{asset('report.js')}</script></body></html>\n")


def write_price_table(path: str | Path, *, force: bool = False) -> None:
    """A copy of the shipped price table at ``path`` to edit (refused if it exists, unless ``force``)."""
    from dsdcompile.runtime.files import write_text_file
    from dsdcompile.stages.order_cost import default_prices_text

    p = Path(path)
    if p.exists() and not force:
        raise InputError("exists already (give another name, or --force to replace it)", path=str(p))
    try:
        write_text_file(p, default_prices_text())
    except OSError as e:  # no such folder, no permission: one line, exit 2
        raise InputError(f"cannot write the price table here ({e.strerror or e})", path=str(p)) from None


__all__ = ["COLUMNS", "DEFAULT_EXAMPLES", "DEFAULT_TIMEOUT", "KINETICS_COLUMNS", "PER_SCHEME", "SchemeComparison",
           "SchemeTimeout", "check_output", "choice_lines", "compare_schemes", "comparison_html", "comparison_page",
           "run_scheme", "scheme_row", "spread_indices", "write_comparison", "write_price_table"]
