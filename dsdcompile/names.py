"""The one rule for every name a user gives: a model's input and class names, a CRN file's signal names and
node labels.

A name is non-empty (not only spaces), at most :data:`MAX_NAME_CHARS` characters, and holds no
character that would break the files it ends up in or hide what it says: no control character
(newline, NUL, escape, U+0085), no line or paragraph separator (U+2028, U+2029), no lone
surrogate, and no bidirectional control (U+202A-U+202E overrides and embeddings, U+2066-U+2069
isolates, the marks U+200E, U+200F, U+061C), which would display a name in another order than
the one it is read in. Names are written one per line or cell (CSV, Markdown, spreadsheets,
reports). Anything else, ``=``, ``|``, backticks, HTML or ``$`` included, is legal: every writer
treats names as text.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 1000
_REFUSED_CATEGORIES = {"Cc": "control character", "Cs": "lone surrogate", "Zl": "line separator",
                       "Zp": "paragraph separator"}
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refused(ch: str) -> str | None:
    if ch in BIDI_CONTROLS:
        return "bidirectional control character"
    return _REFUSED_CATEGORIES.get(unicodedata.category(ch))


def name_problem(name: str, *, max_chars: int = MAX_NAME_CHARS) -> str | None:
    """What is wrong with ``name`` as a predicate to follow its subject ("meta class_names[2] ..."), or None.

    ``max_chars`` is for labels built from a name (a dual-rail node ``x:NAME`` is two longer).
    """
    if not name.strip():
        return f"must be a non-empty name, got {name!r}"
    if len(name) > max_chars:
        return f"is {len(name)} characters long; names have at most {max_chars}"
    for ch in name:
        what = _refused(ch)
        if what is not None:
            return (f"{name[:40]!r} contains the {what} {ch!r} (U+{ord(ch):04X}); names are written one per line "
                    "and cell, so line breaks, NUL, other control characters and bidirectional controls are refused")
    return None


__all__ = ["BIDI_CONTROLS", "MAX_NAME_CHARS", "name_problem"]
