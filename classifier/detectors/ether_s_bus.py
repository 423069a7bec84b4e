"""Ether-S-Bus: Saia-Burgess PCD controllers' S-Bus telegrams carried in UDP datagrams
(Saia-Burgess "Ether-S-Bus" as Wireshark's packet-sbus.c and nDPI's ethersbus.c read
it).  A client (a PG5 programming tool, a SCADA master) sends requests, the PCD answers
each with a response or an ACK/NAK; every datagram is one telegram:

    length (u32, the whole telegram, this field and the CRC included)
    | version (u8: 0 or 1) | protocol type (u8: 0 S-Bus, 1) | sequence number (u16)
    | telegram attribute (u8: 0 request, 1 response, 2 ACK/NAK)
    | S-Bus data (a request: destination station, command code, its arguments)
    | CRC-16 (u16: CRC-CCITT, polynomial 0x1021, initial value 0, over everything before it)

This detector relies on each datagram being exactly one such telegram: its length field
equal to the datagram's size, the version, type and attribute in range and the CRC right
(a request carries at least its station and command).  The exact length and a 16-bit
CRC make a single telegram convincing (0.9); a request and the answer with its sequence
number 0.95.  A datagram shorter than a telegram is awaited alone, refused among others;
a first datagram longer than the byte budget is not checked (and not claimed).
Metadata: telegram (the first one's attribute), command (the first request's command
code, hex).
"""
from __future__ import annotations

from binascii import crc_hqx

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

ATTRIBUTES = {0: "request", 1: "response", 2: "ack-nak"}
MIN_LEN = 12          # the 9-byte header, one byte of data, the CRC


def _telegram(d: bytes):
    """(attribute, sequence, command or None) of a whole datagram, MORE for a short
    one that may still start a telegram, None when it is not one."""
    if len(d) < MIN_LEN:
        head = d[:9]
        if head[:2].strip(b"\x00") or (len(head) > 4 and head[4] > 1) or \
                (len(head) > 5 and head[5] > 1) or (len(head) > 8 and head[8] > 2):
            return None
        return MORE
    if int.from_bytes(d[:4], "big") != len(d):
        return None                      # the length counts the whole telegram
    if d[4] > 1 or d[5] > 1 or d[8] > 2:
        return None                      # version, protocol type, attribute
    if d[8] == 0 and len(d) < 13:
        return None                      # a request names its station and command
    if crc_hqx(d[:-2], 0) != int.from_bytes(d[-2:], "big"):
        return None
    return d[8], d[6:8], (d[10] if d[8] == 0 else None)


def probe(view, state):
    cap = min(SPEC.max_bytes, _dgram.FLOW_PAYLOAD_CAP)
    sides = [[d for d in dgs if d] for dgs in (view.datagrams_c2s, view.datagrams_s2c)]
    count = sum(len(dgs) for dgs in sides)
    if not count:
        return MORE
    found = []
    for dgs in sides:
        total = 0
        for i, d in enumerate(dgs):
            total += len(d)
            if total >= cap and i:
                break                    # the budget may have cut this one: a prefix
            r = _telegram(d)
            if r is None:
                return NO
            if r is MORE:
                return MORE if count == 1 else NO
            found.append(r)
    attribute, _seq, _cmd = found[0]
    command = next((c for a, _s, c in found if a == 0), None)
    asked = {s for a, s, _c in found if a == 0}
    answered = any(a != 0 and s in asked for a, s, _c in found)
    return claim("ether-s-bus", 0.95 if answered else 0.9, telegram=ATTRIBUTES[attribute],
                 command=None if command is None else f"{command:02x}")


# The first byte is the length's top byte, always 0.  The gate refuses in compiled code
# what no telegram allows: the length's top two bytes zero, version, protocol type and
# attribute in range, the length field equal to the datagram's size.
SPEC = DetectorSpec(name="ether-s-bus", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))),
                    max_confidence=0.95,
                    gate=Gate(min_len=MIN_LEN, bytes=((0, 0xff, 0, 0), (1, 0xff, 0, 0), (4, 0xff, 0, 1),
                                                      (5, 0xff, 0, 1), (8, 0xff, 0, 2)),
                              length=(0, 4, 0)))
