"""AMQP: the client opens with the 8-byte protocol header ``AMQP`` + protocol id +
version (0-9-1: ``AMQP\\x00\\x00\\x09\\x01``; 1.0: ``AMQP\\x00\\x01\\x00\\x00``, SASL
``\\x03``, TLS ``\\x02``).  Metadata: version.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

VERSIONS = {b"\x00\x00\x09\x01": "0-9-1", b"\x01\x01\x00\x09": "0-9", b"\x01\x01\x08\x00": "0-8",
            b"\x00\x01\x00\x00": "1.0", b"\x03\x01\x00\x00": "1.0-sasl",
            b"\x02\x01\x00\x00": "1.0-tls", b"\x00\x00\x09\x00": "0-9"}


def probe(view, state):
    c = view.payload_c2s or view.payload_s2c
    if len(c) < 8:
        return MORE if b"AMQP".startswith(c[:4]) else NO
    if c[:4] != b"AMQP":
        return NO                         # the protocol header opens every connection
    v = VERSIONS.get(c[4:8])
    if v is None:
        return NO                           # only published protocol ids/versions
    return claim("amqp", 1.0, version=v)


SPEC = DetectorSpec(name="amqp", transports=("tcp",), probe=probe, max_bytes=64,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset(b"A"), s2c=frozenset(b"A")))
