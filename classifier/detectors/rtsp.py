"""RTSP (RFC 2326 / 7826): HTTP-like start lines with the ``RTSP/1.0`` or ``RTSP/2.0``
version token.  Metadata: method, uri, status, user_agent.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter


# probe(view, state): an RTSP/x.y request or status line in either direction (1.0);
# other lines are ignored (interleaved RTP).  Metadata: method, uri, user_agent, status,
# server.  Compiled: rtsp.pxi.
probe = _fast.rtsp_probe


SPEC = DetectorSpec(name="rtsp", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"ADGOPRST"),
                                                       s2c=frozenset(b"R")))
