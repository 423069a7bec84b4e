"""DCE/RPC (The Open Group C706 chapter 12; Microsoft MS-RPCE 2.2.2).

Connection-oriented (TCP): every PDU opens with a 16-byte common header: rpc_vers 5,
rpc_vers_minor 0 or 1, PTYPE (request 0, response 2, fault 3, bind 11 .. orphaned 19),
pfc_flags, the 4-byte data representation (integer/character nibbles 0 or 1, float
0-3, two zero bytes), frag_length (in the drep's byte order, >= 16, covering
auth_length and its 8-byte verifier header), auth_length and call_id.  PDUs follow each
other exactly, so every complete PDU must be followed by another header.  A bind /
alter_context carries its presentation contexts: the abstract syntax is the interface
UUID and version; a request carries the opnum.

Connectionless (UDP): one 80-byte header per datagram: rpc_vers 4, PTYPE 0-10, the
3-byte drep, object, interface and activity UUIDs, interface version, sequence number,
opnum, fragment length (the body's size: the datagram less the header, less an
authentication verifier when auth_proto is set).
Metadata: version ("5.0", "5.1" or "4"), ptype, interface (UUID), interface_version,
interface_name (a few well-known interfaces), opnum.
"""
from __future__ import annotations

import struct
import uuid

from . import _dgram
from .base import MORE, NO, DetectorSpec, Prefilter, claim

CO_TYPES = {0: "request", 2: "response", 3: "fault", 11: "bind", 12: "bind_ack",
            13: "bind_nak", 14: "alter_context", 15: "alter_context_resp", 16: "auth3",
            17: "shutdown", 18: "co_cancel", 19: "orphaned"}
CL_TYPES = {0: "request", 1: "ping", 2: "response", 3: "fault", 4: "working",
            5: "nocall", 6: "reject", 7: "ack", 8: "cl_cancel", 9: "fack", 10: "cancel_ack"}
# MS-RPCE / MS-SAMR / MS-LSAD / ... interface UUIDs, and PROFINET IO's (IEC 61158-6-10).
INTERFACES = {
    "e1af8308-5d1f-11c9-91a4-08002b14a0fa": "epmapper",
    "12345778-1234-abcd-ef00-0123456789ac": "samr",
    "12345778-1234-abcd-ef00-0123456789ab": "lsarpc",
    "12345678-1234-abcd-ef00-01234567cffb": "netlogon",
    "4b324fc8-1670-01d3-1278-5a47bf6ee188": "srvsvc",
    "6bffd098-a112-3610-9833-46c3f87e345a": "wkssvc",
    "e3514235-4b06-11d1-ab04-00c04fc2dcd2": "drsuapi",
    "338cd001-2244-31f1-aaaa-900038001003": "winreg",
    "367abb81-9844-35f1-ad32-98f038001003": "svcctl",
    "12345678-1234-abcd-ef00-0123456789ab": "spoolss",
    "99fcfec4-5260-101b-bbcb-00aa0021347a": "IObjectExporter",
    "000001a0-0000-0000-c000-000000000046": "IRemoteSCMActivator",
    "dea00001-6c97-11d1-8271-00a02442df7d": "pnio-device",
    "dea00002-6c97-11d1-8271-00a02442df7d": "pnio-controller",
    "dea00003-6c97-11d1-8271-00a02442df7d": "pnio-supervisor",
    "dea00004-6c97-11d1-8271-00a02442df7d": "pnio-parameter-server",
}


def _drep_ok(d0: int, d1: int) -> bool:
    """Integer rep (high nibble) and character rep (low nibble) 0 or 1; float rep 0-3."""
    return d0 >> 4 <= 1 and d0 & 0x0f <= 1 and d1 <= 3


def _uuid(b: bytes, off: int, le: bool) -> str:
    return str(uuid.UUID(bytes_le=b[off:off + 16]) if le else uuid.UUID(bytes=b[off:off + 16]))


