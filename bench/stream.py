#!/usr/bin/env python3
"""The embedding API under a long stream, and beside the file reader.

    python bench/stream.py rss [--hours 6] [--rate 100] [--sample-minutes 15]
    python bench/stream.py throughput bench/bench.pcap [--repeat 2]

`rss`: a synthetic stream of many flows over simulated hours is fed to one
`classifier.api.Classifier` through `feed_batch`, built in memory with numpy (no
capture file, no Python object per packet): DNS exchanges, HTTP connections opened and
closed, and TCP connections that carry random bytes and never close (the flows the
pipeline holds back, and that end only by the idle timeout). Every client address and
port is new, so the flow table and every per-flow structure see a new flow each time.
It prints the process's RSS at every `--sample-minutes` of simulated time: it should
stay flat once the flow table is warm.

`throughput`: the same capture labelled by `classifier.analyze` (FlowReader reading the
file) and by `Classifier.feed_batch` (the packets already in memory, as an IDS holds
them), then the fast path alone both ways (FlowReader's pass; Engine.feed_index), in the
same run, alternating, best of `--repeat`. Reading the capture into memory is not timed.
"""
import argparse
import os
import struct
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from classifier.api import PACKET_DTYPE, Classifier  # noqa: E402


def rss_mib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ synthetic flows
def _eth_ipv4(src, dst, proto, l4):
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + l4


def _tcp(sport, dport, flags, seq, ack, data=b""):
    bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, bits, 65535, 0, 0) + data


def _udp(sport, dport, data):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


CLIENT, PORT = (10, 0, 0, 1), 40000         # placeholders, patched per flow
DNS_Q = bytes.fromhex("12340100000100000000000003777777076578616d706c650000010001")
DNS_R = bytes.fromhex("12348180000100010000000003777777076578616d706c650000010001c00c000100010000003c00040a000001")
HTTP_Q = b"GET /index.html HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: bench\r\n\r\n"
HTTP_R = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: bench\r\n\r\nhello"


def _template(kind, rng):
    """(frames of one flow, each (direction, seconds after the flow's start, bytes))."""
    c, s = CLIENT, {"dns": (192, 0, 2, 53), "http": (192, 0, 2, 80), "opaque": (192, 0, 2, 44)}[kind]
    if kind == "dns":
        return [(0, 0.0, _eth_ipv4(c, s, 17, _udp(PORT, 53, DNS_Q))),
                (1, 0.002, _eth_ipv4(s, c, 17, _udp(53, PORT, DNS_R)))]
    sp = 80 if kind == "http" else 4444
    q = HTTP_Q if kind == "http" else rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    r = HTTP_R if kind == "http" else rng.integers(0, 256, 900, dtype=np.uint8).tobytes()
    a, b = 1000, 5000
    pk = [(0, 0.000, _tcp(PORT, sp, "S", a, 0)), (1, 0.001, _tcp(sp, PORT, "SA", b, a + 1)),
          (0, 0.002, _tcp(PORT, sp, "A", a + 1, b + 1)), (0, 0.003, _tcp(PORT, sp, "PA", a + 1, b + 1, q)),
          (1, 0.010, _tcp(sp, PORT, "PA", b + 1, a + 1 + len(q), r))]
    if kind == "http":
        pk += [(0, 0.011, _tcp(PORT, sp, "FA", a + 1 + len(q), b + 1 + len(r))),
               (1, 0.012, _tcp(sp, PORT, "FA", b + 1 + len(r), a + 2 + len(q))),
               (0, 0.013, _tcp(PORT, sp, "A", a + 2 + len(q), b + 2 + len(r)))]
    out = []
    for d, t, seg in pk:
        out.append((d, t, _eth_ipv4(c, s, 6, seg) if d == 0 else _eth_ipv4(s, c, 6, seg)))
    return out


