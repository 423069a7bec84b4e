"""OpenVPN (TLS mode) over UDP, or TCP with a 2-byte length prefix.  Byte 0 = opcode(5)
key_id(3); a session starts with P_CONTROL_HARD_RESET_CLIENT_V2/V3 (opcode 7/10) and
is answered by HARD_RESET_SERVER_V2 (8), which acknowledges the client's session id.
The packet may carry a tls-auth HMAC (20 or 32 bytes + 8 of replay id) before the
ack array, so the parser tries each layout.  Static-key mode has no clear header and is
not detectable from payload.  Metadata: opcode, hmac_size.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Outcome, Prefilter, claim

RESET_CLIENT = (1, 7, 10)   # V1, V2, V3
RESET_SERVER = (2, 8)
HMAC_LAYOUTS = (0, 28, 40, 72)   # none, SHA1+replay, SHA256+replay, SHA512+replay


# probe(view, state): the first packet of each side (UDP datagrams, or TCP packets
# behind their 2-byte length); the client's must be a hard reset (opcode 1/7/10) whose
# ack array parses at one of the HMAC_LAYOUTS, and the server's reset (2/8) must
# acknowledge the client's session id at the same layout (1.0); with tls-crypt, both
# resets carrying a plausible and nearly equal timestamp at offset 13 (0.8).
# Metadata: opcode, hmac_size (or tls_crypt).  Compiled: openvpn.pxi.
_start_probe = _fast.openvpn_probe

# Mid-session (a sensor that joined late, lost the first datagrams, or sees one side):
# the resets are gone, but every control-channel packet still carries its sender's
# session id, and each one that acknowledges carries the peer's as the "remote session
# id" after its ack array (OpenVPN's ssl_pkt.h / reliable.c: opcode|key_id, session id
# (8), [tls-auth HMAC and replay id], ack count (at most 8), acked packet ids (4 each),
# remote session id (8) when the count is not 0, then for P_CONTROL the message packet
# id (4) and TLS bytes; P_ACK_V1 ends after the remote session id).
SOFT_RESET, CONTROL, ACK = 3, 4, 5
_MID_OPS = (SOFT_RESET, CONTROL, ACK)
_ACK_MAX = 8                                     # reliable.h RELIABLE_ACK_SIZE


def _control(pkt: bytes, hmac: int):
    """(session id, remote session id or None, TLS bytes) of a control-channel packet
    at one HMAC layout, or None."""
    op = pkt[0] >> 3
    pos = 9 + hmac
    if op not in _MID_OPS or len(pkt) <= pos:
        return None
    n = pkt[pos]
    pos += 1
    if n > _ACK_MAX:
        return None
    remote = None
    if n:
        pos += 4 * n
        remote = pkt[pos:pos + 8]
        pos += 8
    if op == ACK:
        return (pkt[1:9], remote, b"") if n and pos == len(pkt) else None
    if pos + 4 >= len(pkt):
        return None                              # the message packet id, then TLS bytes
    return pkt[1:9], remote, pkt[pos + 4:]


def _packets(view, side: int):
    """A side's first packets: UDP datagrams, or TCP packets behind their 2-byte length
    (whole ones only), or None when the TCP framing breaks."""
    if view.transport == "udp":
        return [bytes(d) for d in (view.datagrams_s2c if side else view.datagrams_c2s)[:4] if d]
    data = view.payload_s2c if side else view.payload_c2s
    out, pos = [], 0
    while pos + 2 <= len(data) and len(out) < 4:
        size = (data[pos] << 8) | data[pos + 1]
        if size < 14 or size > 2048:
            return None
        if pos + 2 + size > len(data):
            break
        out.append(bytes(data[pos + 2:pos + 2 + size]))
        pos += 2 + size
    return out


def _tls_record(b: bytes) -> bool:
    return len(b) >= 5 and 20 <= b[0] <= 23 and b[1] == 3 and b[2] <= 4


def _mid_session(view):
    c, s = _packets(view, 0), _packets(view, 1)
    if c is None or s is None or len(c) + len(s) < 2:
        return None
    for hmac in HMAC_LAYOUTS:
        sides = []
        for pkts in (c, s):
            parsed = [_control(p, hmac) for p in pkts]
            if None in parsed:
                break
            sides.append(parsed)
        else:
            ids = [{m[0] for m in side} for side in sides]
            if any(len(i) > 1 for i in ids):
                continue                         # one session id per side
            remotes = [{m[1] for m in side if m[1] is not None} for side in sides]
            if c and s:
                # the two sides name each other: 16 bytes of random session ids agree
                if ids[0] != ids[1] and (ids[1] & remotes[0] or ids[0] & remotes[1]) \
                        and len(remotes[0]) <= 1 and len(remotes[1]) <= 1:
                    return claim("openvpn", 0.75, opcode=_OPS[c[0][0] >> 3], hmac_size=hmac,
                                 midstream=True)
                continue
            k = 0 if c else 1
            # one side: two packets or more of one session id, naming one peer (not
            # itself), with TLS records in the control channel
            if len(sides[k]) >= 2 and len(remotes[k]) == 1 and not remotes[k] & ids[k] \
                    and any(_tls_record(m[2]) for m in sides[k]):
                return claim("openvpn", 0.7, opcode=_OPS[(c or s)[0][0] >> 3], hmac_size=hmac,
                             midstream=True)
    return None


_OPS = {SOFT_RESET: "P_CONTROL_SOFT_RESET_V1", CONTROL: "P_CONTROL_V1", ACK: "P_ACK_V1"}


def probe(view, state):
    """The compiled probe (a session's start); when it does not match, a session met in
    its middle (_mid_session): UDP, or a TCP direction that starts mid-stream."""
    r = _start_probe(view, state)
    if r.outcome == Outcome.MATCH or (view.transport == "tcp" and not view.midstream):
        return r
    # cheap refusals first: the probe runs on every flow (prefilter any)
    if view.transport == "udp":
        d = view.datagrams_c2s or view.datagrams_s2c
        if not d or not d[0] or d[0][0] >> 3 not in _MID_OPS:
            return r
    else:
        d = view.payload_c2s or view.payload_s2c
        if len(d) < 3 or d[2] >> 3 not in _MID_OPS:
            return r
    m = _mid_session(view)
    return r if m is None else m


probe.__wrapped__ = _start_probe     # the compiled part (tests/detectors/probe_answers.py)
# A TCP flow that starts nowhere mid-stream gets _start_probe's answer unchanged: the
# engine calls that one straight there (no Python frame for every TCP flow, prefilter any).
probe.tcp_start_plain = True


_PLAUSIBLE_TIME = (1104537600, 2208988800)      # 2005-01-01 .. 2040-01-01 UTC


SPEC = DetectorSpec(name="openvpn", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=2, resync=True, prefilter=Prefilter(any=True),
                    # UDP: a client's hard reset (opcode 1, 7 or 10 in the top 5 bits; 14
                    # bytes at least) answered by the server: two datagrams
                    gate=Gate(units=2, c2s_only=True, min_len=14, bytes=((0, 0xff, 8, 87),)))
