"""Reaction shapes and their module templates: translate each shape once with placeholder species, checked."""

from __future__ import annotations

from dsdcompile.dsd.notation import complement, pair_table
from dsdcompile.dsd.order import label, shape_label
from dsdcompile.dsd.schemes import Scheme
from dsdcompile.dsd.system import Complex, ComplexRole, Domain, ModuleTemplate, shared_domain
from dsdcompile.errors import SchemeError, UnsupportedReaction


def _check_structure(name: str, strands: list[list[str]], structure: str, known: set[str]) -> None:
    parts = structure.split("+")
    if len(parts) != len(strands) or any(len(p) != len(s) for p, s in zip(parts, strands)):
        raise SchemeError(f"fuel {name}: structure {structure!r} does not fit strands {strands!r}")
    if any(not s for s in strands):
        raise SchemeError(f"fuel {name}: empty strand")
    flat = [d for s in strands for d in s]
    unknown = next((d for d in flat if d.rstrip("*") not in known), None)
    if unknown is not None:
        raise SchemeError(f"fuel {name}: unknown domain {unknown!r} (use the given names or new_domain())")
    try:
        pairs = pair_table(structure)
    except ValueError as e:
        raise SchemeError(f"fuel {name}: {e}") from None
    for k, j in enumerate(pairs):
        if j is not None and k < j and flat[j] != complement(flat[k]):
            raise SchemeError(f"fuel {name}: {flat[k]} pairs with {flat[j]}, which is not its complement")


def build_template(scheme: Scheme, key: tuple[tuple[int, int], ...],
                   sequence: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> ModuleTemplate:
    """Translate the shape ``key`` (see `canonical`) once, with placeholder species S0, S1, ...; ``sequence``
    (reactants, products as local indices, see dsdcompile.dsd.order) fixes the binding order, else the key's."""
    reactants = tuple(k for k, (rc, _) in enumerate(key) for _ in range(rc))
    products = tuple(k for k, (_, pc) in enumerate(key) for _ in range(pc))
    if sequence is not None:
        reactants, products = tuple(sequence[0]), tuple(sequence[1])
    if scheme.max_reactants is not None and len(reactants) > scheme.max_reactants:
        raise UnsupportedReaction(f"scheme {scheme.name!r} takes at most {scheme.max_reactants} reactants, "
                                  f"got {len(reactants)}")
    layout = scheme.layout
    shared = set(scheme.shared)

    def local(k: int, suffix: str) -> str:  # a domain every species shares has one name in every module
        return shared_domain(suffix) if suffix in shared else f"S{k}-{suffix}"

    domains: dict[str, Domain] = {}
    for suffix, kind in layout:  # in every template, even one whose reaction has no species (0 -> F's source)
        if suffix in shared:
            domains[shared_domain(suffix)] = Domain(shared_domain(suffix), scheme.length(kind), kind)
    for gname, kind in scheme.global_domains:  # domains no signal carries, one in the whole design
        domains[shared_domain(gname)] = Domain(shared_domain(gname), scheme.length(kind), kind)
    for k in range(len(key)):
        for suffix, kind in layout:
            name = local(k, suffix)
            domains[name] = Domain(name, scheme.length(kind), kind)

    def new_domain(kind: str = "branch") -> str:
        # "history": a wildcard history domain of a fuel signal strand (the domains after it make it that fuel)
        if kind not in ("toehold", "branch", "history"):
            raise SchemeError(f"new_domain: kind must be 'toehold', 'branch' or 'history', got {kind!r}")
        name = f"p{sum(1 for d in domains if d.startswith('p'))}"
        domains[name] = Domain(name, scheme.length(kind), kind)
        return name

    bare = [(s, k) for s, k in layout if k != "history"]
    fuels: list[Complex] = []
    source = not reactants
    if source:  # 0 -> P becomes F -> P with a private signal F that is a fuel
        sig = {s: shared_domain(s) if s in shared else new_domain(k) for s, k in bare}
        react_maps = [sig]
        hist = [new_domain("branch")] if scheme.has_history else []
        strand = tuple(hist + [sig[s] for s, _ in bare])
        fuels.append(Complex("f0", (strand,), "." * len(strand), ComplexRole.FUEL, part="source"))
    else:
        react_maps = [{s: local(k, s) for s, _ in bare} for k in reactants]
    prod_maps = [{s: local(k, s) for s, _ in bare} for k in products]
    raw = scheme.translate(react_maps, prod_maps, new_domain)
    if not raw:
        raise SchemeError(f"scheme {scheme.name!r} produced no fuels for shape {shape_label(scheme.name, key)}")
    seen: set[str] = set()
    for role, strands, structure in raw:
        name = f"f{len(fuels)}"
        _check_structure(f"{name} ({role}) of {scheme.name}", strands, structure, set(domains))
        fuel = Complex(name, tuple(tuple(s) for s in strands), structure, ComplexRole.FUEL, part=role)
        # Repeated reactants make some schemes emit the same fuel twice (soloveichik2010's translator
        # for 3 A -> B): it is one molecule, present in excess, so it is listed once.
        form = fuel.canonical().kernel()
        if form not in seen:
            seen.add(form)
            fuels.append(fuel)
    # Every local species' canonical signal is present when the module is enumerated, products too: a
    # product strand made elsewhere (another module's history, or an initial concentration) must meet
    # this module's complexes in the enumeration, not only the strand this module releases itself.
    inputs = tuple(
        Complex(f"S{k}", (tuple(local(k, s) for s, _ in layout),), "." * len(layout), ComplexRole.SIGNAL)
        for k in range(len(key))
    )

    return ModuleTemplate(label(scheme.name, key, sequence), reactants, products, len(key), tuple(domains.values()),
                          inputs, tuple(fuels), source)


def longest_strand(template: ModuleTemplate) -> int:
    lengths = {d.name: d.length for d in template.domains}
    return max(sum(lengths[d.rstrip("*")] for d in s) for c in template.fuels + template.inputs for s in c.strands)


def auto_max_products(scheme: Scheme, max_reactants: int, max_strand_nt: int, cap: int = 64) -> int:
    """The largest K such that a max_reactants -> K distinct products module fits max_strand_nt (at least 2)."""
    best = 1
    for k in range(1, cap + 1):
        key = tuple([(1, 0)] * max(1, max_reactants) + [(0, 1)] * k)
        try:
            template = build_template(scheme, key)
        except UnsupportedReaction:  # a shape the scheme refuses (a .ts scheme's abort) says nothing here
            continue
        if longest_strand(template) > max_strand_nt:
            break
        best = k
    return max(best, 2)