class FlowBlock:
    """`n` flows of one template as one frames buffer (tiled, then the client address
    and port patched per flow) and their packets' offsets, lengths and time offsets."""

    def __init__(self, template):
        self.frames = template
        self.blob = b"".join(f for _, _, f in template)
        self.size = len(self.blob)
        self.lens = np.array([len(f) for _, _, f in template], np.uint32)
        self.offs = np.concatenate([[0], np.cumsum(self.lens)[:-1]]).astype(np.uint64)
        self.dt = np.array([int(t * 1e9) for _, t, _ in template], np.int64)
        # where the client's address and port sit in each frame: source for c2s, destination for s2c
        self.addr_at = [int(o) + (26 if d == 0 else 30) for o, (d, _, _) in zip(self.offs, template)]
        self.port_at = [int(o) + (34 if d == 0 else 36) for o, (d, _, _) in zip(self.offs, template)]

    def make(self, first_flow, starts_ns):
        n = len(starts_ns)
        buf = np.frombuffer(self.blob, np.uint8)[None, :].repeat(n, axis=0)
        ids = first_flow + np.arange(n, dtype=np.int64)
        addr = np.empty((n, 4), np.uint8)
        addr[:, 0] = 10
        addr[:, 1] = (ids >> 16) & 0xFF
        addr[:, 2] = (ids >> 8) & 0xFF
        addr[:, 3] = ids & 0xFF
        port = np.empty((n, 2), np.uint8)
        p = 1024 + (ids >> 24) % 60000      # a new (address, port) for 2^24 * 60000 flows
        port[:, 0] = (p >> 8) & 0xFF
        port[:, 1] = p & 0xFF
        for a in self.addr_at:
            buf[:, a:a + 4] = addr
        for q in self.port_at:
            buf[:, q:q + 2] = port
        k = len(self.lens)
        idx = np.empty(n * k, PACKET_DTYPE)
        idx["ts_ns"] = (starts_ns[:, None] + self.dt[None, :]).ravel()
        idx["offset"] = ((np.arange(n, dtype=np.uint64) * self.size)[:, None] + self.offs[None, :]).ravel()
        idx["caplen"] = np.tile(self.lens, n)
        idx["wirelen"] = 0
        return buf.reshape(-1), idx


def cmd_rss(args):
    rng = np.random.default_rng(7)
    blocks = {k: FlowBlock(_template(k, rng)) for k in ("dns", "http", "opaque")}
    mix = {"dns": 0.5, "http": 0.35, "opaque": 0.15}
    delivered = [0]
    clf = Classifier(capture="bench-stream")
    clf.on_flow(lambda flow: delivered.__setitem__(0, delivered[0] + 1))
    step = 10.0                                         # seconds of stream per feed_batch call
    t0 = 1_700_000_000 * 10**9
    total = args.hours * 3600
    sample_every = args.sample_minutes * 60
    next_sample = 0.0
    flow_no = 0
    wall = time.perf_counter()
    print(f"{'hours':>6} {'flows_fed':>10} {'delivered':>10} {'live':>7} {'packets':>11} {'rss_mib':>8} {'wall_s':>7}")
    t = 0.0
    while t <= total:
        if t >= next_sample:
            s = clf.stats()
            print(f"{t / 3600:6.2f} {flow_no:10d} {delivered[0]:10d} {s['live_flows']:7d} {s['packets']:11d} "
                  f"{rss_mib():8.1f} {time.perf_counter() - wall:7.1f}", flush=True)
            next_sample += sample_every
        frames, idxs, base = [], [], 0
        for kind, share in mix.items():
            n = rng.poisson(args.rate * step * share)
            starts = t0 + int(t * 1e9) + np.sort(rng.integers(0, int(step * 1e9), n))
            buf, idx = blocks[kind].make(flow_no, starts)
            flow_no += n
            idx["offset"] += base
            base += len(buf)
            frames.append(buf)
            idxs.append(idx)
        idx = np.concatenate(idxs)
        idx = idx[np.argsort(idx["ts_ns"], kind="stable")]    # packets in time order, flows interleaved
        clf.feed_batch(np.concatenate(frames), idx, 1)
        t += step
    clf.close()
    s = clf.stats()
    print(f"end: {flow_no} flows fed, {delivered[0]} delivered, {s['packets']} packets, "
          f"{s['evictions']} evicted, rss {rss_mib():.1f} MiB, {time.perf_counter() - wall:.1f} s")


