"""TFTP (RFC 1350, options RFC 2347) over UDP.  The request (RRQ/WRQ: filename NUL mode
NUL) goes to the server; the transfer then runs between new ports, so a transfer flow
starts with DATA block 1 / ACK block 0 or 1, or OACK.  Metadata: opcode, filename, mode.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

MODES = (b"netascii", b"octet", b"mail")


def parse(dg: bytes):
    if len(dg) < 2:
        return MORE if dg == b"\x00" else None
    op = int.from_bytes(dg[:2], "big")
    if op in (1, 2):
        parts = dg[2:].split(b"\x00")
        if len(parts) < 3:
            return MORE if len(dg) < 512 else None
        fname, mode = parts[0], parts[1].lower()
        if not fname or mode not in MODES or parts[-1] != b"":
            return None                   # the mode is one of three fixed strings
        return {"opcode": "RRQ" if op == 1 else "WRQ", "filename": dec(fname),
                "mode": mode.decode()}
    if op == 3:
        if len(dg) < 4:
            return MORE
        # DATA carries at most blksize bytes (512 unless negotiated, max 65464).
        return {"opcode": "DATA", "block": int.from_bytes(dg[2:4], "big")} if len(dg) <= 65468 else None
    if op == 4:
        if len(dg) < 4:
            return MORE
        return {"opcode": "ACK", "block": int.from_bytes(dg[2:4], "big")} if len(dg) == 4 else None
    if op == 5:
        if len(dg) < 5:
            return MORE
        return {"opcode": "ERROR"} if int.from_bytes(dg[2:4], "big") <= 8 and dg[-1] == 0 else None
    if op == 6:
        return {"opcode": "OACK"} if dg.endswith(b"\x00") and len(dg) > 3 else None
    return None


def probe(view, state):
    first = {}
    for d, dgs in ((0, view.datagrams_c2s), (1, view.datagrams_s2c)):
        for dg in dgs[:2]:
            if not dg:
                continue
            r = parse(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            first.setdefault(d, r)
    if not first:
        return MORE
    ops = {r["opcode"] for r in first.values()}
    if ops & {"RRQ", "WRQ"}:
        m = first.get(0) or first[1]
        return match("tftp", 1.0, **m)
    # A transfer flow: DATA one way, ACK the other, block numbers small.
    if ops <= {"DATA", "ACK", "OACK", "ERROR"} and len(first) == 2 and \
            all(r.get("block", 0) <= 2 for r in first.values()) and ("DATA" in ops or "OACK" in ops):
        return match("tftp", 0.9, opcode="transfer")
    if ops == {"OACK"}:
        # An option acknowledgement alone (the request went to another flow): its
        # name/value pairs use the registered option names (RFC 2347-2349, 7440).
        dg = (view.datagrams_c2s or view.datagrams_s2c)[0]
        names = dg[2:].split(b"\x00")[0:-1:2]
        if names and all(n.lower() in (b"blksize", b"tsize", b"timeout", b"windowsize") for n in names):
            return match("tftp", 0.8, opcode="OACK")
        return NO
    if len(first) == 1:
        return MORE
    return NO


SPEC = DetectorSpec(name="tftp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))))
