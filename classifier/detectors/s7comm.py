"""S7comm (Siemens S7-300/400 PLC protocol) over ISO-on-TCP (RFC 1006 TPKT and X.224
class 0, see _tpkt.py): after the COTP connection request/confirm, every data TPDU
carries an S7 PDU, protocol id 0x32, a ROSCTR (1 job, 2 ack, 3 ack-data, 7 user data),
reserved (2, zero), PDU reference (2), parameter length (2) and data length (2), plus
error class and code (2) for ack and ack-data; header, parameters and data fill the TPDU
exactly.  The first job of a connection is "setup communication" (function 0xF0).

A COTP connect alone is shared with MMS and RDP; the detector claims the flow on the
first S7 PDU whose lengths add up.  Metadata: rosctr, function (the first parameter
byte: 0xF0 setup communication, 0x04 read, 0x05 write, ...), and the TSAPs of the
connection request when seen.
"""
from __future__ import annotations

from . import _tpkt
from .base import MORE, NO, DetectorSpec, Prefilter, claim, resyncing, streams

ROSCTR = {1: "job", 2: "ack", 3: "ack-data", 7: "userdata"}


def _s7(ud: bytes):
    """(rosctr, function) of an S7 PDU filling `ud`, or None."""
    if len(ud) < 10 or ud[0] != 0x32 or ud[1] not in ROSCTR or ud[2:4] != b"\x00\x00":
        return None
    hl = 12 if ud[1] in (2, 3) else 10
    plen, dlen = int.from_bytes(ud[6:8], "big"), int.from_bytes(ud[8:10], "big")
    if hl + plen + dlen != len(ud):
        return None
    return ROSCTR[ud[1]], (ud[hl] if plen else None)


def probe(view, state):
    meta = {}
    for _, data in streams(view):
        units = _tpkt.tpdus(data)
        if units is None:
            return NO
        if units is _tpkt.MORE_BYTES:
            continue
        for code, header, ud in units:
            if code in (_tpkt.CR, _tpkt.CC):
                if ud:
                    return NO            # S7 connects carry no user data (RDP's do)
                meta.update(_tpkt.tsaps(header))
            elif code == _tpkt.DT and ud:
                r = _s7(ud)
                if r is None:
                    return NO            # a DT that is no S7 PDU: MMS, or something else
                meta.setdefault("rosctr", r[0])
                if r[1] is not None:
                    meta.setdefault("function", r[1])
    if "rosctr" in meta:
        # Protocol id, ROSCTR, zero reserved bytes and three lengths that agree.
        return claim("s7comm", 1.0, **meta)
    return MORE                          # a connect alone (or a partial TPKT) decides nothing


# A mid-stream direction may start inside a message: the other one may decide alone.
probe = resyncing(probe)

SPEC = DetectorSpec(name="s7comm", transports=("tcp",), probe=probe, resync=True, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((3,)), s2c=frozenset((3,))),
                    max_confidence=1.0)
