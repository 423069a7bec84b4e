"""Automatic tank gauges (Veeder-Root TLS-300/350/450 serial interface, spoken over TCP
by the gauges' network cards, commonly on 10001): the client sends a command, SOH
(0x01), a function code of one letter (I inquiry, S set; lower case asks for the
computer format, upper case for the display format), three digits and a two-digit tank
or position number ("I20100": in-tank inventory, all tanks), optional data, and usually
CR LF.  The gauge answers SOH, then in display format CR LF, the echoed function code,
CR LF and report lines, or in computer format the function code, data, "&&", a 4-hex-
digit checksum; both end with ETX (0x03).

The detector relies on the command's exact shape (SOH, code letter, five digits, short
printable data) and, when the gauge answered, on the answer echoing the same function
code (some gauges omit the SOH of display-format answers).  Metadata: function (e.g.
"I20100").
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

LETTERS = b"IiSs"
MAX_COMMAND = 64


def _command(c: bytes):
    """The function code of a complete command, MORE for a valid prefix, or None."""
    if c[:1] != b"\x01" or (len(c) > 1 and c[1] not in LETTERS):
        return None
    if not all(0x30 <= x <= 0x39 for x in c[2:7]):
        return None                      # three function digits, two tank digits
    if len(c) < 7:
        return MORE
    end = c.find(b"\n")
    body = c[7:end + 1] if end >= 0 else c[7:]
    if any((x < 0x20 or x > 0x7e) and x not in (0x0d, 0x0a) for x in body):
        return None                      # data after the code is printable text
    if end < 0:
        return MORE if len(c) <= MAX_COMMAND else None
    if end + 1 > MAX_COMMAND or c[end - 1:end] != b"\r":
        return None
    return c[1:7]


def _answer(s: bytes, code: bytes):
    """MATCH-worthy (True), undecided (None) or not an answer to `code` (False)."""
    rest = s[1:] if s[:1] == b"\x01" else s
    if rest[:1] not in (b"", b"\r", b"\n") and s[:1] != b"\x01":
        return False                     # SOH, or (display format) a line break first
    echo = rest.lstrip(b"\r\n")[:6]
    if len(echo) < 6:
        return None if code.upper().startswith(echo.upper()) and len(s) < 16 else False
    return echo.upper() == code.upper()


def _decide(c: bytes, s: bytes):
    code = _command(c)
    if code is None:
        return NO
    if code is MORE:
        if not s or len(c) < 7:
            return NO if s else MORE
        code = c[1:7]                    # computer-format commands may lack CR LF
    if not s:
        # SOH, a code letter, five digits, CR LF: a precise but short command.
        return claim("atg", 0.8, function=dec(code))
    ok = _answer(s, code)
    if ok is None:
        return MORE
    return claim("atg", 0.95, function=dec(code)) if ok else NO


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    r = _decide(c, s) if c else NO
    if r is NO and s[:1] == b"\x01" and c:
        # Captures that start mid-connection may have the sides swapped: the gauge's
        # answer first, then the command.
        r = _decide(s, c)
    if not c and r is NO:
        return MORE if _command(s) is not None else NO
    return r


SPEC = DetectorSpec(name="atg", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((1,)), s2c=frozenset((1,))),
                    max_confidence=0.95)
