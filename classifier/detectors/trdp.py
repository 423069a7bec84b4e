"""TRDP, the Train Real-time Data Protocol (IEC 61375-2-3 Annex A): process data (PD,
UDP) and message data (MD, UDP or TCP).  Both headers are big-endian and end with a
CRC-32 (the header FCS) over the header's preceding bytes, stored least significant
byte first:

* PD, 40 bytes: sequence counter (4), protocol version (2, major 1), message type "Pd",
  "Pp", "Pr" or "Pe", ComId, etbTopoCnt, opTrnTopoCnt, dataset length, reserved, reply
  ComId, reply IP address (4 each), header FCS (4).
* MD, 116 bytes: sequence counter, version, type "Mn", "Mr", "Mp", "Mq", "Mc" or "Me",
  ComId, etbTopoCnt, opTrnTopoCnt, dataset length, reply status, session id (16), reply
  timeout, source URI (32), destination URI (32), header FCS.

A header whose CRC-32 checks out is TRDP's: confidence 1.  Metadata: msg_type, com_id.
"""
from __future__ import annotations

from ._crc import crc32
from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

PD_TYPES = frozenset((b"Pd", b"Pp", b"Pr", b"Pe"))
MD_TYPES = frozenset((b"Mn", b"Mr", b"Mp", b"Mq", b"Mc", b"Me"))


def _header(d: bytes):
    if len(d) < 8:
        ok = (len(d) < 5 or d[4] == 1) and (len(d) < 7 or d[6:7] in (b"P", b"M")) and \
            (len(d) < 8 or d[6:8] in PD_TYPES | MD_TYPES)
        return MORE if ok else None
    if d[4] != 1:
        return None                      # protocol version 1.x
    kind = d[6:8]
    size = 40 if kind in PD_TYPES else 116 if kind in MD_TYPES else 0
    if not size:
        return None
    if len(d) < size:
        return MORE
    if crc32(d[:size - 4]) != int.from_bytes(d[size - 4:size], "little"):
        return None
    return {"msg_type": kind.decode(), "com_id": int.from_bytes(d[8:12], "big")}


def probe(view, state):
    meta, more = None, False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = _header(d)
        if r is None:
            if whole or view.transport != "udp":
                return NO
            continue                     # the byte budget may have cut this datagram
        if r is MORE:
            more = True
        else:
            meta = meta or r
    if meta is None:
        return MORE if more else NO
    return claim("trdp", 1.0, **meta)


# The first byte is the high byte of the 32-bit sequence counter, which starts at 0: it
# stays 0 for the first 16.7 million telegrams of a ComId (46 hours at a 10 ms cycle).
# Hinting on it keeps TRDP off every other flow's probe list, at the price of missing a
# publisher captured after that many telegrams.
SPEC = DetectorSpec(name="trdp", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))),
                    max_confidence=1.0,
                    # UDP: every whole datagram has protocol version 1 at byte 4 and a message
                    # type "P?" or "M?" at 6 (or is a prefix of such a header)
                    gate=Gate(whole=True, prefix=True, bytes=((4, 0xFF, 1, 1), (6, 0xFF, 0x4D, 0x50))))
