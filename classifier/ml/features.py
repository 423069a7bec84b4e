"""Port-blind flow features, computed for a whole batch of flows at once with numpy.

`extract(batch)` turns a FlowBatch (the fast path's record array plus its payload arena)
into a float32 matrix, one row per flow, one column per name in `FEATURE_NAMES`.

What a row is made of (schema version `SCHEMA_VERSION`; changing any of it changes the
version, and a model trained on another version is refused at load):

* the first `HEAD_BYTES` payload bytes of each direction as byte values (-1 past the end);
  for UDP a direction's payload is its first datagrams back to back;
* statistics of the first `WINDOW` bytes of each direction: kept length, Shannon entropy
  (bits per byte, and over its maximum for that length), distinct byte values, the share
  of each byte class (NUL, control, whitespace, digit, letter, punctuation, high bit,
  printable), the share of each class bigram over 4 coarse classes (the n-gram
  statistics), CR LF pairs, and where the first space, CR LF and NUL fall;
* the first `SEQ_PACKETS` packets that carry payload: size signed by direction
  (+ client to server, - server to client); for the first `IAT_PACKETS`, the gap since
  the previous one relative to their mean gap (log2), so that a longer round trip, which
  stretches every gap alike, changes nothing; per direction the count, first, mean and
  largest size; which side spoke first and how often the direction changes;
* whether the transport is UDP (the model only labels TCP and UDP flows).

Never used, by construction: ports, addresses, VLANs, TTLs, MACs, absolute timestamps,
end reasons, TCP flags. Only the record fields in `FIELDS_READ` are read (a test checks
that changing any other field changes no feature).

There is no Python loop over flows: every step is a numpy operation over a block of
flows (both directions of `CHUNK` flows at a time; blocks keep temporaries in the cache).
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SCHEMA_VERSION = 1

HEAD_BYTES = 64          # byte values kept per direction
WINDOW = 128             # bytes per direction the statistics look at
SEQ_PACKETS = 16         # payload-carrying packets whose size/direction are features
IAT_PACKETS = 8          # ... and whose gaps are
CHUNK = 256              # flows per block of work (memory, not meaning)
PAYLOAD_CAP = 4096       # kept-length feature is capped here (the fast path's default budget)

# Record fields the extractor reads: nothing else of a flow reaches the model.
FIELDS_READ = ("proto", "pay_off", "pay_len_c2s", "pay_len_s2c", "npk", "pk_size", "pk_dir", "pk_iat")

TCP, UDP = 6, 17

# Byte classes of the WINDOW statistics; bytes past a direction's end count in none.
_CLASS_NAMES = ("nul", "ctrl", "space", "digit", "alpha", "punct", "high")
_NCLS = len(_CLASS_NAMES)
_COARSE_OF = (0, 0, 2, 1, 1, 2, 3)   # bigram classes: NUL/control, alphanumeric, space/punctuation, high bit


def _tables():
    """Lookup tables indexed by a byte value, or 256 for "past the end".

    fine:   byte class (index into _CLASS_NAMES), _NCLS past the end
    coarse: bigram class, 4 past the end
    lanes:  uint64 with a 1 in the 8-bit lane of the byte's class and in lane 7 when it is
            printable; summing a window's entries counts every class at once, and no
            lane carries into the next since a window has at most 255 bytes
    pairs:  for each of the 25 coarse pair codes a*5+b, its bigram bin (16 real pairs)
    """
    assert WINDOW <= 255 and _NCLS + 1 <= 8
    fine = np.full(257, _NCLS, np.int16)
    for b in range(256):
        if b == 0:
            c = 0
        elif b in (9, 10, 13, 32):
            c = 2
        elif b < 32 or b == 127:
            c = 1
        elif 48 <= b <= 57:
            c = 3
        elif 65 <= b <= 90 or 97 <= b <= 122:
            c = 4
        elif b < 127:
            c = 5
        else:
            c = 6
        fine[b] = c
    coarse = np.array([_COARSE_OF[c] for c in fine[:256]] + [4], np.uint8)
    lanes = np.zeros(257, np.uint64)
    for b in range(256):
        printable = 32 <= b < 127 or b in (9, 10, 13)
        lanes[b] = (1 << (8 * int(fine[b]))) | (printable << (8 * _NCLS))
    pairs = np.array([a * 5 + b for a in range(4) for b in range(4)])
    return fine, coarse, lanes, pairs


_FINE, _COARSE, _CLASS_LANES, _BIGRAM_BINS = _tables()
# log2 c + i/c for a bin count c (0 for an empty bin): summed over a window's positions,
# the real part is sum(c log2 c) over the bins (entropy = log2 L - that / L) and the
# imaginary part the number of distinct byte values
_LOG2_INV = np.zeros(WINDOW + 1, np.complex128)
_LOG2_INV[1:] = np.log2(np.arange(1, WINDOW + 1)) + 1j / np.arange(1, WINDOW + 1)


def _names() -> List[str]:
    names = []
    for d in ("c2s", "s2c"):
        names += [f"{d}_byte_{i}" for i in range(HEAD_BYTES)]
    for d in ("c2s", "s2c"):
        names += [f"{d}_len_log2", f"{d}_entropy", f"{d}_entropy_norm", f"{d}_distinct"]
        names += [f"{d}_frac_{c}" for c in _CLASS_NAMES] + [f"{d}_frac_printable"]
        names += [f"{d}_bigram_{a}{b}" for a in "cawh" for b in "cawh"]
        names += [f"{d}_crlf", f"{d}_pos_space", f"{d}_pos_crlf", f"{d}_pos_nul"]
    names += [f"pkt_{k}_size" for k in range(SEQ_PACKETS)]
    names += [f"pkt_{k}_gap_rel_log2" for k in range(1, IAT_PACKETS)]
    for d in ("c2s", "s2c"):
        names += [f"{d}_pkts", f"{d}_first_size", f"{d}_mean_size", f"{d}_max_size"]
    names += ["first_dir", "dir_changes", "is_udp"]
    return names


FEATURE_NAMES: Tuple[str, ...] = tuple(_names())
N_FEATURES = len(FEATURE_NAMES)
_PKT_COL = FEATURE_NAMES.index("pkt_0_size")


def eligible(records: np.ndarray) -> np.ndarray:
    """Flows the model can say something about: TCP or UDP with some payload."""
    proto = records["proto"]
    has = (records["pay_len_c2s"] > 0) | (records["pay_len_s2c"] > 0)
    return ((proto == TCP) | (proto == UDP)) & has


def extract(batch) -> np.ndarray:
    """Features of every flow of a FlowBatch: float32 array of shape (len(batch), N_FEATURES)."""
    return extract_records(batch.records, batch.payload)


def extract_records(records: np.ndarray, payload) -> np.ndarray:
    """Features from a record array and the payload arena its `pay_off` fields point into."""
    n = len(records)
    out = np.empty((n, N_FEATURES), np.float32)
    # Blocks of CHUNK flows keep every temporary small enough to stay in the cache and
    # be reused by the allocator (whole-batch temporaries of several MB cost more in
    # page faults than in arithmetic).
    for i in range(0, n, CHUNK):
        _extract_block(records[i:i + CHUNK], payload, out[i:i + CHUNK])
    out[:, _PKT_COL:_PKT_COL + _N_PACKET_FEATURES] = _packet_features(records)
    out[:, -1] = records["proto"] == UDP
    return out


def _extract_block(records: np.ndarray, payload, out: np.ndarray) -> None:
    n = len(records)
    off = records["pay_off"].astype(np.int64)
    lc = records["pay_len_c2s"].astype(np.int64)
    ls = records["pay_len_s2c"].astype(np.int64)
    # Both directions at once: rows 0..n-1 are client->server, n..2n-1 server->client.
    start = np.concatenate([off, off + lc])
    length = np.concatenate([lc, ls])
    win = _windows(payload, start, length)                              # (2n, WINDOW) uint16
    col = 0
    head = win[:, :HEAD_BYTES].astype(np.float32)
    head[head == 256] = -1
    out[:, col:col + HEAD_BYTES] = head[:n]
    out[:, col + HEAD_BYTES:col + 2 * HEAD_BYTES] = head[n:]
    col += 2 * HEAD_BYTES

    stats = _window_stats(win, length)                                 # (2n, k)
    k = stats.shape[1]
    out[:, col:col + k] = stats[:n]
    out[:, col + k:col + 2 * k] = stats[n:]
    col += 2 * k
    assert col == _PKT_COL


def _windows(payload, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first WINDOW bytes at each start as uint16, with 256 past each length.

    Rows are copied out of a sliding-window view of the arena (one short copy per row);
    the few windows that would run past the arena's end are gathered byte by byte."""
    arena = np.frombuffer(payload, np.uint8)
    if len(arena) < WINDOW:
        arena = np.concatenate([arena, np.zeros(WINDOW, np.uint8)])
    last = len(arena) - WINDOW
    win = sliding_window_view(arena, WINDOW)[np.minimum(start, last)].astype(np.uint16)
    tail = np.flatnonzero(start > last)
    if len(tail):
        idx = np.minimum(start[tail, None] + np.arange(WINDOW), len(arena) - 1)
        win[tail] = arena[idx]
    win[np.arange(WINDOW)[None, :] >= length[:, None]] = 256
    return win


