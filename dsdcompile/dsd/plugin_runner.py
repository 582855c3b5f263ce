"""A user's translation scheme (a .py file or an entry point) run in a worker process of its own.

A scheme plugin is code dsdcompile does not control: its import or its ``translate`` may call
``os._exit(0)``, crash the interpreter or never return. Run in-process, ``os._exit(0)`` ended a
compile with exit 0, no output and its staging folder left behind: a silent false success. Here
the plugin lives in a worker (``python dsdcompile/dsd/plugin_runner.py``, which imports nothing of
dsdcompile), and the run talks to it through JSON lines on the worker's stdin and stdout:

- on start the worker imports the plugin and answers its interface (the attributes of
  :data:`ATTRIBUTES` it has, and ``signal_layout()``), or the reason it could not;
- ``{"translate": [reactants, products]}`` runs ``translate`` there; each ``new_domain(kind)`` the
  plugin calls is asked of the run (the domain names are the run's), and the fuels come back as
  plain lists of strings, checked by the run as a built-in scheme's are.

A worker that ends, is killed or sends something else than the protocol is a :class:`PluginDied`
(exit 1, one line naming the scheme file); an exception in the plugin comes back as its type and
message, so it reads as a built-in scheme's failure does (exit 2). A call that takes longer than
:data:`CALL_TIMEOUT` seconds ends the worker. The worker's own output goes to a file, never to the
run's stdout, and the worker is ended when the scheme is closed or the run exits.

Built-in schemes stay in-process: they are part of dsdcompile.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path

ATTRIBUTES = ("NAME", "CITATION", "TOEHOLD_NT", "BRANCH_NT", "MAX_REACTANTS", "PRACTICAL_MAX_REACTANTS",
              "FUEL_ROLES")
CALL_TIMEOUT = 30.0  # seconds one import or translate call may take (a shape translates in milliseconds)
MAX_MESSAGE_BYTES = 64 << 20
MAX_ERROR_CHARS = 300  # of a plugin's exception message: the error is one line

try:  # the run's error classes; absent in the worker, which imports nothing of dsdcompile
    from dsdcompile.errors import DsdCompileError
except ImportError:  # pragma: no cover - in the worker
    DsdCompileError = Exception  # type: ignore[assignment,misc]


class PluginDied(DsdCompileError):  # type: ignore[misc,valid-type]
    """The worker running a scheme plugin ended, timed out or broke the protocol (exit 1)."""


class PluginScheme:
    """A scheme module's interface, served by a worker process (see the module's docstring).

    Has the attributes of the plugin that :data:`ATTRIBUTES` names, ``signal_layout()`` and
    ``translate(reactants, products, new_domain)``, like the module itself.
    """

    def __init__(self, kind: str, target: str, label: str) -> None:
        self._label = label  # the scheme file (or entry point) as messages name it
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), kind, target], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, close_fds=True)
        self._buffer = b""
        self._finalizer = weakref.finalize(self, _end, self._proc, self._log)
        hello = self._receive("being imported")
        if "error" in hello:
            self.close()
            from dsdcompile.errors import SchemeError

            raise SchemeError(f"scheme {label} {' '.join(str(hello['error']).split())}")
        self._layout = hello.get("signal_layout")
        for name, value in (hello.get("attributes") or {}).items():
            if name in ATTRIBUTES:
                setattr(self, name, value)
        # only what the plugin has: a missing function is reported as the in-process module's would be
        if self._layout is not None:
            self.signal_layout = self._signal_layout
        if hello.get("translate"):
            self.translate = self._translate

    # -- the module's interface
    def _signal_layout(self):
        return self._layout

    def _translate(self, reactants: list, products: list, new_domain: Callable[[str], str]) -> list:
        self._send({"translate": [reactants, products]})
        failure: BaseException | None = None
        while True:
            msg = self._receive(f"translating a {len(reactants)}->{len(products)} reaction")
            if "new_domain" in msg:
                try:
                    name = new_domain(*msg["new_domain"])
                except Exception as e:  # noqa: BLE001 - the plugin gets the error, the run raises it afterwards
                    failure = failure or e
                    self._send({"raise": f"{type(e).__name__}: {e}"})
                else:
                    self._send({"name": name})
            elif "result" in msg:
                if failure is not None:
                    raise failure
                return msg["result"]
            elif "error" in msg:
                if failure is not None:
                    raise failure
                raise _remote_error(msg["error"])
            else:
                self._died(f"sent {str(msg)[:80]!r} while translating")

    def close(self) -> None:
        """End the worker (also done when the scheme is collected or the run exits)."""
        self._finalizer()

    def __reduce__(self):  # a worker process of the run cannot share this one's pipe
        raise TypeError(f"the scheme plugin {self._label} runs in a worker process and cannot be pickled")

    # -- the protocol
    def _send(self, msg: dict) -> None:
        try:
            self._proc.stdin.write(json.dumps(msg).encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._died("ended")

    def _receive(self, doing: str) -> dict:
        deadline = time.monotonic() + CALL_TIMEOUT
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._died(f"gave no answer within {CALL_TIMEOUT:g} s while {doing}")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self._proc.wait()
                self._died(f"ended its worker process (exit code {code}) while {doing}"
                           if code >= 0 else f"was killed by signal {-code} while {doing}", raw=True)
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                self._died(f"sent more than {MAX_MESSAGE_BYTES >> 20} MiB while {doing}")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self._died(f"wrote {line[:60]!r} to its standard output while {doing} (a scheme must not print there)",
                       raw=True)
        return msg

    def _died(self, what: str, *, raw: bool = False) -> None:
        self.close()
        text = what if raw else f"worker {what}"
        raise PluginDied(f"scheme {self._label} {text}; a scheme must return its fuels, not end the process")


def _end(proc: subprocess.Popen, log) -> None:
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for f in (proc.stdout, log):
        try:
            f.close()
        except (OSError, AttributeError):
            pass


def _remote_error(text: str) -> Exception:
    """An exception whose type name and message are the plugin's (``TypeError: bad``), for Scheme.translate's
    message."""
    name, _, message = str(text).partition(": ")
    message = message[:MAX_ERROR_CHARS].replace("\n", " ")
    cls = type(name if name.isidentifier() else "Exception", (Exception,), {})
    return cls(message)


def start(kind: str, target: str, label: str) -> PluginScheme:
    """The worker for a scheme file (``kind`` "file", ``target`` its path) or entry point ("entry", its name)."""
    return PluginScheme(kind, target, label)


# ---------------------------------------------------------------------------------------------- the worker
def _import(kind: str, target: str, send: Callable[[dict], None]):  # pragma: no cover - in the worker
    """The plugin module, or None after sending why it could not be imported."""
    import importlib.util

    try:
        if kind == "file":
            name = f"dsdcompile_user_scheme_{Path(target).stem}"
            spec = importlib.util.spec_from_file_location(name, target)
            if spec is None or spec.loader is None:
                send({"error": "cannot be loaded as a Python module"})
                return None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
        from importlib import metadata

        (ep,) = [e for e in metadata.entry_points(group="dsdcompile.schemes") if e.name == target]
        return ep.load()
    except SystemExit as e:
        send({"error": f"called sys.exit({e.code!r}) while being imported"})
    except BaseException as e:  # noqa: BLE001 - reported to the run
        send({"error": f"failed to import: {type(e).__name__}: {str(e)[:MAX_ERROR_CHARS]}"})
    return None


def _interface(module, send: Callable[[dict], None]) -> bool:  # pragma: no cover - in the worker
    """Send the plugin's attributes and signal layout (False after sending why they are not plain data)."""
    attributes = {}
    for a in ATTRIBUTES:
        if hasattr(module, a):
            v = getattr(module, a)
            attributes[a] = list(v) if isinstance(v, tuple) else v
    try:
        layout = [list(x) for x in module.signal_layout()] if hasattr(module, "signal_layout") else None
        json.dumps([attributes, layout])
    except Exception as e:  # noqa: BLE001
        send({"error": f"has an interface that is not plain data: {type(e).__name__}: {str(e)[:MAX_ERROR_CHARS]}"})
        return False
    send({"attributes": attributes, "signal_layout": layout, "translate": hasattr(module, "translate")})
    return True


