"""Open a local page in headless Chromium over the DevTools pipe: console errors, load time, script results, screenshot.

Chromium's ``--remote-debugging-pipe`` speaks the DevTools protocol as NUL-separated JSON on
file descriptors 3 (commands in) and 4 (messages out), so no websocket library and no network
port are needed. The report's tests and scripts use this to check that ``index.html`` loads
without a console error, that its internal links resolve, and to take screenshots.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The path of a Chromium/Chrome executable on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageResult:
    """What loading a page produced."""

    url: str
    console_errors: list[str] = field(default_factory=list)   # console.error, uncaught exceptions, failed loads
    console_messages: list[str] = field(default_factory=list)  # every console/log message, any level
    load_seconds: float = 0.0      # navigation start to the load event (wall clock, this process)
    ready_seconds: float | None = None  # to ``document.body.dataset.ready`` (the report's script done)
    values: list = field(default_factory=list)  # results of the ``evaluate`` expressions, in order
    screenshot: bytes | None = None
    element_shots: dict[str, bytes] = field(default_factory=dict)  # CSS selector → PNG of that element


class BrowserError(RuntimeError):
    """Chromium could not be started or stopped answering."""


class _Pipe:
    def __init__(self, exe: str, user_dir: str, extra: list[str]) -> None:
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def child() -> None:  # pragma: no cover - runs in the child
            # dup first: os.pipe() fds are close-on-exec, dup2 onto 3/4 makes inheritable copies
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--remote-debugging-pipe",
                f"--user-data-dir={user_dir}", *extra, "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=child, close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        except BrokenPipeError as e:
            raise BrowserError("chromium closed its DevTools pipe (did it start?)") from e
        return self._id

    def recv(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_r], [], [], left)[0]:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._from_r, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed its DevTools pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        i = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(deadline)
            if msg.get("id") == i:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        while True:
            msg = self.recv(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (BrowserError, subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._to_w)
            os.close(self._from_r)


def _describe(event: dict) -> tuple[str | None, str | None]:
    """(error text or None, message text or None) of a DevTools event."""
    method, p = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        d = p.get("exceptionDetails", {})
        text = d.get("exception", {}).get("description") or d.get("text", "exception")
        return f"uncaught: {text} ({d.get('url', '')}:{d.get('lineNumber', 0) + 1})", None
    if method == "Runtime.consoleAPICalled":
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
        return (f"console.{p.get('type')}: {text}" if p.get("type") in ("error", "assert") else None,
                f"console.{p.get('type')}: {text}")
    if method == "Log.entryAdded":
        e = p.get("entry", {})
        text = f"{e.get('source')}: {e.get('text')} {e.get('url', '')}".strip()
        return (text if e.get("level") == "error" else None), text
    return None, None


def open_page(path: str | Path, *, evaluate: tuple[str, ...] = (), screenshot: bool = False,
              width: int = 1280, height: int = 900, full_page: bool = False, timeout: float = 60.0,
              settle_s: float = 0.2, chromium: str | None = None, elements: tuple[str, ...] = ()) -> PageResult:
    """Load the file ``path`` in a fresh headless Chromium; collect errors, timings, script results, PNGs.

    ``evaluate`` are JavaScript expressions evaluated after the load event (promises awaited,
    values returned by value); ``elements`` are CSS selectors of elements to photograph
    (after the expressions ran). Raises BrowserError when no Chromium is found or it fails.
    """
    exe = chromium or find_chromium()
    if exe is None:
        raise BrowserError("no chromium executable on PATH (apt-get install chromium)")
    url = Path(path).resolve().as_uri()
    result = PageResult(url)
    with tempfile.TemporaryDirectory(prefix="dsdcompile-chromium-") as user_dir:
        pipe = _Pipe(exe, user_dir, [f"--window-size={width},{height}"])
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
                pipe.call(domain, session=session)
            pipe.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                             "deviceScaleFactor": 1, "mobile": False},
                      session=session)
            # no scrollbar: a capture beyond the viewport would otherwise lay the page out 15 px wider
            pipe.call("Emulation.setScrollbarsHidden", {"hidden": True}, session=session)
            pipe.events.clear()
            t0 = time.monotonic()
            pipe.call("Page.navigate", {"url": url}, session=session, timeout=timeout)
            pipe.wait_event("Page.loadEventFired", timeout)
            result.load_seconds = time.monotonic() - t0
            ready = pipe.call("Runtime.evaluate", {
                "expression": "new Promise(r => { const t0 = performance.now(); (function w() { "
                              "if (document.body && document.body.dataset.ready) r(performance.timing."
                              "navigationStart ? (Date.now() - performance.timing.navigationStart) / 1000 : -1); "
                              "else if (performance.now() - t0 > 20000) r(null); else setTimeout(w, 10); })(); })",
                "awaitPromise": True, "returnByValue": True}, session=session, timeout=timeout)
            result.ready_seconds = ready.get("result", {}).get("value")
            time.sleep(settle_s)  # late resource errors (images) arrive after the load event
            for expr in evaluate:
                r = pipe.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True},
                              session=session, timeout=timeout)
                if "exceptionDetails" in r:
                    raise BrowserError(f"evaluate {expr[:60]!r}: {r['exceptionDetails'].get('text')} "
                                       f"{r.get('result', {}).get('description', '')}")
                result.values.append(r.get("result", {}).get("value"))
            if screenshot:
                params: dict = {"format": "png"}
                if full_page:
                    params["captureBeyondViewport"] = True
                    metrics = pipe.call("Page.getLayoutMetrics", session=session)
                    size = metrics.get("cssContentSize") or metrics.get("contentSize")
                    params["clip"] = {"x": 0, "y": 0, "width": width, "height": min(size["height"], 16000),
                                      "scale": 1}
                shot = pipe.call("Page.captureScreenshot", params, session=session, timeout=timeout)
                result.screenshot = base64.b64decode(shot["data"])
            for selector in elements:
                rect = pipe.call("Runtime.evaluate", {
                    "expression": f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                                  ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, "
                                  "r.height]; })()", "returnByValue": True}, session=session)["result"]["value"]
                pad = 8  # a margin around the element, inside the page
                x, y = max(rect[0] - pad, 0), max(rect[1] - pad, 0)
                clip = {"x": x, "y": y, "width": rect[0] + rect[2] + pad - x, "height": rect[1] + rect[3] + pad - y,
                        "scale": 1}
                shot = pipe.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                            "captureBeyondViewport": True},
                                 session=session, timeout=timeout)
                result.element_shots[selector] = base64.b64decode(shot["data"])
            for event in pipe.events:
                err, msg = _describe(event)
                if msg:
                    result.console_messages.append(msg)
                if err:
                    result.console_errors.append(err)
        finally:
            pipe.close()
    return result
