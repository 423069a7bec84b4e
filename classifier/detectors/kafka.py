"""Apache Kafka wire protocol (kafka.apache.org/protocol, "The Protocol" > "Common Request
and Response Structure"): the client speaks first.  Every message is an int32 size, then
for a request the header: int16 api_key, int16 api_version, int32 correlation_id and a
nullable client_id string (int16 length, -1 for null; request header v2 adds tagged
fields after it), then the body.  A response is an int32 size then the correlation_id of
the request it answers (response header v0/v1), then the body.

This detector relies on the client's request header (a known api_key, a small
api_version, a size that covers the header, a printable client_id) and on the server's
response echoing the correlation_id with a size of its own.  A request alone is never
claimed: its fields are all small integers, and only the echo ties the two sides.
Metadata: api_key (the first request's), api_version, client_id.
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAX_API_KEY = 90            # 0 Produce ... 74 and the newer ones; nothing near 256
MAX_API_VERSION = 20        # versions in use are below 20 (Fetch is at 17)
MAX_SIZE = 100 << 20        # the broker's socket.request.max.bytes default (100 MiB)
MAX_FIRST = (1 << 24) - 1   # a connection's first request (ApiVersions, Metadata, a Produce) is below 16 MiB
MAX_CLIENT_ID = 255


def _request(c: bytes):
    """(api_key, api_version, correlation_id, client_id) of the first request, MORE
    while its header is incomplete, None when it is not one."""
    if len(c) >= 8:
        size, key, ver = struct.unpack_from(">iHH", c, 0)
        if not 10 <= size <= MAX_FIRST or key > MAX_API_KEY or ver > MAX_API_VERSION:
            return None
    elif c[:1] != b"\x00":
        return None                       # size < 2**24: the first byte is zero
    if len(c) < 14:
        return MORE
    size, key, ver, corr, n = struct.unpack_from(">iHHih", c, 0)
    if corr < 0 or n < -1 or n > MAX_CLIENT_ID or 10 + max(n, 0) > size:
        return None                       # the header must fit in the message
    if n <= 0:
        # a zero correlation id and no client id: nothing but zeros for the echo to tie
        # (a ZooKeeper ConnectRequest reads so)
        return None if corr == 0 else (key, ver, corr, "")
    if len(c) < 14 + n:
        return MORE
    cid = c[14:14 + n]
    if any(b < 0x20 or b > 0x7e for b in cid):
        return None                       # client ids are printable ("rdkafka", "console-producer")
    return key, ver, corr, dec(cid)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the client always speaks first
    req = _request(c)
    if req is None:
        return NO
    if req is MORE:
        return NO if s else MORE          # the broker answers a whole request only
    if len(s) < 8:
        return MORE if s[:1] in (b"", b"\x00") else NO
    size, corr = struct.unpack_from(">ii", s, 0)
    if corr != req[2] or not 4 <= size <= MAX_SIZE:
        return NO
    key, ver, corr, cid = req
    # the echo of a zero correlation id (the first request of many clients) ties less
    conf = 0.9 if corr else 0.8
    return claim("kafka", conf, api_key=key, api_version=ver, client_id=cid or None)


SPEC = DetectorSpec(name="kafka", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.9)
