"""Tuya local protocol (the LAN protocol of Tuya-based smart plugs, bulbs and hubs, as
documented by the open-source tinytuya/tuyapi projects): UDP discovery broadcasts and
TCP control frames share one framing.

Protocol 3.1-3.4 frames: prefix 00 00 55 AA, sequence number (4), command (4), length
(4) counting everything after the length field (return code, payload, CRC-32 or
HMAC-SHA256, suffix), then suffix 00 00 AA 55 as the frame's last four bytes.  Protocol
3.5 frames: prefix 00 00 66 99, two reserved bytes, sequence, command, length (4) of
the GCM part (12-byte IV, payload, 16-byte tag), then suffix 00 00 99 66 (not counted).

The detector relies on prefix, suffix and length agreeing with the datagram (or on the
frames tiling a TCP stream), and on a command number within the documented range.
Metadata: version ("3.1-3.4" or "3.5"), command.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

# prefix, suffix, header size, name, bytes after the counted length (3.5: the suffix)
V33 = (b"\x00\x00\x55\xaa", b"\x00\x00\xaa\x55", 16, "3.1-3.4", 0)
V35 = (b"\x00\x00\x66\x99", b"\x00\x00\x99\x66", 18, "3.5", 4)
MAX_COMMAND = 0x40        # commands are small (0x0a DP_QUERY, 0x13 UDP_NEW, 0x23 BOARDCAST_LPV34, ...)


def d5_bad(data: bytes, pos: int) -> bool:
    """3.5's two bytes after the prefix are reserved, zero."""
    return data[pos + 4:pos + 6] != b"\x00\x00"


def _frames(data: bytes):
    """[(version, command)] of the frames tiling `data`; MORE for a valid prefix; None."""
    out, pos = [], 0
    while pos < len(data) and len(out) < 4:
        head = data[pos:pos + 4]
        fmt = V33 if V33[0].startswith(head) else V35 if V35[0].startswith(head) else None
        if fmt is None:
            return None
        prefix, suffix, hsize, version, after = fmt
        if len(data) - pos < hsize:
            return None if out else MORE   # bytes after a frame must be a whole frame
        command = int.from_bytes(data[pos + hsize - 8:pos + hsize - 4], "big")
        length = int.from_bytes(data[pos + hsize - 4:pos + hsize], "big")
        if command > MAX_COMMAND or length < 8 or length > 0x10000 or (after and d5_bad(data, pos)):
            return None                    # a CRC and a suffix (or IV and tag) at least
        end = pos + hsize + length + after
        if end > len(data):
            return None                    # a datagram holds whole frames
        if data[end - 4:end] != suffix:
            return None                    # the length must land exactly on the suffix
        out.append((version, command))
        pos = end
    return out


def probe(view, state):
    seen, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = _frames(d)
        if r is None:
            if whole:
                return NO                  # every datagram of the flow is one
            continue                       # the byte budget may have cut this one
        if r is MORE:
            more = True
            continue
        seen.extend(r)
    if not seen:
        return MORE if more else NO
    version, command = seen[0]
    # Prefix, suffix and an exact length: 8 fixed bytes and a length that must agree.
    return claim("tuya-lp", 0.95, version=version, command=command)


SPEC = DetectorSpec(name="tuya-lp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))),
                    max_confidence=0.95,
                    # every whole datagram opens with 00 00 55 aa (3.1-3.4) or 00 00 66 99 (3.5),
                    # or a prefix of one (the probe waits for more)
                    gate=Gate(whole=True, prefix=True, bytes=(
                        (0, 0xFF, 0, 0), (1, 0xFF, 0, 0), (2, 0xFF, 0x55, 0x66), (3, 0xFF, 0x99, 0xAA))))
