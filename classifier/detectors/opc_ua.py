"""OPC UA binary, UA Connection Protocol over TCP (OPC 10000-6, 7.1): every message
starts with an 8-byte header, message type (3 ASCII: HEL, ACK, ERR, RHE, OPN, MSG,
CLO), chunk type ('F' final; 'C' intermediate and 'A' aborted only for MSG chunks) and
the message size (uint32 little-endian, header included); the messages tile the stream.
The client speaks first with Hello: protocol version (4, 0), receive and send buffer
sizes (4 each, at least 8192), max message size (4), max chunk count (4) and the
endpoint URL (a UA String: int32 length, then UTF-8), so the size is exactly 32 + the
URL's length.  The server answers Acknowledge (28 bytes: version, buffer sizes, limits)
or Error.  In a reverse connection (7.1.2.6) the UA server opens the TCP connection and
sends ReverseHello (ServerUri and EndpointUrl, two UA Strings of at most 4096 bytes that
fill the message), and the UA client answers with the Hello.

The detector relies on the header, the sizes agreeing with the stream and the Hello's
(or ReverseHello's) fields; a Hello answered by an Acknowledge, or a ReverseHello
answered by a Hello, lifts the confidence.  A capture that starts after the Hello is
not claimed (OPN/MSG alone are few bits); a Hello longer than the byte budget (a URL
near 4096 bytes) is judged on its fixed fields (0.85).
Metadata: endpoint_url, message_types (the first messages' types, in order).

Checked against: OPC 10000-6 (Part 6, v1.05) 7.1.2.2 Table 73 (Connection Protocol
header: 'F' for HEL/ACK/ERR/RHE), 6.7.2.2 Table 57 (IsFinal 'C'/'A' "only meaningful for
MessageType of 'MSG'", always 'F' for OPN and CLO), 7.1.2.3-7.1.2.6 (Hello, Acknowledge,
Error, ReverseHello); nDPI src/lib/protocols/opc-ua.c (name "OPC-UA"; it accepts the
seven types with 'F' at any payload of 16 bytes or more).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

TYPES = (b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO")
# Every type but MSG is a single final chunk (6.7.2.2; 7.1.2.2 for the connection layer's).
FINAL_ONLY = (b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"CLO")


def _hello_ok(m: bytes, size: int) -> bool:
    """Whether a Hello's fixed fields (its first 32 bytes, `m`) hold for a message of `size` bytes."""
    if len(m) < 32:
        return False
    version = int.from_bytes(m[8:12], "little")
    recv, send = int.from_bytes(m[12:16], "little"), int.from_bytes(m[16:20], "little")
    url_len = int.from_bytes(m[28:32], "little", signed=True)
    if version != 0 or recv < 8192 or send < 8192:
        return False                     # 7.1.2.3: version 0, buffers of 8192 bytes or more
    # The URL is the rest of the message, at most 4096 bytes.
    return 0 <= url_len <= 4096 and size == 32 + url_len


def _hello(m: bytes):
    """The endpoint URL of a whole Hello message, or None when a field is off."""
    return m[32:] if _hello_ok(m, len(m)) else None


def _reverse_hello(m: bytes):
    """The EndpointUrl of a whole ReverseHello, or None: ServerUri and EndpointUrl, two
    UA Strings of 0-4096 bytes, exactly filling the message (7.1.2.6)."""
    pos, out = 8, None
    for _ in range(2):
        if pos + 4 > len(m):
            return None
        n = int.from_bytes(m[pos:pos + 4], "little", signed=True)
        if n < 0 or n > 4096 or pos + 4 + n > len(m):
            return None
        out = m[pos + 4:pos + 4 + n]
        pos += 4 + n
    return out if pos == len(m) else None


def _ack(m: bytes) -> bool:
    return len(m) == 28 and int.from_bytes(m[12:16], "little") >= 8192 and \
        int.from_bytes(m[16:20], "little") >= 8192


def messages(data: bytes):
    """[(type, whole message or None when cut)] / MORE / None."""
    out, pos = [], 0
    while pos < len(data) and len(out) < 3:
        head = data[pos:pos + 8]
        if not any(t.startswith(head[:3]) for t in TYPES):
            return None
        if len(head) < 8:
            return out or MORE
        if head[3:4] not in (b"F", b"C", b"A") or (head[:3] in FINAL_ONLY and head[3:4] != b"F"):
            return None
        n = int.from_bytes(head[4:8], "little")
        if n < 8 or n > 1 << 24:
            return None
        m = data[pos:pos + n]
        out.append((head[:3], m if len(m) == n else None))
        if len(m) < n:
            break
        pos += n
    return out


