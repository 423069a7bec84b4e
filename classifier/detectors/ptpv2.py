"""Precision Time Protocol version 2 (IEEE 1588-2008 clause 13; UDP 319 event, 320
general): every datagram is one message with a 34-byte common header, transportSpecific
(high nibble, 0 or 1 for 802.1AS) and messageType (low nibble: 0 Sync, 1 Delay_Req, 2
Pdelay_Req, 3 Pdelay_Resp, 8 Follow_Up, 9 Delay_Resp, 0xA Pdelay_Resp_Follow_Up, 0xB
Announce, 0xC Signaling, 0xD Management), minorVersionPTP (high nibble, 0 or 1 in
1588-2019) and versionPTP 2 (low nibble), messageLength (2, equal to the datagram),
domainNumber, reserved, flagField (2), correctionField (8), reserved (4),
sourcePortIdentity (10), sequenceId (2), controlField (0 Sync, 1 Delay_Req, 2 Follow_Up,
3 Delay_Resp, 4 Management, 5 the others) and logMessageInterval.  Each message type
has a fixed body (Sync 44 bytes, Delay_Resp 54, Announce at least 64).

The detector relies on the type, version, length (exactly the datagram and the type's
size) and the controlField agreeing with the type; two messages of one domain lift the
confidence.  Metadata: message (the first message's type), domain.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

# messageType -> (name, minimum length, exact length or None, controlField)
TYPES = {0x0: ("sync", 44, 44, 0), 0x1: ("delay-req", 44, 44, 1), 0x2: ("pdelay-req", 54, 54, 5),
         0x3: ("pdelay-resp", 54, 54, 5), 0x8: ("follow-up", 44, 44, 2), 0x9: ("delay-resp", 54, 54, 3),
         0xA: ("pdelay-resp-follow-up", 54, 54, 5), 0xB: ("announce", 64, None, 5),
         0xC: ("signaling", 44, None, 5), 0xD: ("management", 48, None, 4)}
FIRST = frozenset(t << 4 | m for t in (0, 1) for m in TYPES)


def message(d: bytes, whole: bool):
    """(type, domain) / MORE / None."""
    if d[0] not in FIRST:
        return None
    if len(d) >= 2 and (d[1] & 0x0F != 2 or d[1] >> 4 > 1):
        return None                      # versionPTP 2, minorVersionPTP 0 or 1
    if len(d) < 34:
        return MORE                  # a valid prefix
    name, low, exact, control = TYPES[d[0] & 0x0F]
    n = int.from_bytes(d[2:4], "big")
    if n < low or (exact is not None and n != exact) or (n != len(d) if whole else n < len(d)):
        return None                      # the type's size, and the datagram's length
    if d[32] != control and d[32] != 5:
        return None                      # controlField follows the type (or says "other")
    return d[0] & 0x0F, d[4]


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = message(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.append(r)
    if not found:
        return MORE if more else NO
    if any(f[1] != found[0][1] for f in found):
        return NO                        # one flow, one PTP domain
    return claim("ptpv2", 0.95 if len(found) >= 2 else 0.85, message=TYPES[found[0][0]][0],
                 domain=found[0][1])


SPEC = DetectorSpec(name="ptpv2", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=FIRST, s2c=FIRST),
                    max_confidence=0.95)
