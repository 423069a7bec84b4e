"""FTP control channel (RFC 959, 2428).  The server greets with ``220``; the client
sends commands (USER, AUTH, FEAT...).  FTP and SMTP share the ``220`` greeting, so the
decision uses the client's commands first, the greeting's words second.

Metadata: banner, and ``expect``: data-connection endpoints announced in the payload
(PASV/EPSV replies, PORT/EPRT commands), consumed by the engine's expectation table to
label the ftp-data flow (see engine.Expectations).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec
from ._banner import commands, greeting

FTP_CMDS = frozenset(b"USER PASS ACCT CWD CDUP QUIT PORT PASV EPSV EPRT TYPE STRU MODE RETR "
                     b"STOR APPE LIST NLST MLSD MLST SYST FEAT OPTS PWD MKD RMD DELE SIZE "
                     b"MDTM REST RNFR RNTO NOOP SITE STAT HELP PBSZ PROT CCC ABOR".split())
SMTP_ONLY = frozenset(b"EHLO HELO MAIL RCPT DATA STARTTLS RSET VRFY EXPN".split())
# POP3's client commands (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034): USER,
# PASS, STAT, LIST, RETR, DELE, NOOP and QUIT are FTP's words too, so a client's
# commands without the server's greeting name FTP only with a word POP3 lacks.
POP3_CMDS = frozenset(b"USER PASS APOP STAT LIST RETR DELE NOOP RSET QUIT TOP UIDL CAPA STLS AUTH".split())
_PASV = re.compile(rb"227 .*?(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")
_EPSV = re.compile(rb"229 .*?\((.)\1\1(\d{1,5})\1\)")
_PORT = re.compile(rb"(?im)^PORT (\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\r?$")
_EPRT = re.compile(rb"(?im)^EPRT (.)([12])\1([0-9a-fA-F.:]+)\1(\d{1,5})\1\r?$")


def announced(c2s: bytes, s2c: bytes) -> list:
    """Data endpoints announced inside the control channel (payload, never ports)."""
    out = []
    for m in _PASV.finditer(s2c):
        h = [int(x) for x in m.groups()]
        if max(h) <= 255:
            out.append({"via": "PASV", "host": ".".join(map(str, h[:4])),
                        "port": h[4] * 256 + h[5]})
    for m in _EPSV.finditer(s2c):
        out.append({"via": "EPSV", "host": None, "port": int(m.group(2))})
    for m in _PORT.finditer(c2s):
        h = [int(x) for x in m.groups()]
        if max(h) <= 255:
            out.append({"via": "PORT", "host": ".".join(map(str, h[:4])),
                        "port": h[4] * 256 + h[5]})
    for m in _EPRT.finditer(c2s):
        out.append({"via": "EPRT", "host": m.group(3).decode(), "port": int(m.group(4))})
    return [a for a in out if 0 < a["port"] < 65536]


def decide(proto: str, view):
    """Shared FTP/SMTP decision: returns (outcome, banner) for ``proto``."""
    g = greeting(view.payload_s2c) if view.payload_s2c else "more"
    cmds = set(commands(view.payload_c2s))
    smtp_cmds = bool(cmds & SMTP_ONLY)
    ftp_cmds = bool(cmds & FTP_CMDS - {b"HELP", b"NOOP", b"QUIT"}) and not smtp_cmds
    if g is None:
        return "no", None
    if g == "more":
        if not view.payload_c2s or not cmds:
            return "more", None
        # No greeting seen (capture started late): commands alone decide.
        if proto == "ftp":
            ftp_only = ftp_cmds and cmds & (FTP_CMDS - POP3_CMDS) - {b"HELP"} and not cmds & (POP3_CMDS - FTP_CMDS)
            return ("weak" if ftp_only else "no"), None
        return ("weak" if smtp_cmds else "no"), None
    code, text = g
    if code not in (220, 120, 421):
        return "no", None
    low = text.lower()
    if proto == "ftp":
        if smtp_cmds:
            return "no", None
        if ftp_cmds or b"ftp" in low:
            return "yes", text
        if b"smtp" in low or b"mail" in low or b"postfix" in low:
            return "no", None
    else:
        if ftp_cmds:
            return "no", None
        if smtp_cmds or b"smtp" in low or b"mail" in low:
            return "yes", text
        if b"ftp" in low:
            return "no", None
    return ("ambiguous" if view.payload_c2s else "more"), text


def probe(view, state):
    v, banner = decide("ftp", view)
    if v == "no":
        return NO                         # not a 220 greeting, or the SMTP side of the rule
    if v == "more":
        return MORE
    exp = announced(view.payload_c2s, view.payload_s2c)
    conf = {"yes": 1.0, "weak": 0.8, "ambiguous": 0.6}[v]
    return claim("ftp", conf, banner=dec(banner) if banner else None, expect=exp or None)


SPEC = DetectorSpec(name="ftp", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=16, prefilter=Prefilter(c2s=frozenset(b"UAFSOPEuafsope"),
                                                        s2c=frozenset(b"12345")))
