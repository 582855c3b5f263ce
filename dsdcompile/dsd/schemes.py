"""Find translation schemes by name (built-ins, entry points) or load one from a .py file, and check their interface."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType

from dsdcompile.dsd.plugin_runner import start as start_plugin
from dsdcompile.errors import DsdCompileError, SchemeError

ENTRY_POINT_GROUP = "dsdcompile.schemes"
DOMAIN_KINDS = ("history", "toehold", "branch")
_REQUIRED = ("CITATION", "TOEHOLD_NT", "BRANCH_NT", "MAX_REACTANTS", "FUEL_ROLES", "signal_layout", "translate")


def _entry_points() -> dict[str, metadata.EntryPoint]:
    try:
        return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    except Exception:  # noqa: BLE001 - a broken installation must not hide the built-ins
        return {}


def available_schemes() -> list[str]:
    """Names that `load_scheme` accepts (besides paths to .py files)."""
    from translation_schemes import BUILTIN

    return sorted(set(BUILTIN) | set(_entry_points()))


@dataclass(frozen=True, eq=False)
class Scheme:
    """A loaded, checked translation scheme with the domain lengths in force."""

    name: str
    module: ModuleType = field(repr=False)
    toehold_nt: int
    branch_nt: int

    @property
    def citation(self) -> str:
        return self.module.CITATION

    @property
    def max_reactants(self) -> int | None:
        return self.module.MAX_REACTANTS

    @property
    def fuel_roles(self) -> tuple[str, ...]:
        return tuple(self.module.FUEL_ROLES)

    @property
    def layout(self) -> tuple[tuple[str, str], ...]:
        return tuple(tuple(x) for x in self.module.signal_layout())

    @property
    def shared(self) -> tuple[str, ...]:
        """Layout suffixes whose domain is one domain shared by every species (``SHARED_DOMAINS``, optional)."""
        return tuple(getattr(self.module, "SHARED_DOMAINS", ()) or ())

    @property
    def global_domains(self) -> tuple[tuple[str, str], ...]:
        """(name, kind) of domains no signal carries that are one domain in the whole design, ``global-{name}``
        (``GLOBAL_DOMAINS``, optional; cardelli2013_2D_2TGC's second toehold)."""
        return tuple(tuple(x) for x in getattr(self.module, "GLOBAL_DOMAINS", ()) or ())

    @property
    def has_history(self) -> bool:
        return bool(self.layout) and self.layout[0][1] == "history"

    def length(self, kind: str) -> int:
        return self.toehold_nt if kind == "toehold" else self.branch_nt

    def translate(self, reactants: Sequence[dict[str, str]], products: Sequence[dict[str, str]],
                  new_domain: Callable[[str], str]) -> list[tuple[str, list[list[str]], str]]:
        try:
            fuels = self.module.translate(list(reactants), list(products), new_domain)
        except DsdCompileError:  # a refusal naming the scheme (a .ts abort), or its worker ended (PluginDied)
            raise
        except Exception as e:  # noqa: BLE001 - a user's scheme may fail in any way
            raise SchemeError(f"scheme {self.name!r} failed on a {len(reactants)}->{len(products)} reaction: "
                              f"{type(e).__name__}: {e}") from e
        return [(str(role), [list(s) for s in strands], str(structure).replace(" ", ""))
                for role, strands, structure in fuels]


def _check(module: ModuleType, name: str) -> None:
    missing = [a for a in _REQUIRED if not hasattr(module, a)]
    if missing:
        raise SchemeError(f"scheme {name!r} lacks {', '.join(missing)} (see translation_schemes/__init__.py)")
    layout = module.signal_layout()
    kinds = [k for _, k in layout]
    suffixes = [s for s, _ in layout]
    if not layout or any(k not in DOMAIN_KINDS for k in kinds) or "history" in kinds[1:] \
            or len(set(suffixes)) != len(suffixes) or any(not s.isalpha() for s in suffixes):
        raise SchemeError(f"scheme {name!r}: signal_layout() must give distinct alphabetic suffixes with kinds "
                          f"{'/'.join(DOMAIN_KINDS)}, a history domain only first; got {layout!r}")
    shared = getattr(module, "SHARED_DOMAINS", ()) or ()
    if isinstance(shared, str) or any(s not in suffixes or dict(layout)[s] == "history" for s in shared):
        raise SchemeError(f"scheme {name!r}: SHARED_DOMAINS must list suffixes of signal_layout() that are not the "
                          f"history domain; got {shared!r}")
    extra = getattr(module, "GLOBAL_DOMAINS", ()) or ()
    if extra and (not shared or isinstance(extra, str)
                  or any(len(x) != 2 or not str(x[0]).isalpha() or x[1] not in ("toehold", "branch") for x in extra)
                  or len({x[0] for x in extra} | set(suffixes)) != len(extra) + len(suffixes)):
        # only beside a shared signal domain: then the verification already pairs every two modules
        raise SchemeError(f"scheme {name!r}: GLOBAL_DOMAINS must list (name, 'toehold'|'branch') with alphabetic "
                          f"names that are not signal_layout() suffixes, in a scheme with SHARED_DOMAINS; "
                          f"got {extra!r}")
    for attr in ("TOEHOLD_NT", "BRANCH_NT"):
        if not isinstance(getattr(module, attr), int) or getattr(module, attr) <= 0:
            raise SchemeError(f"scheme {name!r}: {attr} must be a positive integer")


def load_scheme(name: str, *, toehold_nt: int | None = None, branch_nt: int | None = None) -> Scheme:
    """A scheme by built-in or entry-point name, or from a path ending in .py; unknown → SchemeError."""
    from translation_schemes import BUILTIN

    if name.endswith(".ts"):  # nuskell's translation-scheme language (dsdcompile.dsd.ts)
        from dsdcompile.dsd.ts import load_ts_scheme

        module = load_ts_scheme(name)
        label = module.NAME
    elif name.endswith(".py"):
        path = Path(name)
        if not path.is_file():
            raise SchemeError(f"no such scheme file: {path}")
        # run in a worker process (plugin_runner): its import or translate may exit or crash the interpreter
        module = start_plugin("file", str(path), f"file {path}")
        label = getattr(module, "NAME", path.stem)
    elif name in BUILTIN and BUILTIN[name].endswith(".ts"):
        import translation_schemes
        from dsdcompile.dsd.ts import load_ts_scheme

        module, label = load_ts_scheme(Path(translation_schemes.__file__).parent / BUILTIN[name], name), name
    elif name in BUILTIN:
        module, label = importlib.import_module(BUILTIN[name]), name
    elif name in _entry_points():
        module, label = start_plugin("entry", name, f"{name!r} (entry point)"), name
    else:
        raise SchemeError(f"unknown translation scheme {name!r}; available: {', '.join(available_schemes())} "
                          f"(or a path to a scheme module ending in .py, or 'none')")
    _check(module, label)
    return Scheme(label, module, toehold_nt or module.TOEHOLD_NT, branch_nt or module.BRANCH_NT)
