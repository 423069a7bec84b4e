#!/usr/bin/env python3
"""Build the fuzzers' seed corpora from the project's own captures (pcaps/corpus).

    python fuzz/make_seeds.py                      # -> fuzz/corpus/{reader,pipeline,probes}/
    python fuzz/make_seeds.py --extra ../shared/ndpi-dev/pcaps   # more seeds, at run time only

Nothing here is committed: the corpora are generated (and grow while fuzzing) under
fuzz/corpus/, which fuzz/.gitignore keeps out of git.

reader / pipeline: every capture of pcaps/corpus cut to --max-size bytes (at a record
boundary), and for a few of them the same packets rewritten in the other formats the
reader parses: pcap with nanoseconds, big-endian, Kuznetzov's modified pcap, gzip,
pcapng (little and big endian, if_tsresol, if_tsoffset, EPB, SPB, OPB), and the link
types Linux cooked v1/v2, raw IP, BSD null and OpenBSD loop. The pipeline corpus is the
reader corpus without the rewrites (the pipeline sees the same flows).

probes: each TCP/UDP flow of those captures with a payload, in fuzz_probes.py's input
format (see there), read through this checkout's fast path (so build it first).
"""
import argparse
import gzip
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _harness  # noqa: E402  (puts this checkout on sys.path)


def write(dirpath, data, tag=""):
    name = hashlib.sha1(data).hexdigest()[:16] + (f"-{tag}" if tag else "")
    with open(os.path.join(dirpath, name), "wb") as fh:
        fh.write(data)


def cut_pcap(data, max_size):
    """A classic pcap cut at the last whole record within max_size bytes."""
    frames = _harness.pcap_frames(data, limit=1 << 30)
    if not frames or len(data) <= max_size:
        return data[:max_size]
    hdr = _harness._PCAP_MAGIC[bytes(data[:4])]
    pos = 24
    while pos + hdr[1] <= len(data):
        caplen = struct.unpack_from(hdr[0] + "I", data, pos + 8)[0]
        nxt = pos + hdr[1] + caplen
        if nxt > max_size:
            break
        pos = nxt
    return data[:pos]


