"""RDP (MS-RDPBCGR 2.2.1.1): TPKT (version 3, reserved 0, length) carrying an X.224
Connection Request (0xE0) whose user data holds a ``Cookie: mstshash=`` line or an
RDP_NEG_REQ (type 1, length 8), answered by a Connection Confirm (0xD0) with
RDP_NEG_RSP (type 2) or RDP_NEG_FAILURE (type 3).  A bare TPKT/COTP is not enough:
S7comm and MMS use the same framing.  Metadata: cookie, requested_protocols.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec


def _tpdu(data: bytes, code: int):
    """user data of a TPKT+X.224 CR/CC, None, or MORE."""
    if len(data) < 4:
        return MORE if data[:2] in (b"\x03", b"\x03\x00") or data[:2] == b"\x03\x00" else None
    if data[0] != 3 or data[1] != 0:
        return None                       # TPKT version 3, reserved 0 (RFC 1006)
    n = int.from_bytes(data[2:4], "big")
    if n < 11 or n > 4096:
        return None                       # a connection request/confirm is small
    if len(data) < n:
        return MORE
    li = data[4]
    if li + 5 != n or data[5] & 0xF0 != code:
        return None                        # the length indicator covers the whole TPDU
    return data[11:n]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    meta, evidence = {}, 0
    if c:
        ud = _tpdu(c, 0xE0)
        if ud is None:
            return NO                     # the client must open with an X.224 CR
        if ud is MORE:
            return MORE
        if ud.startswith(b"Cookie: mstshash=") or ud.startswith(b"Cookie: msts="):
            end = ud.find(b"\r\n")
            meta["cookie"] = dec(ud[8:end if end >= 0 else None])
            ud = ud[end + 2:] if end >= 0 else b""
            evidence += 1
        if len(ud) >= 8 and ud[0] == 1 and ud[2:4] == b"\x08\x00":
            meta["requested_protocols"] = int.from_bytes(ud[4:8], "little")
            evidence += 1
    if s:
        ud = _tpdu(s, 0xD0)
        if ud is MORE:
            return MORE if not evidence else claim("rdp", 0.9, **meta)
        if ud is not None and len(ud) >= 8 and ud[0] in (2, 3) and ud[2:4] == b"\x08\x00":
            evidence += 1
        elif ud is None and not evidence:
            return NO                     # no RDP negotiation on either side
    if evidence:
        return claim("rdp", 1.0 if evidence >= 2 else 0.9, **meta)
    # A CR without cookie or negotiation request (old clients) looks like S7/MMS.
    return NO if c and s else MORE


SPEC = DetectorSpec(name="rdp", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((3,)), s2c=frozenset((3,))))
