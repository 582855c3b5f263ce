"""CRN files on disk: only regular files of bounded size, text or JSON told apart by content."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from dsdcompile.crn.jsonio import _loads, crn_from_json
from dsdcompile.crn.rules import _ARROW_RE, _CONC_RE, _DIRECTIVE_RE, _MAGIC, MAX_CRN_FILE_BYTES, SNIFF_BYTES
from dsdcompile.crn.text import _statements, parse_crn
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.runtime.resources import open_regular


def _read_bytes(path: str | Path, max_bytes: int) -> bytes:
    p = Path(path)
    fd = open_regular(p, "CRN file")
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise InputError(f"file is {size:,} bytes, above the limit of {max_bytes:,} bytes for a CRN file",
                             path=str(p))
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"file is above the limit of {max_bytes:,} bytes for a CRN file", path=str(p))
    return data


def _binary_kind(head: bytes) -> str | None:
    """What a file is when its first bytes say it is no text: a model file is never a CRN."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle (a torch model file?)"
    if len(head) >= 9 and head[8:9] == b"{" and b"\x00" in head[:8]:
        return "safetensors file"
    if b"\x00" in head:
        return "binary file"
    return None


def _decode(data: bytes, path: str) -> str:
    kind = _binary_kind(data[:SNIFF_BYTES])
    if kind:
        raise InputError(f"this is a {kind}, not a CRN (.crn text or dsdcompile CRN JSON)", path=path)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise InputError(f"not a UTF-8 text file (byte {e.start})", path=path) from None


def read_crn(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a ``.crn`` text file."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    if text.lstrip().startswith("{"):
        raise InputError("this file holds JSON, not .crn text (read_crn_file reads either)", path=str(path))
    return parse_crn(text, path=str(path))


def read_crn_json(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a CRN JSON file (``"format": "dsdcompile-crn"``)."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    return crn_from_json(_loads(text, str(path)), path=str(path))


def read_crn_file(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a CRN file, ``.crn`` text or JSON, told apart by content whatever the extension."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    if text.lstrip()[:1] in ("{", "["):  # no .crn text starts so
        return crn_from_json(_loads(text, str(path)), path=str(path))
    return parse_crn(text, path=str(path))


def crn_file_kind(path: str | Path) -> Literal["text", "json"] | None:
    """Whether a file is ``.crn`` text, CRN JSON, or neither (None: e.g. a model), from its first bytes.

    Reads at most :data:`SNIFF_BYTES`. A missing or non-regular file (FIFO, device, directory) raises
    InputError, so a caller never goes on to open it. Text counts as a CRN when its first statement
    is a reaction, a directive or a nuskell concentration; JSON when it names the dsdcompile format.
    """
    fd = open_regular(path, "CRN file")
    with os.fdopen(fd, "rb") as f:
        head = f.read(SNIFF_BYTES + 1)
    truncated = len(head) > SNIFF_BYTES
    head = head[:SNIFF_BYTES]
    if _binary_kind(head):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if not truncated or e.start < len(head) - 3:
            return None
        text = head[:e.start].decode("utf-8")  # a character cut at the end of the sniffed bytes
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        return "json" if re.search(r'"format"\s*:\s*"dsdcompile-crn"', text) else None
    lines = text.replace("\r", "\n").split("\n")
    for line in lines[:-1] if truncated else lines:
        for _, stmt in _statements(line):
            stmt = stmt.strip()
            if stmt:
                looks = bool(_DIRECTIVE_RE.match(stmt) or _ARROW_RE.search(stmt) or _CONC_RE.match(stmt))
                return "text" if looks else None
    return None


def looks_like_crn_text(path: str | Path) -> bool:
    """True when a file is ``.crn`` text by content (see :func:`crn_file_kind`); False for anything unreadable."""
    try:
        return crn_file_kind(path) == "text"
    except InputError:
        return False
