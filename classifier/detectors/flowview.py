"""FlowView: the only shape of flow a detector ever sees.

The fast path's flow objects carry the same attribute names (see the contract in
docs/protocols.md).  There is deliberately no port, address or TTL attribute here:
a detector that wanted one would fail with AttributeError in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FlowView:
    transport: str                       # "tcp" or "udp"
    payload_c2s: bytes = b""             # TCP: in-order stream prefix; UDP: datagrams joined
    payload_s2c: bytes = b""
    datagrams_c2s: tuple | list = ()     # UDP: the first datagrams, one item each
    datagrams_s2c: tuple | list = ()
    pkt_dirs: tuple | list = ()          # first packets' direction: 0 c2s, 1 s2c
    pkt_sizes: tuple | list = ()         # and their L4 payload length

    @classmethod
    def udp(cls, c2s=(), s2c=()) -> "FlowView":
        """A UDP view from lists of datagrams per direction."""
        c2s, s2c = tuple(c2s), tuple(s2c)
        return cls("udp", b"".join(c2s), b"".join(s2c), c2s, s2c)

    @classmethod
    def tcp(cls, c2s: bytes = b"", s2c: bytes = b"") -> "FlowView":
        return cls("tcp", c2s, s2c)
