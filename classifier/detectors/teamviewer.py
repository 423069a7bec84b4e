"""TeamViewer's own protocol (TCP to its routers, 5938, or tunnelled; UDP between
peers): every command packet starts with a 2-byte magic, 0x17 0x24 (protocol version
2) or 0x11 0x30 (version 1), and a command code (bettercap's TeamViewer parser lists
them: 10 CMD_IDENTIFY, 16 CMD_PING, 54 CMD_SESSIONID, 71 CMD_UDPPING, 90-113 data and
encryption commands...; nDPI's teamviewer.c matches the two magics).  Over UDP the
command packet follows an 11-byte header whose first bytes count packets (nDPI).

This detector requires, over TCP, that both sides open with a magic and a listed
command; over UDP, that every datagram carries the magic at offset 11, the first of
each side with a listed command, in both directions or in two datagrams (0.8: a 2-byte magic and a command
code per side; the rest is undocumented and left alone).
Metadata: version (1 or 2, from the client's magic), command (the client's first).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MAGICS = {b"\x17\x24": 2, b"\x11\x30": 1}
COMMANDS = {
    10: "CMD_IDENTIFY", 11: "CMD_REQUESTCONNECT", 13: "CMD_DISCONNECT", 14: "CMD_VNCDISCONNECT",
    15: "CMD_TVCONNECTIONFAILED", 16: "CMD_PING", 17: "CMD_PINGOK", 18: "CMD_MASTERCOMMAND",
    19: "CMD_MASTERRESPONSE", 20: "CMD_CHANGECONNECTION", 21: "CMD_NOPARTNERCONNECT",
    22: "CMD_CONNECTTOWAITINGTHREAD", 23: "CMD_SESSIONMODE", 24: "CMD_REQUESTROUTINGSESSION",
    25: "CMD_TIMEOUT", 26: "CMD_JAVACONNECT", 27: "CMD_KEEPALIVEBEEP", 28: "CMD_REQUESTKEEPALIVE",
    29: "CMD_MASTERCOMMAND_ENCRYPTED", 30: "CMD_MASTERRESPONSE_ENCRYPTED", 31: "CMD_REQUESTRECONNECT",
    32: "CMD_RECONNECTTOWAITINGTHREAD", 33: "CMD_STARTLOGGING", 34: "CMD_SERVERAVAILABLE",
    35: "CMD_KEEPALIVEREQUEST", 36: "CMD_OK", 37: "CMD_FAILED", 38: "CMD_PING_PERFORMANCE",
    39: "CMD_PING_PERFORMANCE_RESPONSE", 40: "CMD_REQUESTKEEPALIVE2", 41: "CMD_DISCONNECT_SWITCHEDTOUDP",
    42: "CMD_SENDMODE_UDP", 43: "CMD_KEEPALIVEREQUEST_ANSWER", 44: "CMD_ROUTE_CMD_TO_CLIENT",
    45: "CMD_NEW_MASTERLOGIN", 46: "CMD_BUDDY", 47: "CMD_ACCEPTROUTINGSESSION",
    48: "CMD_NEW_MASTERLOGIN_ANSWER", 49: "CMD_BUDDY_ENCRYPTED", 50: "CMD_REQUEST_ROUTE_BUDDY",
    51: "CMD_CONTACT_OTHER_MASTER", 52: "CMD_REQUEST_ROUTE_ENCRYPTED", 53: "CMD_ENDSESSION",
    54: "CMD_SESSIONID", 55: "CMD_RECONNECT_TO_SESSION", 56: "CMD_RECONNECT_TO_SESSION_ANSWER",
    57: "CMD_MEETING_CONTROL", 58: "CMD_CARRIER_SWITCH", 59: "CMD_MEETING_AUTHENTICATION",
    60: "CMD_ROUTERCMD", 61: "CMD_PARTNERRECONNECT", 62: "CMD_CONGRESTION_CONTROL", 63: "CMD_ACK",
    70: "CMD_UDPREQUESTCONNECT", 71: "CMD_UDPPING", 72: "CMD_UDPREQUESTCONNECT_VPN",
    **{90 + i: f"CMD_{i}" for i in range(24)},     # 90-113: data, encryption, auth, UDP control
}
UDP_HEADER = 11


def _command(b: bytes, i: int):
    """(version, command) at offset i, MORE when cut before the command, None."""
    head = b[i:i + 3]
    if len(head) < 3:
        return MORE if any(m.startswith(head) for m in MAGICS) else None
    version = MAGICS.get(head[:2])
    if version is None or head[2] not in COMMANDS:
        return None
    return version, head[2]


def _tcp(view):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    first = _command(c, 0)
    if first is None or first is MORE:
        return NO if first is None else MORE
    if not s:
        return MORE                   # one side's 3 bytes are too few to name
    other = _command(s, 0)
    if other is None or other is MORE:
        return NO if other is None else MORE
    return claim("teamviewer", 0.8, version=first[0], command=first[1])


def _udp(view):
    first, sides, n = None, 0, 0
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        seen = False
        for dg in dgs:
            if not dg:
                continue
            if seen:
                # later datagrams: the magic only (newer clients use commands the
                # public list does not name)
                if dg[UDP_HEADER:UDP_HEADER + 2] not in MAGICS:
                    return NO
                n += 1
                continue
            r = _command(dg, UDP_HEADER)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            first, seen, n = first or r, True, n + 1
        sides += seen
    if first is None or (sides < 2 and n < 2):
        return MORE
    return claim("teamviewer", 0.8, version=first[0], command=first[1])


def probe(view, state):
    return _udp(view) if view.transport == "udp" else _tcp(view)


# TCP opens with a magic; over UDP the first byte is the header's packet counter, which
# starts at 0 (nDPI), so a flow seen from its start begins with 0x00
_FIRST = frozenset((0x17, 0x11, 0x00))
SPEC = DetectorSpec(name="teamviewer", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST), max_confidence=0.8,
                    # UDP: each side's first datagram carries a magic (17 24 or 11 30) and a
                    # known command after the 11-byte header
                    gate=Gate(min_len=UDP_HEADER + 3, bytes=(
                        (UDP_HEADER, 0xF9, 0x11, 0x11), (UDP_HEADER + 1, 0xEB, 0x20, 0x20),
                        (UDP_HEADER + 2, 0xFF, min(COMMANDS), max(COMMANDS)))))
