"""Apache ZooKeeper client protocol (jute): the client's first frame is a 4-byte length
then ConnectRequest -- protocolVersion 0, lastZxidSeen (8), timeOut (4), sessionId (8),
passwd (length 16 + 16 bytes), optional readOnly byte; total 44 or 45.  The four-letter
admin words (ruok, stat, srvr, mntr...) are recognised too.  Metadata: timeout_ms.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

WORDS = {b"ruok", b"stat", b"srvr", b"mntr", b"conf", b"envi", b"cons", b"crst",
         b"dump", b"wchs", b"wchc", b"wchp", b"dirs", b"isro", b"gtmk", b"srst"}


def probe(view, state):
    c = view.payload_c2s
    if len(c) < 4:
        return MORE if not c or c[:1] in (b"\x00",) or any(w.startswith(c) for w in WORDS) else NO
    if c[:4] in WORDS:
        # A four-letter word is the whole request; the reply is free text.
        return claim("zookeeper", 0.8 if len(c) == 4 else 0.6, command=c[:4].decode()) \
            if len(c) == 4 else NO
    n = int.from_bytes(c[:4], "big")
    if n not in (44, 45):
        return NO
    if len(c) < 4 + n:
        return MORE
    if c[4:8] != b"\x00\x00\x00\x00" or c[28:32] != b"\x00\x00\x00\x10":
        return NO                          # protocol version 0, 16-byte password
    if n == 45 and c[48] not in (0, 1):
        return NO
    return claim("zookeeper", 1.0, timeout_ms=int.from_bytes(c[16:20], "big"))


SPEC = DetectorSpec(name="zookeeper", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"\x00rscmedwgi")))