def _window_stats(win: np.ndarray, length: np.ndarray) -> np.ndarray:
    m = len(win)
    out = np.empty((m, _N_WINDOW_STATS), np.float32)
    L = np.minimum(length, WINDOW)
    Lf = np.maximum(L, 1).astype(np.float64)
    out[:, 0] = np.log2(1 + np.minimum(length, PAYLOAD_CAP))

    # Byte histogram of each window (bin 256 = past the end, emptied); each position looks
    # up its own bin's count in _LOG2_INV.
    key = (np.arange(m, dtype=np.int32)[:, None] * 257 + win).ravel()
    hist = np.bincount(key, minlength=m * 257)
    hist[256::257] = 0
    both = np.take(_LOG2_INV, np.take(hist, key)).reshape(m, WINDOW).sum(axis=1)
    ent = np.where(L > 0, np.log2(Lf) - both.real / Lf, 0)
    out[:, 1] = ent
    out[:, 2] = np.where(L > 1, ent / np.log2(np.maximum(L, 2)), 0)
    out[:, 3] = np.rint(both.imag)

    # class shares in one pass over the lane table (see _tables)
    lanes = np.take(_CLASS_LANES, win).sum(axis=1, dtype=np.uint64).view(np.uint8).reshape(m, 8)
    out[:, 4:12] = lanes / Lf[:, None]

    # class bigrams over 4 coarse classes; codes with a 4 (past the end) are not kept
    co = np.take(_COARSE, win)
    pair = co[:, :-1] * 5 + co[:, 1:]
    big = np.bincount((np.arange(m, dtype=np.int32)[:, None] * 25 + pair).ravel(), minlength=m * 25)
    out[:, 12:28] = big.reshape(m, 25)[:, _BIGRAM_BINS] / np.maximum(L - 1, 1)[:, None]

    crlf = (win[:, :-1] == 13) & (win[:, 1:] == 10)
    out[:, 28] = crlf.sum(axis=1)
    rows = np.arange(m)
    for j, hit in enumerate((win == 32, crlf, win == 0)):
        first = hit.argmax(axis=1)
        out[:, 29 + j] = np.where(hit[rows, first], first, -1)
    return out


