"""SIP (RFC 3261) over UDP or TCP: ``METHOD sip:uri SIP/2.0`` or ``SIP/2.0 NNN``.
Metadata: method, status, user_agent, from/to URIs, call_id.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter, resyncing

METHODS = frozenset("INVITE ACK BYE CANCEL REGISTER OPTIONS PRACK SUBSCRIBE NOTIFY "
                    "PUBLISH INFO REFER MESSAGE UPDATE".split())


# probe(view, state): the first unit that is not a keep-alive (CRLF, CRLFCRLF, four
# zero bytes, a UDP datagram of at most 16 bytes) must be a SIP/2.0 status line or a
# request with a METHODS verb (1.0).  Metadata: method, status, user_agent, from_, to,
# call_id (compact header forms too).  Compiled: sip.pxi.
probe = _fast.sipmsg_probe     # not "sip_probe": a name starting "sip_" reads as an address


# Over TCP a message start (request or status line) may open the bytes after lost
# segments: such a flow, or one side alone when the other starts inside a message
# (a body), is SIP joined mid-stream at 0.7 (base.resyncing).
probe = resyncing(probe)

SPEC = DetectorSpec(name="sip", transports=("tcp", "udp"), probe=probe, resync=True, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"IABCROSNPMU\r\x00"),
                                                       s2c=frozenset(b"SIABCROSNPMU\r\x00")),
                    # A lone datagram over 16 bytes (shorter ones are keep-alives) is a
                    # message: a start line's first byte is A-Z, its second A-Z, "_" or "-"
                    # (http_parse; checked here as the range "-" to "_").
                    gate=Gate(lone=True, min_len=17, bytes=((0, 0xFF, 0x41, 0x5A), (1, 0xFF, 0x2D, 0x5F))))
