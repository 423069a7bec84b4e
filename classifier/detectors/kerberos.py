"""Kerberos v5 (RFC 4120) over UDP, and TCP with a 4-byte length prefix: an
[APPLICATION n] message (AS-REQ 10 ... KRB-ERROR 30) whose SEQUENCE starts with
pvno [1] INTEGER 5.  Metadata: msg_type, realm / cname when present.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

APPS = {0x6A: "AS-REQ", 0x6B: "AS-REP", 0x6C: "TGS-REQ", 0x6D: "TGS-REP",
        0x6E: "AP-REQ", 0x6F: "AP-REP", 0x74: "KRB-SAFE", 0x75: "KRB-PRIV",
        0x76: "KRB-CRED", 0x7E: "KRB-ERROR"}


# probe(view, state): every message (a UDP datagram, or a TCP record behind its 4-byte
# record mark, 1 byte to 1 MiB) is an [APPLICATION n] of APPS wrapping a SEQUENCE whose
# first field, [0] or [1], is pvno INTEGER 5 (BER as _ber.py reads it).  1.0;
# metadata: msg_type of the first.  Compiled: kerberos.pxi.
probe = _fast.kerberos_probe


SPEC = DetectorSpec(name="kerberos", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(APPS) | {0},
                                                       s2c=frozenset(APPS) | {0}),
                    # Over UDP every datagram is a message (no record mark): an APPLICATION
                    # tag 0x6A-0x7E, a BER length (short, or 0x81-0x84 and that many bytes),
                    # a SEQUENCE right after it, in 9 bytes or more (a tag and length each,
                    # then pvno's one-byte INTEGER).
                    gate=Gate(min_len=9, bytes=((0, 0xFF, 0x6A, 0x7E),),
                              forms=(((1, 0xFF, 0x00, 0x7F), (2, 0xFF, 0x30, 0x30)),
                                     ((1, 0xFF, 0x81, 0x81), (3, 0xFF, 0x30, 0x30)),
                                     ((1, 0xFF, 0x82, 0x82), (4, 0xFF, 0x30, 0x30)),
                                     ((1, 0xFF, 0x83, 0x84),))))
