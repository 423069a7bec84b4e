"""Line-oriented helpers for the greeting-based protocols (ftp, smtp, pop3, imap)."""
from __future__ import annotations

import re

from . import _fast
from .base import ascii_line

_CODE = re.compile(rb"([1-5]\d\d)([ -])(.*)$")


def _reply_lines_py(data: bytes, limit: int = 8):
    """Complete lines of the form 'NNN text' / 'NNN-text' (FTP/SMTP replies).  The
    pure-Python original of the compiled reply_lines below, which falls back to it
    for buffers that are not bytes."""
    out = []
    pos = 0
    for _ in range(limit):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        m = _CODE.match(data[pos:nl].rstrip(b"\r"))
        if not m:
            break
        out.append((int(m.group(1)), m.group(2), m.group(3)))
        pos = nl + 1
    return out


def greeting(data: bytes):
    """(code, text of the whole possibly multi-line greeting) or None or 'more'."""
    if not data:
        return "more"
    if not data[:1].isdigit():
        return None                            # replies start with a 3-digit code
    lines = reply_lines(data, 32)
    if not lines:
        line = ascii_line(data, 1024)
        if line is None and len(data) < 1024 and re.match(rb"\d{0,3}$|\d{3}[ -]", data[:4]):
            return "more"
        return None
    code = lines[0][0]
    texts = []
    for c, sep, t in lines:
        if c != code:
            return None                        # a multi-line reply keeps one code
        texts.append(t)
        if sep == b" ":
            return code, b" ".join(texts)      # the last line of the greeting
    return "more"                              # multi-line reply not finished yet


def _commands_py(data: bytes, limit: int = 16):
    """Upper-cased first words of the complete lines of a client stream.  The
    pure-Python original of the compiled commands below (its fallback for buffers that
    are not bytes)."""
    out = []
    pos = 0
    for _ in range(limit):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        w = data[pos:nl].split(b" ", 1)[0].strip().upper()
        out.append(w)
        pos = nl + 1
    return out


# reply_lines(data, limit=8) -> [(code, sep, text)]: the complete lines "NNN text" /
# "NNN-text" (NNN 100-599) up to the first that is not one.  commands(data, limit=16)
# -> the upper-cased first words of the complete lines.  Compiled: _wire_banner.pxi.
reply_lines = _fast.banner_reply_lines
commands = _fast.banner_commands
