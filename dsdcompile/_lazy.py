"""Names a package exports but imports only on first use, so that importing the package stays cheap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, namespace: dict, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module path) when ``name`` is first read.

    The value is the module itself when ``name`` is that module's last component, else the
    attribute ``name`` of the module; it is cached in ``namespace`` (the package's globals).
    """

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = import_module(module)
        if name != module.rsplit(".", 1)[-1]:
            value = getattr(value, name)
        namespace[name] = value
        return value

    return __getattr__
