"""DLMS/COSEM over TCP or UDP (IEC 62056, the metering application layer), in either of
its two framings:

* the TCP wrapper (IEC 62056-47 / Green Book 7.3.3.4): version 0x0001, source and
  destination wPort (2 each), a length (2) of the APDU that follows, and an xDLMS APDU
  whose tag is one of AARQ 0x60, AARE 0x61, RLRQ 0x62, RLRE 0x63, get/set/action/event
  0xC0-0xC7, exception 0xD8, general ciphering 0xDB-0xDF, or the global/dedicated
  ciphered service tags 0x21-0x2F, 0xC8-0xCF, 0xD0-0xD7;
* HDLC framing (IEC 62056-46) carried as is: flag 0x7E, frame format type 0xA with an
  11-bit frame length, destination and source addresses (HDLC extended addressing: 1,
  2 or 4 bytes ended by a set low bit), control, a header check sequence when there is
  an information field, and the frame check sequence (CRC-16/X.25) before the closing
  0x7E.  The frame check, or (with an information field) the header check, must hold.

Metadata: framing ("wrapper" or "hdlc"), and apdu (wrapper: the APDU tag's name) or
control (hdlc: the frame's control octet, e.g. 0x93 SNRM).
"""
from __future__ import annotations

from . import _units
from ._crc import crc16_x25
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

APDUS = {0x60: "AARQ", 0x61: "AARE", 0x62: "RLRQ", 0x63: "RLRE", 0xC0: "get-request",
         0xC1: "set-request", 0xC2: "event-notification", 0xC3: "action-request",
         0xC4: "get-response", 0xC5: "set-response", 0xC7: "action-response",
         0xD8: "exception-response", 0xDB: "general-glo-ciphering",
         0xDC: "general-ded-ciphering", 0xDD: "general-ciphering", 0xDF: "general-signing"}
CIPHERED = frozenset(range(0x21, 0x30)) | frozenset(range(0xC8, 0xD8))


def _wrapper(d: bytes):
    """[(apdu name)] of the wrapper frames tiling `d`, MORE, or None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 4:
        head = d[pos:pos + 9]
        if head[:2] != b"\x00\x01"[:len(head[:2])]:
            return None                  # wrapper version 1
        if len(head) < 9:
            return out or MORE
        n, tag = int.from_bytes(head[6:8], "big"), head[8]
        if n == 0 or (tag not in APDUS and tag not in CIPHERED):
            return None
        if pos + 8 + n > len(d):
            return out or MORE
        out.append(APDUS.get(tag, "ciphered"))
        pos += 8 + n
    return out


def _hdlc(d: bytes):
    """[(control)] of the HDLC frames tiling `d`, MORE, or None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 4:
        if d[pos] != 0x7E:
            return None
        if pos + 1 < len(d) and d[pos + 1] >> 4 != 0xA:
            return None                  # frame format type 3 (0xA), segmentation, length
        if pos + 3 > len(d):
            return out or MORE
        n = ((d[pos + 1] & 0x07) << 8) | d[pos + 2]
        if n < 7:
            return None
        if pos + n + 2 > len(d):
            return out or MORE
        frame = d[pos + 1:pos + 1 + n]
        if d[pos + 1 + n] != 0x7E:
            return None
        fcs_ok = crc16_x25(frame[:-2]) == int.from_bytes(frame[-2:], "little")
        i = 2                            # addresses: bytes until one with its low bit set
        for _ in range(2):
            k = 0
            while i < len(frame) - 2 and not frame[i] & 1:
                i, k = i + 1, k + 1
            if k not in (0, 1, 3) or i >= len(frame) - 2:
                return None
            i += 1
        control = frame[i]
        hcs_ok = i + 1 + 2 < len(frame) and \
            crc16_x25(frame[:i + 1]) == int.from_bytes(frame[i + 1:i + 3], "little")
        if not (fcs_ok or hcs_ok):
            # One of the two CRCs must hold; the header check alone keeps frames whose
            # information field was edited after the fact (anonymised captures).
            return None
        out.append(control)
        pos += n + 2
    return out


def probe(view, state):
    found, more, framing = [], False, None
    for d, whole in _units.units(view, SPEC.max_bytes):
        parse, kind = (_hdlc, "hdlc") if d[0] == 0x7E else (_wrapper, "wrapper")
        if framing not in (None, kind):
            return NO
        framing = kind
        r = parse(d)
        if r is None:
            if whole or view.transport != "udp":
                return NO
            continue                     # the byte budget may have cut this datagram
        if r is MORE:
            more = True
            continue
        found.extend(r)
    if not found:
        return MORE if more else NO
    if framing == "hdlc":
        # Flags, format type, length and a CRC-16 (two with an information field).
        return claim("iec62056", 1.0 if len(found) >= 2 else 0.95, framing="hdlc", control=found[0])
    # The wrapper is 8 bytes with two fixed and a length; the APDU tag must be known.
    return claim("iec62056", 0.9 if len(found) >= 2 else 0.8, framing="wrapper", apdu=found[0])


SPEC = DetectorSpec(name="iec62056", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x00, 0x7E)), s2c=frozenset((0x00, 0x7E))),
                    max_confidence=1.0,
                    # UDP: one framing per flow (the probe refuses a mix), every whole datagram
                    # a frame or a prefix of one: HDLC (7e, format type 0xA) or the wrapper
                    # (version 00 01, a known APDU tag at 8)
                    gate=(Gate(whole=True, prefix=True, bytes=((0, 0xFF, 0x7E, 0x7E), (1, 0xF0, 0xA0, 0xA0))),
                          Gate(whole=True, prefix=True, bytes=((0, 0xFF, 0, 0), (1, 0xFF, 1, 1),
                                                               (8, 0xFF, min(APDUS) if min(APDUS) < min(CIPHERED) else min(CIPHERED),
                                                                max(max(APDUS), max(CIPHERED)))))))
