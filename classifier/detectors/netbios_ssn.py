"""NetBIOS Session Service (RFC 1002 4.3) over TCP: 4-byte header (type, flags, 16-bit
length).  A SESSION REQUEST (0x81) carries two encoded names; responses are 0x82
(positive), 0x83 (negative), 0x84 (retarget); 0x85 is keep-alive.  Session messages
(type 0) that hold SMB are claimed by the smb detector instead.
Metadata: called_name, calling_name.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim
from ._nbname import decode, encoded_name


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    data = c or s
    if len(data) < 4:
        return MORE if data[:1] in (b"\x81", b"\x82", b"\x83", b"\x85") else NO
    if data[0] == 0x81:
        n = int.from_bytes(data[2:4], "big")
        if data[1] & 0xFE or n != 68:
            return NO                     # a session request is two 34-byte names
        a, b = encoded_name(data, 4), encoded_name(data, 38)
        if a is False or b is False:
            return NO                     # both names are first-level encoded
        if a is None or b is None:
            return MORE
        # 0.95, not certain: on port 139 SMB follows the session setup and names the flow
        # (smb, 1.0); a certain match here would end an incremental classification
        # before the SMB bytes arrive.
        return claim("netbios-ssn", 0.95, called_name=decode(data, 4),
                     calling_name=decode(data, 38))
    if data[0] in (0x82, 0x83) and data is s and not c:
        # Response without the request (capture started late): weak evidence.
        return claim("netbios-ssn", 0.6) if data[2:4] in (b"\x00\x00", b"\x00\x01") else NO
    return NO                             # session messages (type 0) are smb's, others unknown


SPEC = DetectorSpec(name="netbios-ssn", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0x81, 0x82, 0x83, 0x85)),
                                                       s2c=frozenset((0x82, 0x83))))
