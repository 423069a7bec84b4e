"""Modbus/TCP (Modbus Messaging on TCP/IP V1.0b): MBAP header -- transaction id,
protocol id 0, length (unit id + PDU, at most 254), unit id -- then a function code
(public codes, or an exception with the top bit set).  Metadata: function.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

FUNCS = {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43, 90}


def adus(data: bytes):
    """list of function codes of the ADUs tiling data, None, or MORE."""
    pos, out = 0, []
    while pos < len(data):
        if len(data) - pos < 8:
            return out or MORE if pos == 0 or len(data) - pos < 8 else None
        if data[pos + 2:pos + 4] != b"\x00\x00":
            return None                    # protocol identifier 0 means Modbus
        n = int.from_bytes(data[pos + 4:pos + 6], "big")
        if n < 2 or n > 254:
            return None                    # unit id + PDU: 2..254 bytes (253-byte PDU max)
        fc = data[pos + 7]
        if fc & 0x7F not in FUNCS:
            # 90 (0x5A) is Schneider's UMAS, carried as a user-defined function code.
            return None
        out.append(fc)
        if pos + 6 + n > len(data):
            break
        pos += 6 + n
    return out


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    rc = adus(c) if c else MORE
    if rc is None:
        return NO                         # the client opens with an MBAP request
    if rc is MORE:
        return MORE
    if s:
        rs = adus(s)
        if rs is None:
            return NO                     # the server answers in MBAP framing too
        if rs is MORE:
            return MORE
        # The response echoes the request's transaction id and function code.
        if s[:2] == c[:2] and rs[0] & 0x7F == rc[0]:
            return claim("modbus", 1.0, function=rc[0])
        return NO                         # a response must echo transaction and function
    return claim("modbus", 0.7, function=rc[0]) if len(rc) >= 2 else MORE


SPEC = DetectorSpec(name="modbus", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(any=True),
                    # the client opens with an MBAP header: protocol id 0, a length of 2-254,
                    # a function code
                    tcp_gate=Gate(c2s_only=True, min_len=8, bytes=(
                        (2, 0xFF, 0, 0), (3, 0xFF, 0, 0), (4, 0xFF, 0, 0), (5, 0xFF, 2, 254),
                        (7, 0x7F, min(FUNCS), max(FUNCS)))))
