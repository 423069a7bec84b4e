"""ONC RPC (RFC 5531) message parsing shared by the nfs and onc-rpc detectors.

A call: xid, msg_type 0, rpcvers 2, program, version, procedure, then two opaque_auth
(flavor, length <= 400, body padded to 4 bytes): the credential and the verifier
(RFC 5531 8, 9).  A reply: xid, msg_type 1, reply_stat 0 (accepted: verifier, then
accept_stat 0-5) or 1 (denied: reject_stat 0 RPC_MISMATCH or 1 AUTH_ERROR).  Over TCP
every message is cut into records, each behind a 4-byte record mark: the last-fragment
bit and a 31-bit length (RFC 5531 11).  Over UDP a datagram is one message.
"""
from __future__ import annotations

import struct

from .base import Gate

MORE_NEEDED = object()

# RFC 5531 8.2 and the flavors IANA lists as on-the-wire (AUTH_NONE, AUTH_SYS,
# AUTH_SHORT, AUTH_DH, RPCSEC_GSS, AUTH_TLS); the Kerberos pseudo-flavors never are.
FLAVORS = frozenset({0, 1, 2, 3, 6, 7})
MAX_AUTH = 400                       # RFC 5531 8.2: "at most 400 bytes"
MAX_RECORD = 1 << 24                 # far above any server's limit (Linux: 1 MiB + a page)
MARKS = frozenset({0x00, 0x80})      # a record mark's first byte for such a length

# RFC 1833 (portmapper), RFC 1813 (NFS v3, its MOUNT and NLM appendices) and the ONC
# registry's best known programs.
PROGRAMS = {100000: "portmapper", 100001: "rstatd", 100002: "rusersd", 100003: "nfs",
            100004: "ypserv", 100005: "mountd", 100007: "ypbind", 100008: "walld",
            100011: "rquotad", 100012: "sprayd", 100021: "nlockmgr", 100024: "status",
            100227: "nfs_acl", 100083: "ttdbserverd", 150001: "pcnfsd",
            395650: "nfs_layout", 400122: "nfs4_cb"}
# The NFS protocol suite: NFS itself, and the programs RFC 1813 defines beside it
# (MOUNT, Appendix I; NLM, Appendix II) plus NFS_ACL which only NFS servers offer.
NFS_PROGRAMS = frozenset({100003, 100005, 100021, 100227})

# Over UDP every datagram is a whole message (classify): msg_type 0 or 1 as a 32-bit
# word, and at least a denied reply's 16 bytes (xid, msg_type, reply_stat, reject_stat).
UDP_GATE = Gate(min_len=16, bytes=((4, 0xff, 0, 0), (5, 0xff, 0, 0), (6, 0xff, 0, 0), (7, 0xff, 0, 1)))


def _auth(b: bytes, off: int):
    """Offset after an opaque_auth at ``off``, MORE_NEEDED, or None."""
    if len(b) < off + 8:
        return MORE_NEEDED
    flavor, n = struct.unpack_from(">II", b, off)
    if flavor not in FLAVORS or n > MAX_AUTH or (flavor == 0 and n not in (0,)):
        return None                   # AUTH_NONE carries no body (RFC 5531 10.1)
    end = off + 8 + ((n + 3) & ~3)
    return end if len(b) >= end else MORE_NEEDED


def message(b: bytes):
    """A dict for one RPC message at the start of ``b`` (a datagram or a record's body),
    MORE_NEEDED when ``b`` is a valid prefix, None when it is not an RPC message."""
    if len(b) < 8:
        return MORE_NEEDED
    xid, mtype = struct.unpack_from(">II", b, 0)
    if mtype == 0:
        if len(b) < 24:
            return MORE_NEEDED
        rpcvers, prog, vers, proc = struct.unpack_from(">IIII", b, 8)
        if rpcvers != 2 or vers > 0xffff or proc > 0xffff or prog == 0:
            return None
        off = _auth(b, 24)
        if off is None or off is MORE_NEEDED:
            return off
        off = _auth(b, off)
        if off is None or off is MORE_NEEDED:
            return off
        return {"xid": xid, "msg": "call", "program": prog, "version": vers, "procedure": proc}
    if mtype == 1:
        if len(b) < 12:
            return MORE_NEEDED
        (stat,) = struct.unpack_from(">I", b, 8)
        if stat == 0:
            off = _auth(b, 12)
            if off is None or off is MORE_NEEDED:
                return off
            if len(b) < off + 4:
                return MORE_NEEDED
            if struct.unpack_from(">I", b, off)[0] > 5:
                return None           # accept_stat: SUCCESS .. SYSTEM_ERR
        elif stat == 1:
            if len(b) < 16:
                return MORE_NEEDED
            if struct.unpack_from(">I", b, 12)[0] > 1:
                return None           # reject_stat: RPC_MISMATCH, AUTH_ERROR
        else:
            return None
        return {"xid": xid, "msg": "reply"}
    return None


def first_tcp(data: bytes):
    """The first message of a TCP direction behind its record mark; the mark's length must
    cover at least the message header and, when the record is complete, whatever
    follows must start another plausible mark."""
    if len(data) < 4:
        return MORE_NEEDED
    (mark,) = struct.unpack_from(">I", data, 0)
    n = mark & 0x7fffffff
    if n < 24 or n > MAX_RECORD:
        return None
    body = data[4:4 + n]
    m = message(body)
    if m is None or (m is MORE_NEEDED and len(body) == n):
        return None                   # the record ended before the message could
    if m is MORE_NEEDED:
        return m
    rest = data[4 + n:]
    if rest and mark & 0x80000000:
        if len(rest) >= 4 and not 24 <= (struct.unpack_from(">I", rest, 0)[0] & 0x7fffffff) <= MAX_RECORD:
            return None               # what follows a complete record is no record mark
    return m


def classify(view):
    """(first call, first reply) of the flow, MORE_NEEDED or None.  Every message seen
    must parse; at least one call is needed (a reply alone says too little)."""
    if view.transport == "udp":
        units = [d for d in view.datagrams_c2s if d] + [d for d in view.datagrams_s2c if d]
        msgs = []
        for u in units:
            m = message(u)
            if m is MORE_NEEDED and len(u) < 24:
                return MORE_NEEDED    # too short to tell (not even a reply's header)
            if m is None or m is MORE_NEEDED:
                return None           # a datagram is a whole message
            msgs.append(m)
        if not msgs:
            return MORE_NEEDED
    else:
        msgs = []
        for d in (view.payload_c2s, view.payload_s2c):
            if not d:
                continue
            m = first_tcp(d)
            if m is None:
                return None
            if m is MORE_NEEDED:
                return MORE_NEEDED
            msgs.append(m)
        if not msgs:
            return MORE_NEEDED
    call = next((m for m in msgs if m["msg"] == "call"), None)
    reply = next((m for m in msgs if m["msg"] == "reply"), None)
    if call is None:
        return MORE_NEEDED if len(msgs) == 1 else None
    return call, reply


def metadata(call, reply):
    meta = {"program": call["program"], "program_name": PROGRAMS.get(call["program"]),
            "version": call["version"], "procedure": call["procedure"]}
    conf = 0.9 if reply is not None and reply["xid"] == call["xid"] else 0.8
    return meta, conf
