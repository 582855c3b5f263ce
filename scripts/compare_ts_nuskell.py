"""Compare the gates dsdcompile's .ts reader makes with nuskell's (dumped by scripts/nuskell_gates.py).

    python scripts/compare_ts_nuskell.py GATES.json > table.md

For every (scheme, CRN) pair of the dump: the one reaction is translated by dsdcompile's reader as one
module template, nuskell's species domains are renamed to the template's (``S{k}-{suffix}``), and the two
sets of fuel complexes are compared up to a renaming of the other domains (toeholds to toeholds).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from dsdcompile.crn import parse_crn
from dsdcompile.dsd.schemes import load_scheme
from dsdcompile.dsd.templates import build_template, canonical
from dsdcompile.dsd.ts.compare import same_up_to_names
from dsdcompile.errors import DsdCompileError


def compare(entry: dict, scheme, crn_text: str) -> str:
    text = "0 " + crn_text.strip() if crn_text.strip().startswith("->") else crn_text
    reaction = parse_crn(text + "\n").reactions[0]
    key, order = canonical(reaction)
    try:
        tpl = build_template(scheme, key)
    except DsdCompileError as e:
        return "refused by both" if "error" in entry else f"refused here only ({str(e)[:60]})"
    if "error" in entry:
        return f"nuskell fails ({entry['error'][:50]})"
    rename = {}
    for k, name in enumerate(order):
        strand = entry["species"][name]["strands"][0]
        for (suffix, _), dom in zip(scheme.layout, strand):
            rename[dom] = f"S{k}-{suffix}"
    kinds = {d.name: ("branch" if d.kind == "history" else d.kind) for d in tpl.domains}

    def theirs(d: str) -> str:
        base = d.rstrip("*")
        return rename.get(base, base) + ("*" if d.endswith("*") else "")

    nus = [(tuple(tuple(theirs(d) for d in s) for s in f["strands"]), f["structure"]) for f in entry["fuels"]]
    # nuskell's source reactions add the fuel signal the scheme made; dsdcompile's caller adds its own (f0)
    mine = [(c.strands, c.structure) for c in tpl.fuels]

    def kind(name: str, side: int) -> str:
        if side == 1:
            return kinds[name]
        if name.startswith("S") and "-" in name:
            return kinds[name]
        return "toehold" if name.startswith("t") else "branch"

    if same_up_to_names(nus, mine, kind):
        return "same"
    return f"differs ({len(nus)} vs {len(mine)} fuels)"


def main() -> None:
    dump = json.loads(Path(sys.argv[1]).read_text())
    table: dict[str, dict[str, str]] = defaultdict(dict)
    crns: list[str] = []
    for k, entry in dump.items():
        ts, crn = k.split("|")
        crns.append(crn) if crn not in crns else None
        name = Path(ts).stem if "/tests/" not in ts and not ts.startswith("tests/") else f"{Path(ts).stem} (twin)"
        try:
            scheme = load_scheme(ts)
        except DsdCompileError as e:
            table[name][crn] = "not read: " + ("shared signal domain" if "shared" in str(e) else str(e)[:60])
            continue
        table[name][crn] = compare(entry, scheme, crn)
    print("| scheme | " + " | ".join(f"`{c.strip() or '0'}`" for c in crns) + " |")
    print("|---" * (len(crns) + 1) + "|")
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(row.get(c, "") for c in crns) + " |")


if __name__ == "__main__":
    main()
