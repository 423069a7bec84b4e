"""Gopher (RFC 1436): the client opens with one line, a selector (RFC 1436 2: at most 255
characters, no TAB, CR or LF; a TAB and a search string follow it for a type-7 search)
ended by CR LF, and sends nothing else.  The server answers and closes; a menu is lines
of a one-character item type, then display string, selector, host and port separated by
TABs (RFC 1436 3.8), ended by a line holding ".".

This detector relies on the client's single selector line and the server's first menu
line (type, four TAB-separated fields, a decimal port).  A server answering with a file
(type 0, 9, ...) has no structure to rely on, so only menu responses are claimed.
Metadata: selector, item_types (the item types of the menu lines seen, in order).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAX_SELECTOR = 255 + 1 + 255      # selector, TAB, search string (both RFC 1436 limits)
MAX_MENU_LINE = 1024              # a display string is short (RFC 1436 3.8: 70 characters or less)


def _text(b: bytes) -> bool:
    """No control character but TAB: what selectors and menu fields are made of."""
    return not any(c < 0x20 and c != 0x09 or c == 0x7f for c in b)


def _client_line(c: bytes):
    """The selector line without CR LF, MORE while it is incomplete, or None."""
    i = c.find(b"\n")
    if i < 0:
        body = c[:-1] if c.endswith(b"\r") else c
        return MORE if len(c) <= MAX_SELECTOR + 1 and _text(body) else None
    if i + 1 != len(c):
        return None                      # the client sends one line and nothing else
    line = c[:i].rstrip(b"\r")
    if len(line) > MAX_SELECTOR or not _text(line):
        return None
    return line


def _menu_item(line: bytes) -> bool:
    """A menu line: type, then display, selector, host, port (and Gopher+ extras)."""
    if not line or line[0] in b"\t " or line[0] >= 0x7f:
        return False
    fields = line[1:].split(b"\t")
    if len(fields) < 4 or len(fields) > 5:
        return False                     # four fields; Gopher+ adds a fifth ("+" or "?")
    host, port = fields[2], fields[3]
    return bool(host) and b" " not in host and port.isdigit() and len(port) <= 5 and int(port) <= 65535


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        # the client always speaks first; a server talking alone is someone else
        return NO if s else MORE
    line = _client_line(c)
    if line is None:
        return NO
    if line is MORE:
        return NO if s else MORE         # the server answers a whole selector line only
    if not s:
        return MORE
    lines = s.split(b"\n")
    if len(lines) == 1:
        # the first menu line is still incomplete: a plausible start keeps us waiting
        head = s[:-1] if s.endswith(b"\r") else s
        return MORE if len(s) <= MAX_MENU_LINE and head[:1] not in (b"\t", b" ") and _text(head) else NO
    types = []
    for raw in lines[:-1]:               # the complete lines
        item = raw.rstrip(b"\r")
        if item == b".":
            break                        # the menu's end
        if not _menu_item(item):
            if not types:
                return NO                # a file, an HTML page or another protocol
            break
        types.append(chr(item[0]))
    if not types:
        return NO                        # "." alone: an empty answer proves nothing
    return claim("gopher", 0.9, selector=dec(line), item_types="".join(dict.fromkeys(types)))


_PRINTABLE = frozenset(range(0x20, 0x7f))
SPEC = DetectorSpec(name="gopher", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=_PRINTABLE | {0x09, 0x0a, 0x0d},
                                                       s2c=_PRINTABLE - {0x20}),
                    max_confidence=0.9)