def _worker(kind: str, target: str) -> None:  # pragma: no cover - runs in the worker process
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the plugin prints goes to the log, never into the protocol
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer

    def send(msg: dict) -> None:
        out.write(json.dumps(msg).encode() + b"\n")
        out.flush()

    def receive() -> dict:
        line = inp.readline()
        if not line:
            os._exit(0)  # the run ended
        return json.loads(line)

    module = _import(kind, target, send)
    if module is None or not _interface(module, send):
        return

    def new_domain(*args):
        send({"new_domain": list(args)})
        reply = receive()
        if "raise" in reply:
            raise ValueError(reply["raise"])
        return reply["name"]

    while True:
        reactants, products = receive()["translate"]
        try:
            fuels = module.translate(reactants, products, new_domain)
            result = [[str(role), [[str(d) for d in s] for s in strands], str(structure)]
                      for role, strands, structure in fuels]
        except SystemExit as e:
            send({"error": f"SystemExit: translate called sys.exit({e.code!r})"})
            continue
        except BaseException as e:  # noqa: BLE001 - reported to the run
            send({"error": f"{type(e).__name__}: {str(e)[:MAX_ERROR_CHARS]}"})
            continue
        send({"result": result})


if __name__ == "__main__":  # pragma: no cover - the worker
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != Path(here)]  # dsd/'s modules are not the plugin's
    _worker(sys.argv[1], sys.argv[2])
