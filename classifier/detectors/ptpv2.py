"""Precision Time Protocol version 2 (IEEE 1588-2008 clause 13; UDP 319 event, 320
general): every datagram is one message with a 34-byte common header, transportSpecific
(high nibble, 0 or 1 for 802.1AS) and messageType (low nibble: 0 Sync, 1 Delay_Req, 2
Pdelay_Req, 3 Pdelay_Resp, 8 Follow_Up, 9 Delay_Resp, 0xA Pdelay_Resp_Follow_Up, 0xB
Announce, 0xC Signaling, 0xD Management), minorVersionPTP (high nibble, 0 or 1 in
1588-2019) and versionPTP 2 (low nibble), messageLength (2, equal to the datagram),
domainNumber, reserved, flagField (2), correctionField (8), reserved (4),
sourcePortIdentity (10), sequenceId (2), controlField (0 Sync, 1 Delay_Req, 2 Follow_Up,
3 Delay_Resp, 4 Management, 5 the others) and logMessageInterval.  Each message type
has a fixed body (Sync, Delay_Req and Follow_Up 44 bytes with the header, the Pdelay
messages and Delay_Resp 54, Announce 64, Signaling 44, Management 48), and any message
may end with a suffix of TLVs (13.4; tlvType (2), lengthField (2, even), value): an
802.1AS Follow_Up carries its 32-byte Follow_Up information TLV (76 bytes), an Announce
a path trace TLV, Signaling and Management their TLVs.

The detector relies on the type, version, length (exactly the datagram: the type's body
followed by whole TLVs) and the controlField agreeing with the type; two messages of one
domain lift the confidence.  Metadata: message (the first message's type), domain.

Checked against: IEEE 1588-2008 13.3 (common header, Table 18 messageLength, Table 23
controlField), 13.4 (the TLV suffix), 14.1 (TLV layout); IEEE 802.1AS-2011 11.4.4.3
(Follow_Up information TLV); Wireshark epan/dissectors/packet-ptp.c; nDPI
src/lib/protocols/ptpv2.c (name "PTPv2"; it requires ports 319/320 on both sides, a
message type below 0xF and byte 1 equal to 2).  Our first version wanted the exact
body size for the fixed types, so a Follow_Up or Sync with a TLV suffix (802.1AS, the
2019 edition's optional TLVs) made the flow NO.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

# messageType -> (name, length of the header and body, controlField)
TYPES = {0x0: ("sync", 44, 0), 0x1: ("delay-req", 44, 1), 0x2: ("pdelay-req", 54, 5),
         0x3: ("pdelay-resp", 54, 5), 0x8: ("follow-up", 44, 2), 0x9: ("delay-resp", 54, 3),
         0xA: ("pdelay-resp-follow-up", 54, 5), 0xB: ("announce", 64, 5),
         0xC: ("signaling", 44, 5), 0xD: ("management", 48, 4)}


def _tlvs(d: bytes, pos: int, end: int, whole: bool) -> bool:
    """Whether TLVs (type 2, even length 2, value) fill d[pos:end] exactly (or, for a cut
    datagram, up to where it was cut)."""
    while pos + 4 <= min(end, len(d)):
        n = int.from_bytes(d[pos + 2:pos + 4], "big")
        if n % 2 or d[pos:pos + 2] == b"\x00\x00":
            return False                 # lengthField is even, tlvType 0 is reserved (14.1)
        pos += 4 + n
    return pos == end or not whole and pos >= len(d)
FIRST = frozenset(t << 4 | m for t in (0, 1) for m in TYPES)


def message(d: bytes, whole: bool):
    """(type, domain) / MORE / None."""
    if d[0] not in FIRST:
        return None
    if len(d) >= 2 and (d[1] & 0x0F != 2 or d[1] >> 4 > 1):
        return None                      # versionPTP 2, minorVersionPTP 0 or 1
    if len(d) < 34:
        return MORE                  # a valid prefix
    name, low, control = TYPES[d[0] & 0x0F]
    n = int.from_bytes(d[2:4], "big")
    if n < low or (n != len(d) if whole else n < len(d)) or not _tlvs(d, low, n, whole):
        return None                      # the type's body then whole TLVs, the datagram's length
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
                    max_confidence=0.95,
                    # A lone datagram is one message: transportSpecific 0/1, a known type
                    # (<= 0xD), version 2.0/2.1, the 34-byte header and a controlField <= 5.
                    # every datagram, cut or whole, a prefix at least: transportSpecific 0/1, a
                    # type <= 0xD, version 2.0/2.1
                    gate=Gate(prefix=True, bytes=((0, 0xE0, 0, 0), (0, 0x0F, 0, 0x0D), (1, 0xEF, 0x02, 0x02))))
