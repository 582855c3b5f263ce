"""Domain-level notation, in one place: a domain's complement and a dot-bracket structure's pairs.

A domain ``a`` pairs with its complement ``a*`` (and ``a*`` with ``a``). A structure is a
dot-bracket string over a complex's domains, strands in order with ``+`` between them: ``(``
opens a pair that the matching ``)`` closes, ``.`` is unpaired. Everything that reads either
(templates, rotations of complexes, peppercorn's kernels, the interaction check, the report's
drawings, the sequence stage's junctions) goes through these functions.
"""

from __future__ import annotations


def complement(domain: str) -> str:
    """The domain ``domain`` pairs with: ``a`` → ``a*``, ``a*`` → ``a``."""
    return domain[:-1] if domain.endswith("*") else domain + "*"


def pair_table(structure: str) -> list[int | None]:
    """Partner of every position of a dot-bracket ``structure`` (None: unpaired).

    Positions count the structure's characters without its ``+`` strand breaks (one position
    per domain, or per nucleotide for a nucleotide-level structure). Raises ValueError, with a
    message that names the structure, when it is unbalanced or has a character other than
    ``(``, ``)``, ``.`` and ``+``.
    """
    pairs: list[int | None] = []
    stack: list[int] = []
    for k, char in enumerate(structure.replace("+", "")):
        pairs.append(None)
        if char == "(":
            stack.append(k)
        elif char == ")":
            if not stack:
                raise ValueError(f"unbalanced structure {structure!r}")
            j = stack.pop()
            pairs[j], pairs[k] = k, j
        elif char != ".":
            raise ValueError(f"bad character {char!r} in structure {structure!r}")
    if stack:
        raise ValueError(f"unbalanced structure {structure!r}")
    return pairs


__all__ = ["complement", "pair_table"]
