"""L2TP version 2 (RFC 2661) and version 3 over UDP (RFC 3931 4.1.2.1): every control
message starts with flags and version: T=1 (control), L=1 (length present), S=1
(sequence numbers present), O=0, P=0, version 2 or 3, so 0xC8 0x02 or 0xC8 0x03; then
the length (2, the whole message, equal to the datagram) and, in version 2, tunnel id
(2) and session id (2), in version 3 the control connection id (4); then Ns (2) and Nr
(2), 12 bytes, then AVPs.  A control message other than a ZLB acknowledgement (the bare
12-byte header) opens with the Message Type AVP: M bit set, length 8, vendor 0,
attribute 0, message type 1..16 (SCCRQ 1, SCCRP 2, SCCCN 3, StopCCN 4, HELLO 6, ...;
version 3 adds the explicit ACK, 20).  Data messages (T=0) share the tunnel's flow and
are skipped.

The detector relies on the flag bits, version, length and the first AVP; an exchange
(a request and its answer, or two control messages) lifts the confidence.
Metadata: message (the first control message's type name), tunnel_id (version 3: the
control connection id).

Checked against: RFC 2661 3.1 (header bits: L and S set and O, P clear in control
messages), 4.1 (the Message Type AVP first), 6 (message types); RFC 3931 3.2.1, 4.1.2.1
(version 3 over UDP) and 5.4.1 (ACK 20); Wireshark epan/dissectors/packet-l2tp.c.
nDPI has no L2TP dissector (doc/protocols.rst lists none, src/lib/protocols/ has no
l2tp.c; L2TP appears only in some forks): the row's nDPI name "L2TP" was wrong and is
gone.  Our first version refused version 3.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

TYPES = {1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 7: "OCRQ", 8: "OCRP",
         9: "OCCN", 10: "ICRQ", 11: "ICRP", 12: "ICCN", 14: "CDN", 15: "WEN", 16: "SLI",
         20: "ACK"}                      # 20: version 3 only (RFC 3931 5.4.1)
SKIP = object()


def message(d: bytes, whole: bool):
    """(type name or "ZLB", tunnel id) / SKIP (a data message) / MORE / None."""
    if len(d) < 2:
        return MORE if d[:1] in (b"\xc8", b"") else None
    if d[1] & 0x0F not in (2, 3):
        return None                      # version 2 (RFC 2661) or 3 (RFC 3931)
    if not d[0] & 0x80:
        # Data message: no length check of its own; only the control channel proves L2TP.
        return SKIP if d[1] & 0xF0 == 0 else None
    if d[0] != 0xC8 or d[1] not in (0x02, 0x03):
        return None                      # control: T, L and S set, O and P clear (3.1)
    v3 = d[1] == 0x03
    if len(d) < 12:
        return MORE                  # a valid prefix
    n = int.from_bytes(d[2:4], "big")
    if n < 12 or (n != len(d) if whole else n < len(d)):
        return None
    tunnel = int.from_bytes(d[4:8] if v3 else d[4:6], "big")
    if n == 12:
        return "ZLB", tunnel
    if len(d) < 20:
        return MORE                  # a valid prefix
    avp = d[12:20]
    if avp[0] & 0xFC != 0x80 or avp[0] & 0x03 or avp[1] != 8 or avp[2:6] != b"\x00\x00\x00\x00":
        return None                      # the first AVP is Message Type, M set, H clear, length 8
    mtype = int.from_bytes(avp[6:8], "big")
    if mtype not in TYPES or mtype == 20 and not v3:
        return None
    return TYPES[mtype], tunnel


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = message(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
        elif r is not SKIP:
            found.append(r)
    named = [f for f in found if f[0] != "ZLB"]
    if not named:
        return MORE if more or found else NO
    conf = 0.95 if len(found) >= 2 else 0.9
    return claim("l2tp", conf, message=named[0][0], tunnel_id=named[0][1])


SPEC = DetectorSpec(name="l2tp", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0xC8,)), s2c=frozenset((0xC8,))),
                    max_confidence=0.95)
