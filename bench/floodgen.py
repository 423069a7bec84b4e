"""Flood captures for bench/flood.py, built with numpy in seconds (never committed).

Each generator writes a classic pcap (microseconds, Ethernet) whose records all have
the same frame length, so the whole file is one 2-D array: a row per record, the
16-byte record header then the frame. Checksums are left zero (portlens never checks
them; Suricata runs with `-k none`).

    syn     N TCP SYNs, each from its own client address and port: N flows
    udp     N UDP datagrams with random ports and 32 random payload bytes: N flows
    frag    N first IPv4 fragments (MF set, offset 0), never completed
    ooo     C TCP connections, 10 data segments each, sent round-robin across all
            connections (C > --max-flows keeps every flow's table slot contested) and
            in reverse sequence order within each connection
    one     one TCP flow of N packets (a SYN, then data segments in order)
"""
from __future__ import annotations

import struct

import numpy as np

ETH = bytes.fromhex("020000000002" "020000000001" "0800")


def _ipv4(total_len: int, proto: int, flags_frag: int = 0x4000) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total_len, 1, flags_frag, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))


def _write(path: str, frames: np.ndarray, ts_us: np.ndarray) -> None:
    """frames: (n, L) uint8, one frame per row; ts_us: (n,) int64 microseconds."""
    n, flen = frames.shape
    rec = np.zeros((n, 16 + flen), dtype=np.uint8)
    hdr = rec[:, :16].view("<u4")
    hdr[:, 0] = ts_us // 1_000_000
    hdr[:, 1] = ts_us % 1_000_000
    hdr[:, 2] = flen
    hdr[:, 3] = flen
    rec[:, 16:] = frames
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        # in slices, so a 10 M-row file never needs a second full-size copy
        step = 1 << 20
        for i in range(0, n, step):
            fh.write(rec[i:i + step].tobytes())


def _template(n: int, frame: bytes) -> np.ndarray:
    return np.tile(np.frombuffer(frame, dtype=np.uint8), (n, 1))


def _put16(a: np.ndarray, off: int, v: np.ndarray) -> None:
    a[:, off] = (v >> 8) & 0xFF
    a[:, off + 1] = v & 0xFF


def _put32(a: np.ndarray, off: int, v: np.ndarray) -> None:
    for k in range(4):
        a[:, off + k] = (v >> (24 - 8 * k)) & 0xFF


def _clients(a: np.ndarray, idx: np.ndarray) -> None:
    """A distinct client address per index, in 10.64.0.0/10 (source address at 26)."""
    _put32(a, 26, (10 << 24) | (64 << 16) + idx.astype(np.int64))


def _ts(n: int, rate: float = 1_000_000.0) -> np.ndarray:
    return (1_700_000_000 * 1_000_000 + np.arange(n, dtype=np.int64) * (1e6 / rate)).astype(np.int64)


def syn(path: str, n: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    tcp = struct.pack("!HHIIBBHHH", 0, 80, 0, 0, 5 << 4, 0x02, 64240, 0, 0)
    a = _template(n, ETH + _ipv4(40, 6) + tcp)
    idx = np.arange(n)
    _clients(a, idx)
    _put16(a, 34, rng.integers(1024, 65536, n))
    _put32(a, 38, rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.int64))
    _write(path, a, _ts(n))
    return n


def udp(path: str, n: int, seed: int = 2) -> int:
    rng = np.random.default_rng(seed)
    body = 32
    hdr = struct.pack("!HHHH", 0, 0, 8 + body, 0)
    a = _template(n, ETH + _ipv4(28 + body, 17) + hdr + bytes(body))
    _clients(a, np.arange(n))
    _put16(a, 34, rng.integers(1024, 65536, n))
    _put16(a, 36, rng.integers(1, 65536, n))
    a[:, 42:] = rng.integers(0, 256, (n, body), dtype=np.uint8)
    _write(path, a, _ts(n))
    return n


def frag(path: str, n: int, seed: int = 3) -> int:
    rng = np.random.default_rng(seed)
    body = 64      # the first 64 bytes of a larger UDP datagram; MF set, offset 0
    a = _template(n, ETH + _ipv4(20 + body, 17, flags_frag=0x2000) + bytes(body))
    _clients(a, np.arange(n) % 4096)
    _put16(a, 18, rng.integers(0, 65536, n))        # IP identification
    _put16(a, 34, rng.integers(1024, 65536, n))
    _put16(a, 36, np.full(n, 53))
    _put16(a, 38, np.full(n, 1400))                 # UDP length: more to come
    a[:, 42:] = rng.integers(0, 256, (n, body - 8), dtype=np.uint8)
    _write(path, a, _ts(n))
    return n


def ooo(path: str, conns: int, per_conn: int = 10, seed: int = 4) -> int:
    rng = np.random.default_rng(seed)
    seg = 100
    tcp = struct.pack("!HHIIBBHHH", 0, 443, 0, 0, 5 << 4, 0x18, 64240, 0, 0)
    n = conns * per_conn
    a = _template(n, ETH + _ipv4(40 + seg, 6) + tcp + bytes(seg))
    conn = np.tile(np.arange(conns), per_conn)              # round-robin over connections
    k = np.repeat(np.arange(per_conn), conns)               # the k-th segment sent ...
    _clients(a, conn)
    _put16(a, 34, 20000 + (conn % 40000))
    isn = rng.integers(0, 2 ** 31, conns).astype(np.int64)
    # ... carries the (per_conn - 1 - k)-th stretch: every connection in reverse order
    _put32(a, 38, (isn[conn] + (per_conn - 1 - k) * seg) % (2 ** 32))
    a[:, 54:] = rng.integers(0, 256, (n, seg), dtype=np.uint8)
    _write(path, a, _ts(n))
    return n


def one(path: str, n: int, seed: int = 5) -> int:
    rng = np.random.default_rng(seed)
    seg = 64
    tcp = struct.pack("!HHIIBBHHH", 40000, 443, 0, 0, 5 << 4, 0x18, 64240, 0, 0)
    a = _template(n, ETH + _ipv4(40 + seg, 6) + tcp + bytes(seg))
    _put32(a, 38, (1 + np.arange(n, dtype=np.int64) * seg) % (2 ** 32))
    a[0, 47] = 0x02                                         # the first packet is the SYN
    _put32(a, 38, np.concatenate([[0], (1 + np.arange(n - 1, dtype=np.int64) * seg) % (2 ** 32)]))
    a[:, 54:] = rng.integers(0, 256, (1, seg), dtype=np.uint8)   # same bytes each time: cheap
    _write(path, a, _ts(n))
    return n


FLOODS = {
    # name: (generator, size argument, what it is)
    "syn": (syn, 5_000_000, "5 M SYN flows"),
    "udp": (udp, 5_000_000, "5 M random UDP flows"),
    "frag": (frag, 1_000_000, "1 M first fragments"),
    "ooo": (ooo, 100_000, "100k out-of-order TCP connections x 10 segments"),
    "one": (one, 10_000_000, "one 10 M-packet TCP flow"),
}
