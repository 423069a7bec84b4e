"""SMB1/2/3 (MS-SMB, MS-SMB2) over TCP: the NetBIOS session framing (type 0, 24-bit
length, RFC 1002 / direct TCP RFC 8071-style) followed by the protocol id
``\\xffSMB``, ``\\xfeSMB`` or ``\\xfdSMB`` (SMB3 transform header).
Metadata: dialect_family (smb1/smb2), command.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

MAGIC = {b"\xffSMB": "smb1", b"\xfeSMB": "smb2", b"\xfdSMB": "smb3-encrypted",
         b"\xfcSMB": "smb2-compressed"}


def frame(data: bytes):
    if data[0] != 0:
        return None                       # SMB rides in a SESSION MESSAGE (type 0)
    if len(data) < 8:
        return MORE
    n = int.from_bytes(data[1:4], "big")
    if n < 4:
        return None                       # too short to hold even the protocol id
    fam = MAGIC.get(data[4:8])
    if fam is None:
        return None                       # other session payloads are netbios-ssn's
    meta = {"dialect_family": fam}
    if fam == "smb2" and len(data) >= 4 + 14:
        meta["command"] = int.from_bytes(data[4 + 12:4 + 14], "little")
    elif fam == "smb1" and len(data) >= 9:
        meta["command"] = data[8]
    return meta


def probe(view, state):
    meta, more = None, False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if data[:4] == b"\x85\x00\x00\x00" and len(data) > 4:
            data = data[4:]               # leading NetBIOS keep-alive
        r = frame(data)
        if r is MORE:
            more = True
        elif r is None:
            return NO                     # both directions of an SMB connection are SMB
        else:
            meta = meta or r
    if meta:
        return match("smb", 1.0, **meta)
    return MORE if more else NO


SPEC = DetectorSpec(name="smb", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0, 0x85)), s2c=frozenset((0, 0x85))))
