"""rsync daemon protocol: both sides open with ``@RSYNCD: <major>.<minor>`` and a
newline (optionally followed by checksum lists in protocol 32).  Metadata: version.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAGIC = b"@RSYNCD: "
_LINE = re.compile(rb"@RSYNCD: (\d{1,3}(?:\.\d{1,3})?)[ \w.-]{0,100}\n")


def probe(view, state):
    more = False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if len(data) < len(MAGIC):
            if MAGIC.startswith(data):
                more = True
                continue
            return NO                     # both daemon sides open with the magic
        m = _LINE.match(data)
        if m:
            return claim("rsync", 1.0, version=dec(m.group(1)))
        if data.startswith(MAGIC) and b"\n" not in data and len(data) < 128:
            more = True
            continue
        return NO                         # the greeting is one short line
    return MORE if more else NO


SPEC = DetectorSpec(name="rsync", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"@"), s2c=frozenset(b"@")))
