"""FlowReader reports how far it has read: `position` (bytes consumed) and a callback
every PROGRESS_PACKETS packets, so a progress line can move even while no flow ends."""
import gzip
import os

from classifier.flows import FlowReader
from pcapgen import eth_wrap, ipv4, udp, write_pcap


def _capture(path, n=5000):
    # One long UDP flow: no flow ends before the end of input, so no batch comes early.
    write_pcap(path, eth_wrap([(1.0 + i / 1000, ipv4("10.0.0.1", "10.0.0.2", udp(1000, 53, b"x" * 20)))
                               for i in range(n)]))


def test_position_reaches_the_file_size_and_callbacks_come_in_order(tmp_path):
    cap = tmp_path / "one-flow.pcap"
    _capture(cap)
    seen = []
    reader = FlowReader(str(cap), on_progress=lambda r: seen.append(r.position))
    reader.PROGRESS_PACKETS = 1000
    flows = [f for b in reader.batches() for f in b]
    assert len(flows) == 1 and flows[0].packets_c2s == 5000
    assert len(seen) >= 5                                    # called through the flow-less stretch
    assert seen == sorted(seen) and 0 < seen[0] < os.path.getsize(cap)
    assert reader.position == os.path.getsize(cap)


def test_no_callback_no_early_returns(tmp_path):
    cap = tmp_path / "one-flow.pcap"
    _capture(cap, 100)
    reader = FlowReader(str(cap))
    assert sum(len(b) for b in reader.batches()) == 1
    assert reader.position == os.path.getsize(cap)


def test_position_of_gzip_input_counts_decompressed_bytes(tmp_path):
    raw = tmp_path / "one-flow.pcap"
    _capture(raw, 300)
    gz = tmp_path / "one-flow.pcap.gz"
    gz.write_bytes(gzip.compress(raw.read_bytes()))
    reader = FlowReader(str(gz))
    assert sum(len(b) for b in reader.batches()) == 1
    assert reader.compressed and reader.position == os.path.getsize(raw)
