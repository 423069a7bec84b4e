"""SMB1/2/3 (MS-SMB, MS-SMB2) over TCP: the NetBIOS session framing (type 0, 24-bit
length, RFC 1002 / direct TCP RFC 8071-style) followed by the protocol id
``\\xffSMB``, ``\\xfeSMB`` or ``\\xfdSMB`` (SMB3 transform header), after the NetBIOS
session setup when there is one (port 139).
Metadata: dialect_family (smb1/smb2), command.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

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


def _session_setup(data: bytes):
    """The bytes after a leading NetBIOS session setup (RFC 1002 4.3.2: the client's
    SESSION REQUEST, the server's POSITIVE SESSION RESPONSE, keep-alives), which on
    port 139 precede SMB; None while the setup itself is cut."""
    while data and data[0] in (0x81, 0x82, 0x85):
        if len(data) < 4:
            return None
        if data[1] & 0xFE:
            return data                   # reserved flag bits: not a session packet
        n = 4 + (((data[1] & 1) << 16) | int.from_bytes(data[2:4], "big"))
        if len(data) < n:
            return None
        data = data[n:]
    return data


def probe(view, state):
    meta, more = None, False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        data = _session_setup(data)
        if not data:
            more = True                   # only the session setup so far: SMB follows
            continue
        r = frame(data)
        if r is MORE:
            more = True
        elif r is None:
            return NO                     # both directions of an SMB connection are SMB
        else:
            meta = meta or r
    if meta:
        return claim("smb", 1.0, **meta)
    return MORE if more else NO


# A session setup first (port 139) or SMB at once; the more specific smb then wins the
# tie with netbios-ssn's match on the session request by table order.
SPEC = DetectorSpec(name="smb", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0, 0x81, 0x85)),
                                                       s2c=frozenset((0, 0x82, 0x85))))