def pcap(frames, linktype, e="<", nsec=False, modified=False):
    magic = 0xA1B2CD34 if modified else (0xA1B23C4D if nsec else 0xA1B2C3D4)
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for ts, _lt, fr in frames:
        sec, ns = divmod(ts, 1_000_000_000)
        out.append(struct.pack(e + "IIII", sec, ns if nsec else ns // 1000, len(fr), len(fr)))
        if modified:
            out.append(struct.pack(e + "IHBB", 1, 0x0800, 0, 0))
        out.append(fr)
    return b"".join(out)


def pcapng(frames, linktype, e="<", tsresol=None, tsoffset=None, kind="epb"):
    def block(btype, body):
        body += b"\0" * ((-len(body)) % 4)
        return struct.pack(e + "II", btype, 12 + len(body)) + body + struct.pack(e + "I", 12 + len(body))
    out = [block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    opts = b""
    if tsresol is not None:
        opts += struct.pack(e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
    if tsoffset is not None:
        opts += struct.pack(e + "HHq", 14, 8, tsoffset)
    if opts:
        opts += struct.pack(e + "HH", 0, 0)
    out.append(block(1, struct.pack(e + "HHI", linktype, 0, 0) + opts))
    r = 6 if tsresol is None else tsresol
    per_sec = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
    for ts, _lt, fr in frames:
        t = ts * per_sec // 1_000_000_000 - (tsoffset or 0) * per_sec
        t &= (1 << 64) - 1
        if kind == "spb":
            out.append(block(3, struct.pack(e + "I", len(fr)) + fr))
        elif kind == "opb":
            out.append(block(2, struct.pack(e + "HHIIII", 0, 0, t >> 32, t & 0xFFFFFFFF, len(fr), len(fr)) + fr))
        else:
            out.append(block(6, struct.pack(e + "IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(fr), len(fr)) + fr))
    return b"".join(out)


def relink(frames, linktype):
    """Ethernet frames carrying IPv4/IPv6 (no VLAN) re-framed for another link type."""
    out = []
    for ts, _lt, fr in frames:
        if len(fr) < 14 or fr[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        etype, l3 = fr[12:14], fr[14:]
        v6 = etype == b"\x86\xdd"
        if linktype == 113:
            fr2 = struct.pack(">HHH", 0, 1, 6) + fr[6:12] + b"\0\0" + etype + l3
        elif linktype == 276:
            fr2 = etype + b"\0\0" + struct.pack(">IHBB", 1, 1, 0, 6) + fr[6:12] + b"\0\0" + l3
        elif linktype == 101:
            fr2 = l3
        elif linktype == 0:
            fr2 = struct.pack("<I", 30 if v6 else 2) + l3
        elif linktype == 108:
            fr2 = struct.pack(">I", 24 if v6 else 2) + l3
        else:
            raise ValueError(linktype)
        out.append((ts, linktype, fr2))
    return out


def variants(data):
    """The same packets in the other formats and link types the reader handles."""
    frames = _harness.pcap_frames(data, limit=24)
    if not frames:
        return
    lt = frames[0][1]
    yield "nsec", pcap(frames, lt, nsec=True)
    yield "be", pcap(frames, lt, e=">")
    yield "modified", pcap(frames, lt, modified=True)
    yield "gzip", gzip.compress(pcap(frames, lt), mtime=0)
    yield "ng", pcapng(frames, lt)
    yield "ng-be-ns", pcapng(frames, lt, e=">", tsresol=9)
    yield "ng-bin", pcapng(frames, lt, tsresol=0x80 | 20, tsoffset=1)
    yield "ng-spb", pcapng(frames, lt, kind="spb")
    yield "ng-opb", pcapng(frames, lt, e=">", kind="opb")
    if lt == 1:
        for new in (113, 276, 101, 0, 108):
            fr = relink(frames, new)
            if fr:
                yield f"lt{new}", pcap(fr, new)


def probe_seed(flow):
    """One flow in fuzz_probes.py's format: a flag byte (bit 0: UDP), then chunks of a
    big-endian u16 header (bit 15: server to client, low 15 bits: length) and data."""
    out = [bytes([1 if flow.transport == "udp" else 0])]
    if flow.transport == "udp":
        chunks = [(0, d) for d in flow.datagrams_c2s] + [(1, d) for d in flow.datagrams_s2c]
    else:
        streams = [flow.payload_c2s, flow.payload_s2c]
        pos, chunks = [0, 0], []
        for d, size in zip(flow.pkt_dirs, flow.pkt_sizes):
            chunk = streams[d][pos[d]:pos[d] + size]
            pos[d] += len(chunk)
            chunks.append((d, chunk))
        for d in (0, 1):                    # what the packet list did not reach
            if pos[d] < len(streams[d]):
                chunks.append((d, streams[d][pos[d]:]))
    for d, chunk in chunks:
        chunk = chunk[:0x7FFF]
        out.append(struct.pack(">H", (d << 15) | len(chunk)) + chunk)
    return b"".join(out)[:4096]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--pcaps", default=os.path.join(_harness.ROOT, "pcaps", "corpus"))
    ap.add_argument("--extra", action="append", default=[],
                    help="another directory of captures (seeds only; never copied into the repo)")
    ap.add_argument("--max-size", type=int, default=16384, help="bytes kept of each capture")
    ap.add_argument("--per-protocol", type=int, default=0,
                    help="captures kept per protocol prefix of the file name (0: all)")
    ap.add_argument("--variants", type=int, default=1,
                    help="captures per protocol rewritten into the other formats")
    args = ap.parse_args(argv)

    from classifier.errors import CaptureError
    from classifier.flows import FlowReader

    dirs = {k: os.path.join(args.out, k) for k in ("reader", "pipeline", "probes")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    paths = []
    for src in [args.pcaps] + args.extra:
        paths += sorted(os.path.join(src, f) for f in os.listdir(src)
                        if f.endswith((".pcap", ".pcapng", ".cap", ".pcap.gz")))
    per_proto, kept, scratch = {}, {}, _harness.Scratch("seeds")
    counts = dict.fromkeys(dirs, 0)
    for path in paths:
        proto = os.path.basename(path).rsplit("-", 1)[0]
        kept[proto] = kept.get(proto, 0) + 1
        if args.per_protocol and kept[proto] > args.per_protocol:
            continue
        with open(path, "rb") as fh:
            data = cut_pcap(fh.read(args.max_size * 16), args.max_size)
        write(dirs["reader"], data)
        write(dirs["pipeline"], data)
        counts["reader"] += 1
        counts["pipeline"] += 1
        if per_proto.get(proto, 0) < args.variants:
            per_proto[proto] = per_proto.get(proto, 0) + 1
            for tag, v in variants(data):
                write(dirs["reader"], v, tag)
                counts["reader"] += 1
        try:
            flows = list(FlowReader(scratch.write(data)))
        except CaptureError:
            continue
        for flow in flows:
            if flow.transport in ("tcp", "udp") and (flow.payload_c2s or flow.payload_s2c):
                write(dirs["probes"], probe_seed(flow))
                counts["probes"] += 1
    for k, d in dirs.items():
        print(f"{d}: {len(os.listdir(d))} files ({counts[k]} written, duplicates merged)")


if __name__ == "__main__":
    main()
