"""A reader for nuskell's translation-scheme language (``.ts`` files): grammar, interpreter, scheme adapter.

``load_ts_scheme(path)`` returns a module object with the attributes dsdcompile's scheme interface asks for
(see ``translation_schemes/__init__.py``), so a ``.ts`` scheme is translated, enumerated and verified like a
built-in one. The language is described in nuskell's documentation and in S. W. Shin's thesis (Caltech, 2012);
this package is an independent implementation of it.
"""

from dsdcompile.dsd.ts.adapter import load_ts_scheme
from dsdcompile.dsd.ts.grammar import parse_ts

__all__ = ["load_ts_scheme", "parse_ts"]
