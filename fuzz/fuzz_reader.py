#!/usr/bin/env python3
"""Fuzz the capture reader and the flow table: bytes -> a capture file -> FlowReader.

For each input:
  * the bytes are written to an in-memory file and read by `FlowReader` through both
    read paths (`map_file=True`: mmap windows; `map_file=False`: pread); every flow's
    fields, payload prefixes and datagrams are touched. The two paths must give the
    same flows and the same damage report;
  * the pread reader is read twice more, once abandoned after one flow and once in
    full: a FlowReader re-reads from the start, so the full pass must equal the first;
  * the same reader runs once more with a tight flow table (8 flows, small payload
    budgets), which evicts on nearly every input;
  * the frames (a classic pcap's records, walked in Python; otherwise the whole input
    as one frame) go through `FlowConfig().engine().feed(ts, linktype, frame)` with
    the capture's link type and with every link type the fast path decodes.

Expected: `classifier.errors.CaptureError` when a file cannot be opened, or
`reader.error` for damage. Anything else that escapes (including a read-path or a
re-read mismatch, raised as AssertionError) and any sanitizer report is a crash.

    python fuzz/fuzz_reader.py fuzz/corpus/reader -max_len=65536     # see fuzz/README.md
"""
import itertools
import sys

import _harness

with _harness.instrumented():
    _harness.import_all()
    from classifier.errors import CaptureError
    from classifier.flows import FlowBatch, FlowConfig, FlowReader, RECORD_DTYPE

import numpy as np

DEFAULT = FlowConfig()
TIGHT = FlowConfig(payload_bytes=256, udp_datagrams=2, max_flows=8, max_payload_mem=4096,
                   frag_slots=2, frag_timeout=1.0, idle_tcp=5.0, idle_udp=5.0, closed=1.0,
                   active=30.0)
SCRATCH = _harness.Scratch("reader")


def flow_facts(flow):
    """Everything a consumer of a flow reads, as one comparable tuple."""
    return (flow.key(), flow.ip_version, flow.ip_proto, flow.tunnel, flow.ts_start, flow.ts_end,
            flow.packets_c2s, flow.packets_s2c, flow.bytes_c2s, flow.bytes_s2c,
            flow.tcp_flags_c2s, flow.tcp_flags_s2c, flow.end_reason, flow.oriented_by_syn,
            flow.payload_c2s, flow.payload_s2c, tuple(flow.datagrams_c2s),
            tuple(flow.datagrams_s2c), tuple(flow.pkt_sizes), tuple(flow.pkt_dirs),
            tuple(flow.pkt_iats), tuple(flow.stream_flags_c2s), tuple(flow.stream_flags_s2c))


def read_all(reader, limit=None):
    """The facts of every flow of one pass (of the first `limit`), then the damage."""
    flows = [flow_facts(f) for f in itertools.islice(reader, limit)]
    return flows, reader.error


def open_reader(path, config, map_file):
    try:
        return FlowReader(path, config, map_file=map_file)
    except CaptureError:
        return None


def feed_frames(data):
    frames = _harness.pcap_frames(data)
    if not frames:
        frames = [(1_000_000_000, 1, data)] if data else []
    for linktype in (None,) + _harness.LINKTYPES:
        engine = TIGHT.engine()
        for ts, lt, frame in frames:
            engine.feed(ts, lt if linktype is None else linktype, frame, len(frame) + 4)
        engine.tick(frames[-1][0] + 60_000_000_000 if frames else 0)
        engine.flush()
        while True:
            recs, arena, n = engine.take()
            if not n:
                break
            for flow in FlowBatch("<feed>", np.frombuffer(recs, dtype=RECORD_DTYPE), memoryview(arena)):
                flow_facts(flow)
        engine.stats()


def TestOneInput(data):
    path = SCRATCH.write(data)
    mapped = open_reader(path, DEFAULT, True)
    pread = open_reader(path, DEFAULT, False)
    if (mapped is None) != (pread is None):
        raise AssertionError(f"one read path opens the file and the other does not "
                             f"(mmap: {mapped is not None}, pread: {pread is not None})")
    if mapped is not None:
        first = read_all(mapped)
        second = read_all(pread)
        if first != second:
            raise AssertionError(f"mmap and pread read paths disagree: {len(first[0])} flows, "
                                 f"error {first[1]!r} vs {len(second[0])} flows, error {second[1]!r}")
        read_all(pread, 1)                      # a pass abandoned early ...
        again = read_all(pread)                 # ... then a full one: from the start again
        if again != second:
            raise AssertionError(f"a second pass of one FlowReader differs: {len(second[0])} flows, "
                                 f"error {second[1]!r}, then {len(again[0])} flows, error {again[1]!r}")
        if not isinstance(pread.stats.get("records"), int):     # filled in by the pass's end
            raise AssertionError(f"FlowReader.stats after a pass: {pread.stats!r}")
        tight = open_reader(path, TIGHT, True)
        if tight is not None:
            read_all(tight)
    feed_frames(data)


def main():
    import atheris      # here, not at the top: fuzz/replay.py imports this file without it

    _harness.announce("fuzz_reader")
    atheris.Setup(sys.argv, _harness.guard(TestOneInput))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
