"""Xiaomi miIO local protocol (UDP 54321, as python-miio and the OpenMiHome notes
document it): every datagram is a 32-byte header, magic 0x2131, packet length (2,
big-endian, header included, equal to the datagram), an unknown word (4; 0 in normal
packets, 0xFFFFFFFF in the hello), device id (4), stamp (4) and an MD5 checksum (16),
then an AES-128-CBC encrypted JSON body (a multiple of 16 bytes).  The client opens
with the 32-byte "hello": magic, length 0x0020 and 28 bytes of 0xFF; the device answers
with a 32-byte header carrying its id and stamp.

The detector relies on the magic, the length agreeing with the datagram and the body
being whole cipher blocks; the exact hello (or an answer of the same shape) lifts the
confidence.  Metadata: hello (true when the flow opens with the hello), device_id.

Checked against: python-miio miio/protocol.py (the Message struct: magic 0x2131, length,
unknown, device id, stamp, checksum; the 32-byte hello; AES-128-CBC with PKCS#7
padding, so whole 16-byte blocks) and the OpenMiHome "Mi Home Binary Protocol" notes
(Unknown1 is 0 except 0xFFFFFFFF in the hello; the hello's answer carries the token in
the checksum field).  Nothing was wrong.  nDPI has no miIO dissector: its "Xiaomi"
(src/lib/protocols/xiaomi.c) is another protocol, Xiaomi's push service over TCP (a
12-byte header, 0xC2FE0005 then a length and 0x00020016), so the row names no nDPI
protocol.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

HELLO = b"\x21\x31\x00\x20" + b"\xff" * 28


def packet(d: bytes, whole: bool):
    """(is_hello, device_id) / MORE / None."""
    if len(d) < 32:
        return MORE if HELLO.startswith(d[:2]) else None
    if d[:2] != b"\x21\x31":
        return None
    n = int.from_bytes(d[2:4], "big")
    if n < 32 or (n != len(d) if whole else n < len(d)) or (n - 32) % 16:
        return None                      # header + whole AES blocks, the datagram's length
    if d == HELLO:
        return True, None
    if d[4:8] not in (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"):
        return None                      # the unknown word is 0 (or all ones, as in the hello)
    return False, int.from_bytes(d[8:12], "big")


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = packet(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.append(r)
    if not found:
        return MORE if more else NO
    hello = found[0][0]
    device = next((dev for h, dev in found if dev is not None), None)
    # A 2-byte magic and a length are few bits; the 32-byte hello, or a request and its
    # answer, are many more.
    conf = 0.9 if hello or len(found) >= 2 else 0.75
    return claim("miio", conf, hello=hello, device_id=device)


SPEC = DetectorSpec(name="miio", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x21,)), s2c=frozenset((0x21,))),
                    max_confidence=0.9)