def _co_header(b: bytes, off: int):
    """(ptype, frag_length, little_endian) of a CO header at off, MORE, or None."""
    if len(b) < off + 12:
        # check what is there: version 5, minor 0/1, a CO ptype
        part = b[off:]
        if (len(part) >= 1 and part[0] != 5) or (len(part) >= 2 and part[1] > 1) \
                or (len(part) >= 3 and part[2] not in CO_TYPES):
            return None
        return MORE
    v, minor, ptype, _flags, d0, d1, d2, d3 = b[off:off + 8]
    if v != 5 or minor > 1 or ptype not in CO_TYPES or not _drep_ok(d0, d1) or d2 or d3:
        return None
    le = bool(d0 & 0x10)
    flen, alen = struct.unpack_from("<HH" if le else ">HH", b, off + 8)
    if flen < 16 or (alen and flen < 16 + 8 + alen):
        return None
    return ptype, flen, le


def _co(data: bytes):
    """Metadata of a CO stream (one direction), MORE, or None."""
    h = _co_header(data, 0)
    if h is None or h is MORE:
        return h
    ptype, flen, le = h
    e = "<" if le else ">"
    meta = {"ptype": CO_TYPES[ptype]}
    body = data[16:flen]
    if ptype in (11, 14):                          # bind / alter_context: the contexts
        if len(body) < 12 + 4 + 20:
            return MORE if len(data) < flen else None
        n_ctx, n_syn = body[8], body[14]
        if n_ctx == 0 or n_syn == 0:
            return None                            # a bind names at least one context
        if len(data) >= flen and 12 + 4 + 20 + 20 * n_syn > len(body):
            return None                            # the first context overruns the PDU
        meta["interface"] = _uuid(body, 16, le)
        meta["interface_version"] = "%d.%d" % struct.unpack_from(e + "HH", body, 32)
    elif ptype == 0:                               # request: the opnum
        if len(body) < 8:
            return MORE if len(data) < flen else None
        meta["opnum"] = struct.unpack_from(e + "H", body, 6)[0]
    if len(data) > flen:                           # the next PDU must follow exactly
        nxt = _co_header(data, flen)
        if nxt is None:
            return None
    meta["version"] = "5.%d" % data[1]
    return meta


CL_HEADER = 80


def _cl(dg: bytes):
    """Metadata of one CL datagram, MORE, or None."""
    if len(dg) < CL_HEADER:
        part = dg
        if part[0] != 4 or (len(part) >= 2 and part[1] not in CL_TYPES):
            return None
        return MORE
    v, ptype, flags1, flags2, d0, d1, d2 = dg[:7]
    if v != 4 or ptype not in CL_TYPES or not _drep_ok(d0, d1) or d2:
        return None
    le = bool(d0 & 0x10)
    e = "<" if le else ">"
    (if_vers, seq, opnum, ihint, ahint, blen, fragnum,
     auth_proto, serial_lo) = struct.unpack_from(e + "IIHHHHHBB", dg, 60)
    body = len(dg) - CL_HEADER
    if auth_proto == 0 and blen != body or blen > body:
        return None                                 # the fragment length is the body's
    return {"version": "4", "ptype": CL_TYPES[ptype], "interface": _uuid(dg, 24, le),
            "interface_version": str(if_vers), "opnum": opnum}


def probe(view, state):
    if view.transport == "udp":
        meta = None
        units = _dgram.whole(view, SPEC.max_bytes)
        if not units:
            return MORE               # nothing yet, or one datagram perhaps cut short
        for u in units:
            m = _cl(u)
            if m is None:
                return NO
            if m is MORE:
                return MORE
            meta = meta or m
        conf = 0.9
    else:
        meta = None
        for d in (view.payload_c2s, view.payload_s2c):
            if not d:
                continue
            m = _co(d)
            if m is None:
                return NO
            if m is MORE:
                return MORE
            if meta is None:
                meta = m
            elif "interface" not in meta and "interface" in m:
                meta.update({k: v for k, v in m.items() if k.startswith("interface")})
        if meta is None:
            return MORE
        conf = 0.95 if "interface" in meta else 0.85
    if "interface" in meta:
        meta["interface_name"] = INTERFACES.get(meta["interface"])
    return claim("dcerpc", conf, **meta)


SPEC = DetectorSpec(name="dcerpc", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset({4, 5}), s2c=frozenset({4, 5})),
                    max_confidence=0.95)
