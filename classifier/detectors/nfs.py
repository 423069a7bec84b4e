"""NFS (RFC 1094, 1813, 7530, 8881) and its companion programs MOUNT and NLM (RFC 1813
Appendices I, II) and NFS_ACL: ONC RPC calls (RFC 5531) to program 100003 (100005,
100021, 100227), over TCP behind record marks or one message per UDP datagram.  The
parser is _oncrpc's: rpcvers 2, known credential flavors, auth lengths <= 400, a
reply's accept/reject status in range.  Every other RPC program is onc-rpc.
Metadata: program, program_name, version, procedure.
"""
from __future__ import annotations

from . import _oncrpc
from .base import ANY, MORE, NO, DetectorSpec, Prefilter, claim


def probe(view, state):
    r = _oncrpc.classify(view)
    if r is None:
        return NO
    if r is _oncrpc.MORE_NEEDED:
        return MORE
    call, reply = r
    if call["program"] not in _oncrpc.NFS_PROGRAMS:
        return NO
    meta, conf = _oncrpc.metadata(call, reply)
    return claim("nfs", conf, **meta)


# On TCP the first byte is a record mark's: the last-fragment bit and the top of a
# length below 16 MiB (0x80), or 0x00 for a first fragment; on UDP it is a random xid.
SPEC = DetectorSpec(name="nfs", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=_oncrpc.MARKS, s2c=_oncrpc.MARKS, udp=ANY),
                    max_confidence=0.9, gate=_oncrpc.UDP_GATE)
