"""BACnet/IP (ASHRAE 135 Annex J): every datagram is a BVLL message, type 0x81, a
function 0x00-0x0C and a 16-bit length equal to the datagram's.  The functions that
carry an NPDU (J.2.9-J.2.12: Forwarded-, Distribute-Broadcast-To-Network,
Original-Unicast and Original-Broadcast) are followed by an NPDU of version 1 whose
control octet has its reserved bits (6 and 4) clear (135 clause 6.2.2).  The others
have fixed sizes (BVLC-Result 6, Read-BDT 4, Register-Foreign-Device 6, ...).

The detector relies on all of it: type, function, exact length and the NPDU (or the
fixed size).  Metadata: function (BVLC function name), and for a message carrying an
APDU its apdu_type (confirmed request, unconfirmed request, ...).
"""
from __future__ import annotations

from . import _units
from .base import MORE, DetectorSpec, Prefilter, claim

FUNCTIONS = ("BVLC-Result", "Write-BDT", "Read-BDT", "Read-BDT-Ack", "Forwarded-NPDU",
             "Register-Foreign-Device", "Read-FDT", "Read-FDT-Ack", "Delete-FDT-Entry",
             "Distribute-Broadcast-To-Network", "Original-Unicast-NPDU",
             "Original-Broadcast-NPDU", "Secure-BVLL")
NPDU_AT = {0x04: 10, 0x09: 4, 0x0A: 4, 0x0B: 4}     # function -> offset of the NPDU
FIXED = {0x00: 6, 0x02: 4, 0x05: 6, 0x06: 4, 0x08: 10}
APDU_TYPES = ("confirmed-request", "unconfirmed-request", "simple-ack", "complex-ack",
              "segment-ack", "error", "reject", "abort")


def _npdu(d: bytes, at: int):
    """The APDU type name, "network-message", or None when the NPDU is not BACnet's."""
    if len(d) < at + 2 or d[at] != 0x01 or d[at + 1] & 0x50:
        return None                              # version 1; reserved control bits clear
    ctrl, pos = d[at + 1], at + 2
    if ctrl & 0x20:                              # DNET, DLEN, DADR (hop count comes later)
        if pos + 3 > len(d):
            return None
        pos += 3 + d[pos + 2]
    if ctrl & 0x08:                              # SNET, SLEN, SADR; SLEN 0 is invalid
        if pos + 3 > len(d) or d[pos + 2] == 0:
            return None
        pos += 3 + d[pos + 2]
    if ctrl & 0x20:
        pos += 1                                 # hop count
    if ctrl & 0x80:
        return "network-message" if pos < len(d) else None
    if pos >= len(d) or d[pos] >> 4 > 7:
        return None                              # an APDU of one of the 8 types
    return APDU_TYPES[d[pos] >> 4]


def _bvll(d: bytes):
    if len(d) < 4:
        return MORE if d[:1] == b"\x81" and (len(d) < 2 or d[1] < len(FUNCTIONS)) else None
    if d[0] != 0x81 or d[1] >= len(FUNCTIONS) or int.from_bytes(d[2:4], "big") != len(d):
        return None
    f = d[1]
    meta = {"function": FUNCTIONS[f]}
    if f in NPDU_AT:
        apdu = _npdu(d, NPDU_AT[f])
        if apdu is None:
            return None
        meta["apdu_type"] = apdu
    elif f in FIXED and len(d) != FIXED[f]:
        return None
    elif f in (0x01, 0x03) and (len(d) - 4) % 10:
        return None                              # BDT entries: 10 bytes each
    elif f == 0x07 and (len(d) - 4) % 10:
        return None                              # FDT entries: 10 bytes each
    return meta


def probe(view, state):
    meta = _units.scan(view, SPEC.max_bytes, _bvll)
    if not isinstance(meta, dict):
        return meta                        # NO, or MORE while a unit is incomplete
    # Type, function and an exact 16-bit length, plus the NPDU's version and reserved
    # bits (or a fixed size): strong, but still only a few bytes.
    return claim("bacnet", 0.95 if "apdu_type" in meta else 0.85, **meta)


SPEC = DetectorSpec(name="bacnet", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x81,)), s2c=frozenset((0x81,))),
                    max_confidence=0.95)