_N_WINDOW_STATS = 32


def _packet_features(r: np.ndarray) -> np.ndarray:
    n = len(r)
    width = r["pk_size"].shape[1]
    used = np.arange(width, dtype=np.int32)[None, :] < r["npk"][:, None]
    size = r["pk_size"].astype(np.int32)
    # one signed size per packet: + client to server, - server to client, 0 no payload
    sv = np.where(r["pk_dir"] == 1, -size, size)
    sv[~used] = 0
    # time of each packet since the flow's first one (gaps are taken between payload packets)
    t = np.cumsum(np.where(used, r["pk_iat"], 0), axis=1, dtype=np.int64)
    # payload packets first, in their order (a stable sort on "has no payload")
    order = np.argsort(sv == 0, axis=1, kind="stable")
    sv = np.take_along_axis(sv, order, axis=1)
    t = np.take_along_axis(t, order, axis=1)
    has = sv != 0
    out = np.empty((n, _N_PACKET_FEATURES), np.float32)
    out[:, :SEQ_PACKETS] = sv[:, :SEQ_PACKETS]
    # gaps relative to their mean over the flow's first payload packets: an RTT or a
    # slow link stretches every gap alike, so the shape is kept and the scale dropped
    gap = np.maximum(np.diff(t[:, :IAT_PACKETS], axis=1), 0).astype(np.float64)
    real = has[:, 1:IAT_PACKETS]
    k = real.sum(axis=1)
    mean = np.where(real, gap, 0).sum(axis=1) / np.maximum(k, 1)
    # gap / mean on a log2 scale, floored at 1/64 of the mean (back-to-back packets);
    # all gaps zero counts as all gaps equal
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.log2(np.maximum(gap, mean[:, None] / 64) / mean[:, None])
    rel[mean == 0] = 0
    out[:, SEQ_PACKETS:SEQ_PACKETS + IAT_PACKETS - 1] = np.where(real, rel, -32)
    col = SEQ_PACKETS + IAT_PACKETS - 1
    rows = np.arange(n)
    for sign in (1, -1):
        d = sv * sign
        m = d > 0
        cnt = m.sum(axis=1)
        out[:, col] = cnt
        out[:, col + 1] = np.where(cnt > 0, d[rows, m.argmax(axis=1)], 0)
        out[:, col + 2] = np.where(m, d, 0).sum(axis=1) / np.maximum(cnt, 1)
        out[:, col + 3] = np.maximum(d.max(axis=1), 0)
        col += 4
    out[:, col] = np.where(has[:, 0], sv[:, 0] < 0, -1)
    dirs = np.sign(sv[:, :SEQ_PACKETS])
    out[:, col + 1] = (dirs[:, 1:] * dirs[:, :-1] < 0).sum(axis=1)
    return out


_N_PACKET_FEATURES = SEQ_PACKETS + IAT_PACKETS - 1 + 8 + 2
