"""KNXnet/IP (KNX Standard 03.08.02 "Core", ISO 22510), over UDP and, since KNXnet/IP
tunnelling v2, TCP: every frame has a 6-byte header, header length 0x06, protocol
version 0x10, service type (2, big-endian: 0x0201 SEARCH_REQUEST ... 0x020C,
0x0310/0x0311 device management, 0x0420-0x0425 tunnelling and its v2 feature services,
0x0530-0x0533 routing, 0x0740-0x0743 remote diagnosis and configuration, 0x0950-0x0955
KNX IP Secure) and the total length (2) of the frame, header included.  Over UDP a
datagram is one frame; over TCP the frames tile the stream.  Discovery, description,
connect and connection-state requests then carry a Host Protocol Address Information
(HPAI): structure length 8, host protocol 0x01 (IPv4 UDP) or 0x02 (IPv4 TCP), IPv4
address (4), port (2).  Either side may speak first (a client searches, a router
routes).

The detector relies on the header constants, a known service type and the total length
agreeing with the datagram (or the next frame starting where the length says); a frame
whose HPAI is checked too, or a second frame, lifts the confidence.
Metadata: service (the first frame's service type name).

Checked against: nDPI src/lib/protocols/knxnet_ip.c (name "KNXnet_IP"; its service
families 0x02 core 0x01-0x0C, 0x03 0x10-0x11, 0x04 0x20-0x25, 0x05 0x30-0x33, 0x07
0x40-0x43, 0x09 0x50-0x55; TCP with several frames per segment), Wireshark
epan/dissectors/packet-knxip.c (the KIP_* service codes, HPAI layout).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

SERVICES = {0x0201: "search-request", 0x0202: "search-response", 0x0203: "description-request",
            0x0204: "description-response", 0x0205: "connect-request", 0x0206: "connect-response",
            0x0207: "connectionstate-request", 0x0208: "connectionstate-response",
            0x0209: "disconnect-request", 0x020A: "disconnect-response", 0x020B: "search-request-ext",
            0x020C: "search-response-ext", 0x0310: "device-configuration-request",
            0x0311: "device-configuration-ack", 0x0420: "tunnelling-request", 0x0421: "tunnelling-ack",
            0x0422: "tunnelling-feature-get", 0x0423: "tunnelling-feature-response",
            0x0424: "tunnelling-feature-set", 0x0425: "tunnelling-feature-info",
            0x0530: "routing-indication", 0x0531: "routing-lost-message", 0x0532: "routing-busy",
            0x0533: "routing-system-broadcast", 0x0740: "remote-diag-request",
            0x0741: "remote-diag-response", 0x0742: "remote-config-request", 0x0743: "remote-reset-request",
            0x0950: "secure-wrapper", 0x0951: "secure-session-request", 0x0952: "secure-session-response",
            0x0953: "secure-session-authenticate", 0x0954: "secure-session-status", 0x0955: "secure-timer-notify"}
# Services whose body starts with an HPAI (after a channel id for the state/disconnect ones).
HPAI_AT = {0x0201: 6, 0x0203: 6, 0x0205: 6, 0x0207: 8, 0x0209: 8, 0x020B: 6}


def _hpai(d: bytes, at: int) -> bool:
    h = d[at:at + 8]
    return len(h) == 8 and h[0] == 8 and h[1] in (1, 2)


def frame(d: bytes, whole: bool):
    """(service, hpai_checked) / MORE / None."""
    if len(d) < 6:
        return MORE if b"\x06\x10".startswith(d[:2]) else None
    if d[0] != 0x06 or d[1] != 0x10:
        return None                      # header length and version are constants
    svc = int.from_bytes(d[2:4], "big")
    n = int.from_bytes(d[4:6], "big")
    if svc not in SERVICES or n < 6 or (n != len(d) if whole else n < len(d)):
        return None                      # the total length is the datagram's
    at = HPAI_AT.get(svc)
    if at is not None and len(d) >= at + 8:
        if not _hpai(d, at):
            return None
        return svc, True
    return svc, False


def stream(d: bytes):
    """The frames tiling a TCP direction (up to three): [(service, hpai_checked)] / MORE / None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 3:
        head = d[pos:pos + 6]
        n = int.from_bytes(head[4:6], "big") if len(head) == 6 else 0
        r = frame(d[pos:pos + n] if n >= 6 and pos + n <= len(d) else d[pos:], pos + n <= len(d) and n >= 6)
        if r is None:
            return None
        if r is MORE or pos + n > len(d):
            break                        # the last frame is still arriving
        out.append(r)
        pos += n
    return out or MORE


def probe(view, state):
    found, more = [], False
    if view.transport == "tcp":
        found = _units.streams(view, stream)
        if found is MORE or found is NO:
            return found
        conf = 0.95 if len(found) >= 2 else 0.9 if found[0][1] else 0.8
        return claim("knxnet-ip", conf, service=SERVICES[found[0][0]])
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = frame(d, whole)
        if r is None:
            return NO                    # every datagram of the flow is one frame
        if r is MORE:
            more = True
            continue
        found.append(r)
    if not found:
        return MORE if more else NO
    conf = 0.95 if len(found) >= 2 else 0.9 if found[0][1] else 0.8
    return claim("knxnet-ip", conf, service=SERVICES[found[0][0]])


SPEC = DetectorSpec(name="knxnet-ip", transports=("udp", "tcp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x06,)), s2c=frozenset((0x06,))),
                    max_confidence=0.95)