def probe(view, state):
    c = messages(view.payload_c2s) if view.payload_c2s else MORE
    s = messages(view.payload_s2c) if view.payload_s2c else MORE
    if c is None or s is None:
        return NO
    if not view.payload_c2s and s is not MORE and s:
        return _server_alone(s)
    if c is MORE or not c:
        return MORE
    first, whole = c[0]
    if first == b"RHE":
        return _reverse(c, s)
    if first != b"HEL":
        return NO                        # a client opens with Hello (mid-stream captures are not claimed)
    if whole is None:
        if len(view.payload_c2s) < SPEC.max_bytes:
            return MORE
        # The byte budget cut a Hello with a long URL: its fixed fields decide.
        head = view.payload_c2s[:32 + 64]
        if not _hello_ok(head, int.from_bytes(head[4:8], "little")):
            return NO
        return claim("opc-ua", 0.85, endpoint_url=dec(head[32:]), message_types="HEL")
    url = _hello(whole)
    if url is None:
        return NO
    acked = False
    if s is not MORE and s:
        st, sw = s[0]
        if st not in (b"ACK", b"ERR"):
            return NO                    # Hello is answered by Acknowledge or Error (7.1.3)
        if st == b"ACK" and sw is not None and not _ack(sw):
            return NO
        acked = sw is not None
    types = [t.decode() for t, _ in c] + [t.decode() for t, _ in (s if s is not MORE else [])]
    # A Hello alone: header, version, buffer sizes and the URL's length agree (0.9);
    # answered by a well-formed Acknowledge or Error: 0.95.
    return claim("opc-ua", 0.95 if acked else 0.9, endpoint_url=dec(url), message_types=",".join(types))


def _error(m: bytes) -> bool:
    """A whole Error message (7.1.2.5): a Bad status code (top bit set) and a Reason
    (UA String, at most 4096 bytes) that ends the message."""
    if len(m) < 16 or not m[11] & 0x80:
        return False
    n = int.from_bytes(m[12:16], "little", signed=True)
    return (n == -1 and len(m) == 16) or (0 <= n <= 4096 and len(m) == 16 + n)


def _server_alone(s):
    """Only the server's bytes (one direction seen, or the client's lost): its first
    message must be a whole Acknowledge (version 0, the buffer sizes' floor), Error or,
    in a reverse connection, the UA client's Hello, each checked field by field; no
    exchange seen, so 0.8."""
    first, whole = s[0]
    if whole is None:
        return MORE
    if first == b"ACK":
        ok = _ack(whole) and whole[8:12] == b"\0\0\0\0"
    elif first == b"ERR":
        ok = _error(whole)
    elif first == b"HEL":
        ok = _hello(whole) is not None
    else:
        ok = False                       # OPN/MSG/CLO alone are few bits (see above)
    if not ok:
        return NO
    meta = {"message_types": ",".join(t.decode() for t, _ in s)}
    if first == b"HEL":
        meta["endpoint_url"] = dec(_hello(whole))
    return claim("opc-ua", 0.8, **meta)


def _reverse(c, s):
    """A flow opened by the UA server's ReverseHello: its UA client answers Hello."""
    whole = c[0][1]
    if whole is None:
        return MORE                      # ReverseHello is small (two URIs); wait for it whole
    url = _reverse_hello(whole)
    if url is None:
        return NO
    answered = False
    if s is not MORE and s:
        st, sw = s[0]
        if st != b"HEL" or sw is not None and _hello(sw) is None:
            return NO                    # the answer to ReverseHello is a Hello (7.1.2.6)
        answered = sw is not None
    types = [t.decode() for t, _ in c] + [t.decode() for t, _ in (s if s is not MORE else [])]
    return claim("opc-ua", 0.95 if answered else 0.85, endpoint_url=dec(url), message_types=",".join(types))


SPEC = DetectorSpec(name="opc-ua", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"HR"), s2c=frozenset(b"AEH")),
                    max_confidence=0.95)
