#!/usr/bin/env python3
"""Fuzz every payload detector: raw bytes -> a FlowView -> each probe and the engine.

Input format (make_seeds.py writes the flows of pcaps/ in it): byte 0 is a flag byte
(bit 0 set: UDP, else TCP); then chunks, each a big-endian u16 header (bit 15: server
to client; low 15 bits: length) followed by that many bytes (fewer at the end of the
input). A TCP chunk is one packet's payload: the chunks of a direction joined are its
stream, and the first 32 chunks give pkt_dirs/pkt_sizes. A UDP chunk is one datagram
(empty ones included), at most 8 per direction, as the fast path keeps them.

For each input:
  * every spec of classifier.detectors.detector_list.SPECS for that transport is probed
    directly, `spec.probe(view, state)`, first with a prefix of the flow (half of each
    direction's chunks) and then with the whole flow and the same `state` dict, as
    incremental classification (FlowSession) calls it; the answer must be a ProbeResult whose
    outcome is NO_MATCH, NEED_MORE or MATCH, and a MATCH must name a protocol and carry
    a confidence in (0, spec.max_confidence] (the engine's early stop relies on it);
  * the engine classifies the view (`Engine().classify(view)`, under
    PORTLENS_STRICT_PROBES=1 so a probe's exception propagates instead of being
    counted), then the prefix and the whole flow through one FlowSession.

Any exception is a bug (a detector must answer NO_MATCH on bytes it cannot parse).

    python fuzz/fuzz_probes.py fuzz/corpus/probes -max_len=4096        # see fuzz/README.md
"""
import math
import sys

import _harness

with _harness.instrumented():
    _harness.import_all()
    from classifier.detectors.base import Outcome, ProbeResult
    from classifier.detectors.engine import Engine, FlowSession
    from classifier.detectors.flowview import FlowView
    from classifier.detectors.detector_list import SPECS

PACKETS_KEPT = 32           # classifier.flows.PACKETS_KEPT (not imported: no fast path needed)
DATAGRAMS_KEPT = 8          # FlowConfig.udp_datagrams
PAYLOAD_KEPT = 4096         # FlowConfig.payload_bytes
ENGINE = Engine()
OUTCOMES = {int(v) for v in Outcome}


def chunks_of(data):
    out, pos = [], 1
    while pos < len(data) and len(out) < 64:
        if pos + 2 > len(data):
            out.append((0, data[pos:]))
            break
        head = (data[pos] << 8) | data[pos + 1]
        pos += 2
        out.append((head >> 15, data[pos:pos + (head & 0x7FFF)]))
        pos += head & 0x7FFF
    return out


def view_of(udp, chunks):
    if udp:
        dg = ([], [])
        for d, c in chunks:
            if len(dg[d]) < DATAGRAMS_KEPT:
                dg[d].append(c)
        return FlowView.udp(dg[0], dg[1])
    streams = [b"", b""]
    for d, c in chunks:
        streams[d] += c
    kept = chunks[:PACKETS_KEPT]
    return FlowView("tcp", streams[0][:PAYLOAD_KEPT], streams[1][:PAYLOAD_KEPT], (), (),
                    [d for d, _ in kept], [len(c) for _, c in kept])


def check(spec, r):
    if not isinstance(r, ProbeResult):
        raise AssertionError(f"{spec.name}: probe returned {type(r).__name__}, not a ProbeResult")
    if int(r.outcome) not in OUTCOMES:
        raise AssertionError(f"{spec.name}: outcome {r.outcome!r}")
    if r.outcome == Outcome.MATCH:
        if not r.protocol or not isinstance(r.protocol, str):
            raise AssertionError(f"{spec.name}: MATCH without a protocol name: {r!r}")
        c = r.confidence
        if not (isinstance(c, (int, float)) and math.isfinite(c) and 0 < c <= spec.max_confidence + 1e-9):
            raise AssertionError(f"{spec.name}: MATCH confidence {c!r} outside (0, max_confidence="
                                 f"{spec.max_confidence}]")
        if r.metadata is not None and not isinstance(r.metadata, dict):
            raise AssertionError(f"{spec.name}: metadata is {type(r.metadata).__name__}")


def TestOneInput(data):
    if not data:
        return
    udp = bool(data[0] & 1)
    chunks = chunks_of(data)
    full = view_of(udp, chunks)
    half = view_of(udp, chunks[:(len(chunks) + 1) // 2])
    transport = full.transport
    for spec in SPECS:
        if spec.probe is None or transport not in spec.transports:
            continue
        state = {}
        check(spec, spec.probe(half, state))
        check(spec, spec.probe(full, state))
    ENGINE.classify(full)
    session = FlowSession()
    ENGINE.classify(half, session)
    ENGINE.classify(full, session)
    errors = ENGINE.take_errors()
    if errors:                          # only without PORTLENS_STRICT_PROBES
        raise AssertionError(f"probes raised: {errors}")


def main():
    import atheris      # here, not at the top: fuzz/replay.py imports this file without it

    _harness.announce("fuzz_probes")
    atheris.Setup(sys.argv, _harness.guard(TestOneInput))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
