"""FlowView: the only shape of flow a detector ever sees.

    FlowView(transport, payload_c2s=b"", payload_s2c=b"", datagrams_c2s=(),
             datagrams_s2c=(), pkt_dirs=(), pkt_sizes=())
    FlowView.udp([datagram, ...], [datagram, ...])      FlowView.tcp(c2s_bytes, s2c_bytes)

transport is "tcp" or "udp"; payload_* the in-order stream prefix (TCP) or the
datagrams joined (UDP); datagrams_* the first datagrams, one item each (UDP); pkt_dirs
the first packets' direction (0 c2s, 1 s2c) and pkt_sizes their L4 payload length.

The fast path's flow objects carry the same attribute names (see the contract in
docs/protocols.md).  There is deliberately no port, address or TTL attribute here:
a detector that wanted one would fail with AttributeError in the tests.

The class is compiled (classifier/detectors/_fast.pyx) so the engine builds one per
flow straight from the fast path's records; it behaves as the plain dataclass it
replaced (same constructor, attributes, equality and repr).
"""
from __future__ import annotations

from ._fast import FlowView

__all__ = ["FlowView"]
