"""SSH (RFC 4253 4.2): each side first sends ``SSH-protoversion-softwareversion``.
Metadata: client_banner, server_banner, and when the side's KEXINIT follows its banner
within the byte budget, the HASSH fingerprints: hassh (client) and hassh_server.
"""
from __future__ import annotations

import hashlib
import struct

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, claim, dec

MAGIC = b"SSH-"


def banner(data: bytes):
    """The banner line, None when not SSH, or MORE when a valid prefix."""
    if len(data) < 4:
        return MORE if MAGIC.startswith(data) else None
    if not data.startswith(MAGIC):
        return None                        # both sides must send the identification first
    line = ascii_line(data, 256)
    if line is None:
        # RFC 4253 caps the identification line at 255 bytes.
        return MORE if len(data) < 256 else None
    # "SSH-2.0-x" / "SSH-1.99-x" / "SSH-1.5-x": a version, then a dash.
    ver, sep, _ = line[4:].partition(b"-")
    if not sep or ver not in (b"2.0", b"1.99", b"1.5", b"1.3"):
        return None                        # protocol versions that ever existed
    return line


SSH_MSG_KEXINIT = 20
_U32 = struct.Struct(">I").unpack_from


def kexinit_lists(data: bytes, pos: int):
    """The first eight name-lists of the SSH_MSG_KEXINIT packet at ``pos`` (RFC 4253
    7.1: kex, host key, then encryption, MAC and compression, each client-to-server
    then server-to-client), as bytes; None when the bytes there are not a whole
    KEXINIT's lists (cut by the budget, or another message)."""
    if pos + 6 + 16 > len(data):
        return None
    plen = _U32(data, pos)[0]
    if data[pos + 5] != SSH_MSG_KEXINIT or plen > 35000:
        return None                        # RFC 4253 6.1: packets up to 35000 bytes
    i = pos + 6 + 16                       # packet_length, padding_length, code, cookie
    end = min(len(data), pos + 4 + plen)
    lists = []
    for _ in range(8):
        if i + 4 > end:
            return None
        n = _U32(data, i)[0]
        if i + 4 + n > end:
            return None
        lists.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return lists


def hassh(data: bytes, line: bytes, server: bool):
    """HASSH (Salesforce): MD5 of "kex;encryption;mac;compression" of the KEXINIT that
    follows the banner ``line`` -- the client-to-server lists for the client's hassh,
    the server-to-client ones for hassh_server.  None without a whole KEXINIT."""
    pos = data.find(b"\n", len(line)) + 1
    lists = kexinit_lists(data, pos) if pos > 0 else None
    if lists is None:
        return None
    k = 1 if server else 0
    algos = b";".join((lists[0], lists[2 + k], lists[4 + k], lists[6 + k]))
    return hashlib.md5(algos).hexdigest()


def probe(view, state):
    out = {}
    fps = {}
    more = False
    for key, data, fp in (("client_banner", view.payload_c2s, "hassh"),
                          ("server_banner", view.payload_s2c, "hassh_server")):
        if not data:
            continue
        b = banner(data)
        if b is MORE:
            more = True
        elif b is not None:
            out[key] = dec(b)
            if b.startswith(b"SSH-2.0-") or b.startswith(b"SSH-1.99-"):
                h = hassh(data, b, fp == "hassh_server")
                if h is not None:
                    fps[fp] = h
    if out:
        # Fingerprints are metadata only: the confidence never depends on them.
        out.update(fps)
        return claim("ssh", 1.0 if len(out) - len(fps) == 2 else 0.95, **out)
    return MORE if more else NO


# The budget reaches past the banner to each side's KEXINIT (OpenSSH's is ~1.5 KiB,
# usually the second data packet) for the HASSH fingerprints; the label itself is
# decided on the banner's first 256 bytes.
SPEC = DetectorSpec(name="ssh", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"S"), s2c=frozenset(b"S")))