# ------------------------------------------------------------------ throughput
def read_pcap_into_memory(path):
    """(frames, PACKET_DTYPE index, linktype) of a classic pcap, read once."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0xFFFF
    ts, offs, caps, wires = [], [], [], []
    pos, unpack = 24, struct.Struct(order + "IIII").unpack_from
    end = len(data)
    while pos + 16 <= end:
        sec, frac, incl, orig = unpack(data, pos)
        ts.append(sec * 10**9 + (frac if nsec else frac * 1000))
        offs.append(pos + 16)
        caps.append(incl)
        wires.append(orig)
        pos += 16 + incl
    idx = np.empty(len(ts), PACKET_DTYPE)
    idx["ts_ns"], idx["offset"], idx["caplen"], idx["wirelen"] = ts, offs, caps, wires
    return data, idx, linktype


def time_analyze(path):
    import classifier
    t = time.perf_counter()
    n = sum(1 for _ in classifier.analyze(path))
    return time.perf_counter() - t, n


def time_feed_batch(data, idx, lt, chunk):
    t = time.perf_counter()
    clf = Classifier(capture="bench")
    count = [0]
    clf.on_flow(lambda f: count.__setitem__(0, count[0] + 1))
    for i in range(0, len(idx), chunk):
        clf.feed_batch(data, idx[i:i + chunk], lt)
    clf.close()
    return time.perf_counter() - t, count[0]


def time_reader(path):
    from classifier.flows import FlowReader
    t = time.perf_counter()
    n = sum(len(b) for b in FlowReader(path).batches())
    return time.perf_counter() - t, n


def time_engine(data, idx, lt, chunk):
    from classifier.flows import FlowConfig
    t = time.perf_counter()
    eng = FlowConfig().engine()
    raw = idx.view(np.uint8).reshape(-1)
    n = 0
    for i in range(0, len(idx), chunk):
        eng.feed_index(data, raw[i * 24:(i + chunk) * 24], lt)
        n += eng.take()[2]
    while True:
        more = eng.flush(256)
        n += eng.take()[2]
        if not more:
            break
    return time.perf_counter() - t, n


def cmd_throughput(args):
    t = time.perf_counter()
    from inputs import require_capture
    require_capture("bench/stream.py", args.capture)        # one line and exit 2 when missing
    data, idx, lt = read_pcap_into_memory(args.capture)
    print(f"{args.capture}: {len(idx)} packets, {len(data) / 2**20:.0f} MiB, read into memory in "
          f"{time.perf_counter() - t:.1f} s (not timed below); feed_batch chunks of {args.chunk} packets")
    best = {}
    runs = [("labelled: analyze(path)  [FlowReader]", lambda: time_analyze(args.capture)),
            ("labelled: Classifier.feed_batch", lambda: time_feed_batch(data, idx, lt, args.chunk)),
            ("fast path: FlowReader pass", lambda: time_reader(args.capture)),
            ("fast path: Engine.feed_index", lambda: time_engine(data, idx, lt, args.chunk))]
    for rep in range(args.repeat):
        for name, fn in runs:
            dt, flows = fn()
            print(f"  run {rep + 1} {name:40s} {dt:7.2f} s  {len(idx) / dt / 1e3:8.0f} kpkt/s  {flows} flows",
                  flush=True)
            if name not in best or dt < best[name][0]:
                best[name] = (dt, flows)
    names = [n for n, _ in runs]
    print("best of", args.repeat)
    for n in names:
        print(f"  {n:40s} {len(idx) / best[n][0] / 1e3:8.0f} kpkt/s  ({best[n][1]} flows)")
    print(f"  feed_batch / analyze   (labelled):  {best[names[0]][0] / best[names[1]][0]:.2f}x")
    print(f"  feed_index / FlowReader (fast path): {best[names[2]][0] / best[names[3]][0]:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rss", help="RSS over a long synthetic stream")
    r.add_argument("--hours", type=float, default=6.0, help="simulated hours of traffic")
    r.add_argument("--rate", type=float, default=100.0, help="new flows per simulated second")
    r.add_argument("--sample-minutes", type=float, default=15.0, help="simulated minutes between RSS samples")
    t = sub.add_parser("throughput", help="feed_batch against FlowReader on one capture")
    t.add_argument("capture", help="a classic pcap (bench/bench.pcap: /work/shared/tools/make_bench_pcap.py)")
    t.add_argument("--repeat", type=int, default=2)
    t.add_argument("--chunk", type=int, default=65536, help="packets per feed_batch call")
    args = ap.parse_args()
    return cmd_rss(args) if args.cmd == "rss" else cmd_throughput(args)


if __name__ == "__main__":
    sys.exit(main())
