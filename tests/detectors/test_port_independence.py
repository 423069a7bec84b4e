"""Port independence: rewrite every TCP/UDP port of the captures through one random
permutation and check that every flow keeps exactly its label.

Expectation-labelled flows (ftp-data) are the one documented exception: the control
channel announces the data port INSIDE its payload, which a header-only rewrite does not
touch, so the announcement no longer matches the rewritten header.  For those the test
checks the other half of the promise: the flow is never labelled by a port.
"""
from __future__ import annotations

import glob
import os
import random
import struct

import pytest

import dpkt_flows
from classifier.detectors.engine import classify_many

dpkt = pytest.importorskip("dpkt")
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap"), recursive=True))


def permutation(seed: int):
    perm = list(range(1, 65536))
    random.Random(seed).shuffle(perm)
    return [0] + perm


def rewrite(src: str, dst: str, fwd) -> None:
    """Rewrite ports of Ethernet/IPv4/IPv6 TCP and UDP packets (checksums left as is,
    like the shared tools/shuffle_ports.py)."""
    with open(src, "rb") as f_in, open(dst, "wb") as f_out:
        magic = f_in.read(4)
        f_in.seek(0)
        rd = dpkt.pcapng.Reader(f_in) if magic == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(f_in)
        wr = dpkt.pcap.Writer(f_out, linktype=rd.datalink())
        for ts, buf in rd:
            buf = bytearray(buf)
            off = 14 if rd.datalink() == 1 else None
            if off is not None and len(buf) > off:
                et = struct.unpack_from("!H", buf, 12)[0]
                while et in (0x8100, 0x88A8) and len(buf) > off + 4:
                    et = struct.unpack_from("!H", buf, off + 2)[0]
                    off += 4
                l4 = proto = None
                if et == 0x0800 and len(buf) > off + 20:
                    l4, proto = off + (buf[off] & 0x0F) * 4, buf[off + 9]
                elif et == 0x86DD and len(buf) > off + 40:
                    l4, proto = off + 40, buf[off + 6]
                if proto in (6, 17) and len(buf) >= l4 + 4:
                    sp, dp = struct.unpack_from("!HH", buf, l4)
                    struct.pack_into("!HH", buf, l4, fwd[sp] if sp else 0, fwd[dp] if dp else 0)
            wr.writepkt(bytes(buf), ts)


def labels_of(path):
    rows = dpkt_flows.flows_with_tuples(path)
    return [(lab.protocol, lab.source)
            for lab in classify_many([r[0] for r in rows], [r[1] for r in rows])]


@pytest.mark.skipif(not CORPUS, reason="no captures under pcaps/")
def test_port_permutation_keeps_every_label(tmp_path):
    fwd = permutation(20261121)
    checked = 0
    for cap in CORPUS:
        out = str(tmp_path / "shuffled.pcap")
        rewrite(cap, out, fwd)
        before, after = labels_of(cap), labels_of(out)
        assert len(before) == len(after), cap
        for (p0, s0), (p1, s1) in zip(before, after):
            if s0 == "expectation":
                assert p1 != "ftp-data" or s1 == "expectation"
                continue
            assert (p0, s0) == (p1, s1), cap
            checked += 1
    assert checked > 0


@pytest.mark.skipif(dpkt_flows.NDPI_DIR is None, reason="../shared/ndpi-dev not present")
def test_port_permutation_on_reference_captures(tmp_path):
    caps = sorted(glob.glob(os.path.join(dpkt_flows.NDPI_DIR, "pcaps", "*.pcap*")))
    fwd = permutation(7605)
    flows = 0
    for cap in caps:
        out = str(tmp_path / "shuffled.pcap")
        try:
            rewrite(cap, out, fwd)
        except Exception:
            continue                       # damaged capture files: the reader tests own them
        before, after = labels_of(cap), labels_of(out)
        if len(before) != len(after):
            continue                       # non-Ethernet link types were copied unchanged
        for (p0, s0), (p1, s1) in zip(before, after):
            if s0 != "expectation":
                assert p0 == p1, cap
                flows += 1
    assert flows > 1000
