"""ONC RPC / SunRPC (RFC 5531): calls to any program but the NFS suite's (nfs), e.g.
the portmapper / rpcbind (RFC 1833, program 100000), NIS, status.  Over TCP a 4-byte
record mark (last-fragment bit, 31-bit length) precedes each record; over UDP one
datagram is one message.  A call is xid, msg_type 0, rpcvers 2, program, version,
procedure, credential and verifier (flavor, length <= 400); a reply echoes the xid
(msg_type 1).  A flow needs a call; the confidence rises when the reply's xid matches.
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
    if call["program"] in _oncrpc.NFS_PROGRAMS:
        return NO                     # the nfs detector's
    meta, conf = _oncrpc.metadata(call, reply)
    return claim("onc-rpc", conf, **meta)


# On TCP the first byte is a record mark's: the last-fragment bit and the top of a
# length below 16 MiB (0x80), or 0x00 for a first fragment; on UDP it is a random xid.
SPEC = DetectorSpec(name="onc-rpc", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=_oncrpc.MARKS, s2c=_oncrpc.MARKS, udp=ANY),
                    max_confidence=0.9, gate=_oncrpc.UDP_GATE)
