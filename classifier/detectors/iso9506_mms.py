"""MMS (Manufacturing Message Specification, ISO 9506-1; the client/server protocol of
IEC 61850 substations and of ICCP/TASE.2) over the OSI upper layers on ISO-on-TCP
(RFC 1006 TPKT and X.224 class 0, see _tpkt.py).

Data TPDUs carry OSI session SPDUs (ISO 8327): an association starts with CONNECT
(SI 13) answered by ACCEPT (SI 14), each an SPDU length (one byte, or 0xFF and two)
covering the rest, whose session user data (parameter 193) holds the presentation
CP/CPA PPDU, ACSE AARQ/AARE and the MMS initiate PDU.  The presentation context names
MMS by its abstract syntax 1.0.9506.2.1 and the ACSE application context 1.0.9506.2.3:
both encode as 28 CA 22 02 0x.  Once associated, data TPDUs carry give-tokens and
data-transfer SPDUs (01 00 01 00), then presentation user data (0x61) whose PDV list
holds the MMS PDU (confirmed request 0xA0, response 0xA1, error 0xA2, unconfirmed 0xA3,
reject 0xA4, initiate 0xA8-0xAA, conclude 0x8B-0x8D ...).

The detector claims a connect or accept SPDU whose length is exact and which names
MMS's object identifier (0.95), or a data transfer whose presentation data is a fully
encoded PDV list with an MMS PDU tag (0.85, mid-stream captures).  Metadata: spdu
("connect", "accept" or "data").
"""
from __future__ import annotations

from . import _tpkt
from .base import NO, MORE, DetectorSpec, Prefilter, claim, resyncing, streams

MMS_OID = b"\x28\xca\x22\x02"             # 1.0.9506.2 (iso(1) standard(0) 9506 part(2))
MMS_TAGS = frozenset((0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA,
                      0x8B, 0x8C, 0x8D))


def _ber_len(d: bytes, pos: int):
    if pos >= len(d):
        return None
    b = d[pos]
    if b < 0x80:
        return b, pos + 1
    k = b & 0x7F
    if k == 0 or k > 2 or pos + 1 + k > len(d):
        return None
    return int.from_bytes(d[pos + 1:pos + 1 + k], "big"), pos + 1 + k


def _spdu(ud: bytes):
    """"connect"/"accept"/"data" for an MMS-bearing session SPDU, else None."""
    if len(ud) < 4:
        return None
    if ud[0] in (0x0D, 0x0E):            # CONNECT, ACCEPT
        if ud[1] == 0xFF:
            n, start = int.from_bytes(ud[2:4], "big"), 4
        else:
            n, start = ud[1], 2
        if start + n != len(ud) or MMS_OID not in ud:
            return None
        return "connect" if ud[0] == 0x0D else "accept"
    if ud[:4] == b"\x01\x00\x01\x00" and len(ud) > 6 and ud[4] == 0x61:
        pl = _ber_len(ud, 5)             # presentation fully-encoded-data
        if pl is None or pl[1] + pl[0] != len(ud) or pl[1] >= len(ud) or ud[pl[1]] != 0x30:
            return None
        pdv = _ber_len(ud, pl[1] + 1)    # PDV-list: context id (02 01 xx), then [0] data
        if pdv is None:
            return None
        i = pdv[1]
        if ud[i:i + 2] != b"\x02\x01" or i + 4 >= len(ud) or ud[i + 3] != 0xA0:
            return None
        inner = _ber_len(ud, i + 4)
        if inner is None or inner[1] >= len(ud) or ud[inner[1]] not in MMS_TAGS:
            return None
        return "data"
    return None


def probe(view, state):
    kinds = []
    for _, data in streams(view):
        units = _tpkt.tpdus(data)
        if units is None:
            return NO
        if units is _tpkt.MORE_BYTES:
            continue
        for code, _, ud in units:
            if code in (_tpkt.CR, _tpkt.CC) and ud:
                return NO                # connects carry no user data here (RDP's do)
            if code == _tpkt.DT and ud:
                k = _spdu(ud)
                if k is None:
                    return NO            # S7comm, or another OSI application
                kinds.append(k)
    if not kinds:
        return MORE
    strong = [k for k in kinds if k != "data"]
    return claim("iso9506-mms", 0.95 if strong else 0.85, spdu=(strong or kinds)[0])


# A mid-stream direction may start inside a message: the other one may decide alone.
probe = resyncing(probe)

SPEC = DetectorSpec(name="iso9506-mms", transports=("tcp",), probe=probe, resync=True, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((3,)), s2c=frozenset((3,))),
                    max_confidence=0.95)
