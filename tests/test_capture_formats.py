"""Capture file formats: every pcap and pcapng variant the reader promises, read to
the same flows and timestamps."""
import gzip
import subprocess
import sys

import pytest

from classifier.flows import FlowReader
from pcapgen import PcapngWriter, eth_wrap, ipv4, tcp_conversation, udp, write_pcap

CONV = tcp_conversation(t0=1_600_000_000.25)
FRAMES = eth_wrap(CONV)


def _check(path, ts0=1_600_000_000.25):
    flows = list(FlowReader(str(path)))
    assert len(flows) == 1
    f = flows[0]
    assert (f.transport, f.client, f.client_port, f.server, f.server_port) == \
        ("tcp", "10.0.0.1", 40000, "10.0.0.2", 8080)
    assert (f.packets_c2s, f.packets_s2c) == (5, 3)
    assert f.ts_start == pytest.approx(ts0, abs=1e-6)
    assert f.payload_c2s == b"GET / HTTP/1.1\r\n\r\n"
    assert f.payload_s2c == b"HTTP/1.1 200 OK\r\n\r\n"
    return f


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nsec", [False, True])
def test_classic_pcap_byte_orders_and_resolutions(tmp_path, big_endian, nsec):
    p = tmp_path / "c.pcap"
    write_pcap(p, FRAMES, big_endian=big_endian, nsec=nsec)
    _check(p)


def test_nanosecond_timestamps_keep_their_precision(tmp_path):
    p = tmp_path / "ns.pcap"
    write_pcap(p, [((1_600_000_000, 123456789), FRAMES[0][1])], nsec=True)
    f = list(FlowReader(str(p)))[0]
    assert f._row["ts_start"] == 1_600_000_000_123456789


def test_modified_pcap_with_24_byte_records(tmp_path):
    p = tmp_path / "m.pcap"
    write_pcap(p, FRAMES, modified=True)
    _check(p)


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_epb_in_both_byte_orders(tmp_path, big_endian):
    p = tmp_path / "c.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh, big_endian=big_endian)
        w.interface(1)
        for ts, buf in FRAMES:
            w.epb(0, ts, buf)
    _check(p)


def test_pcapng_several_interfaces_link_types_and_resolutions(tmp_path):
    # Interface 0: Ethernet in microseconds; 1: raw IPv4 in nanoseconds; 2: Linux
    # cooked in 2^-20 s with a 100 s offset. Each flow must come out with its own time.
    p = tmp_path / "multi.pcapng"
    raw = tcp_conversation(cport=41000, t0=1_700_000_000.5)
    sll = tcp_conversation(cport=42000, t0=1_700_000_100.75)
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        w.interface(101, tsresol=9)
        w.interface(113, tsresol=0x80 | 20, tsoffset=100)
        w.block(0x0BAD, b"custom block to skip")
        for ts, buf in FRAMES:
            w.epb(0, ts, buf)
        for ts, l3 in raw:
            w.epb(1, ts, l3)
        w.block(5, b"\0" * 12)                      # interface statistics: skipped
        for ts, l3 in sll:
            hdr = b"\x00\x00\x00\x01\x00\x06" + b"\x02\0\0\0\0\x01\0\0" + b"\x08\x00"
            w.epb(2, ts - 100, hdr + l3)            # the offset adds the 100 s back
    flows = {f.client_port: f for f in FlowReader(str(p))}
    assert set(flows) == {40000, 41000, 42000}
    assert flows[40000].ts_start == pytest.approx(1_600_000_000.25, abs=1e-6)
    assert flows[41000].ts_start == pytest.approx(1_700_000_000.5, abs=1e-6)
    assert flows[42000].ts_start == pytest.approx(1_700_000_100.75, abs=1e-5)
    assert all(f.packets_c2s == 5 and f.packets_s2c == 3 for f in flows.values())


def test_pcapng_simple_and_obsolete_packet_blocks(tmp_path):
    p = tmp_path / "spb.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        for i, (ts, buf) in enumerate(FRAMES):
            if i % 2:
                w.spb(buf)                          # no timestamp, no interface id
            else:
                w.opb(0, ts, buf)
    flows = list(FlowReader(str(p)))
    assert sum(f.packets_c2s + f.packets_s2c for f in flows) == len(FRAMES)


def test_pcapng_second_section_resets_interfaces(tmp_path):
    p = tmp_path / "sections.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(101)                            # raw IP in section 1
        w.epb(0, 1.0, ipv4("10.1.0.1", "10.1.0.2", udp(1, 2, b"x")))
        w.section()
        w.interface(1)                              # Ethernet in section 2, same index
        w.epb(0, 2.0, FRAMES[0][1])
    flows = list(FlowReader(str(p)))
    assert sorted(f.client for f in flows) == ["10.0.0.1", "10.1.0.1"]


def test_gzip_compressed_capture(tmp_path):
    p = tmp_path / "c.pcap"
    write_pcap(p, FRAMES)
    gz = tmp_path / "c.pcap.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    r = FlowReader(str(gz))
    assert r.compressed
    _check(gz)


def test_stdin_stream(tmp_path):
    p = tmp_path / "c.pcap"
    write_pcap(p, FRAMES)
    out = subprocess.run([sys.executable, "-m", "classifier", "flows", "-", "-f", "jsonl", "-q"],
                         input=p.read_bytes(), capture_output=True, check=True)
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 1 and '"capture":"-"' in lines[0] and '"packets_c2s":5' in lines[0]


def test_stream_reads_records_spanning_chunks(tmp_path):
    # A gzip stream is read in 1 MiB chunks: 3000 frames of 1400 bytes cross many
    # chunk boundaries mid-record, and none may be lost.
    frames = [(1.0 + i * 0.001, eth_wrap([(0, ipv4("10.9.0.1", "10.9.0.2", udp(5000, 6000, bytes(1350))))])[0][1])
              for i in range(3000)]
    p = tmp_path / "big.pcap"
    write_pcap(p, frames)
    gz = tmp_path / "big.pcap.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    for path in (p, gz):
        r = FlowReader(str(path))
        flows = list(r)
        assert r.error is None
        assert [f.packets_c2s for f in flows] == [3000]
        assert r.stats["packets"] == 3000
