"""Lustre's LNet over TCP (the socklnd: lnet/include/uapi/linux/lnet/lnet-idl.h and
socklnd.h in the Lustre source; Wireshark's packet-lnet): a connecting peer first sends
the acceptor request, its magic 0xACCE7100, version 1 and the target NID; then both
sides exchange a HELLO whose magic is LNET_PROTO_MAGIC 0x45726963 ("Eric"), a protocol
version 1-3, the source and destination NIDs.  Every message after that is a ksock
message: type 0xC0 (noop) or 0xC1 (LNet), checksum, two zero-copy cookies, then for
LNet an LNet header: destination and source NIDs (an IPv4 address, a network number,
the network type SOCKLND 2), destination and source PIDs and the message type 0-4
(ACK, PUT, GET, REPLY, HELLO).  All fields are little-endian (a peer of the other
byte order sends them swapped; the magic tells).
Metadata: kind ("acceptor", "hello" or "lnet"), version.
"""
from __future__ import annotations

import struct

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

ACCEPTOR = 0xACCE7100
HELLO = 0x45726963
SOCKLND = 2


def _order(d: bytes, magic: int):
    """The byte order in which ``magic`` opens ``d``, or None."""
    if len(d) >= 4:
        for e in ("<", ">"):
            if struct.unpack_from(e + "I", d, 0)[0] == magic:
                return e
    return None


def _nid_ok(d: bytes, off: int, e: str) -> bool:
    (nid,) = struct.unpack_from(e + "Q", d, off)
    return nid >> 48 == SOCKLND and nid & 0xffffffff != 0


def _hello(d: bytes):
    e = _order(d, HELLO)
    if e is None:
        return None
    if len(d) < 24:
        return MORE
    (version,) = struct.unpack_from(e + "I", d, 4)
    if version not in (1, 2, 3) or not _nid_ok(d, 8, e):
        return None
    return {"kind": "hello", "version": version}


def _side(d: bytes):
    """Metadata of a direction's first bytes, MORE, or None."""
    if len(d) < 4:
        prefixes = [struct.pack(e + "I", m) for m in (ACCEPTOR, HELLO) for e in "<>"] + [b"\xc0\0\0\0", b"\xc1\0\0\0"]
        return MORE if any(p.startswith(d) for p in prefixes) else None
    e = _order(d, ACCEPTOR)
    if e is not None:
        if len(d) < 16:
            return MORE
        if struct.unpack_from(e + "I", d, 4)[0] != 1 or not _nid_ok(d, 8, e):
            return None
        if len(d) < 20:                      # the HELLO follows: its magic, either order
            part = d[16:]
            return MORE if any(struct.pack(o + "I", HELLO).startswith(part) for o in "<>") else None
        h = _hello(d[16:])
        if h is None or h is MORE:
            return h
        return {"kind": "acceptor", "version": h["version"]}
    if _order(d, HELLO) is not None:
        return _hello(d)
    (ktype,) = struct.unpack_from("<I", d, 0)
    if ktype not in (0xC0, 0xC1):
        return None
    if len(d) < 24 + 36:
        return MORE
    if ktype == 0xC0:
        return None                          # a noop alone says too little
    if not (_nid_ok(d, 24, "<") and _nid_ok(d, 32, "<")):
        return None
    _dpid, _spid, mtype = struct.unpack_from("<III", d, 40)
    if mtype > 4:
        return None
    return {"kind": "lnet", "version": 3}


def probe(view, state):
    meta = _units.each_stream(view, _side)
    if meta is MORE or meta is NO:
        return meta
    conf = {"acceptor": 0.95, "hello": 0.9, "lnet": 0.8}[meta["kind"]]
    return claim("lustre", conf, **meta)


_FIRST = frozenset({0x00, 0xAC, 0x63, 0x45, 0xC0, 0xC1})   # each magic's first byte, either order
SPEC = DetectorSpec(name="lustre", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST), max_confidence=0.95)
