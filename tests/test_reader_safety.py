"""Memory safety of the capture reader: the three defects of issue 20, each with the
input that showed it, plus the reuse rules of FlowReader.

The crash cases run in a child process, so a signal (SIGFPE, SIGSEGV) fails the test
with the signal's name instead of killing the test run."""
import itertools
import struct
import subprocess
import sys

import pytest

from clirun import portlens

from classifier.errors import CaptureError
from classifier.flows import FlowReader
from pcapgen import PcapngWriter, eth_wrap, tcp_conversation, write_pcap

FRAMES = eth_wrap(tcp_conversation(cport=40000, t0=100.0) + tcp_conversation(cport=40001, t0=200.0))


def _cli(*args, stdin=None):
    return portlens(*args, input=stdin, timeout=60)


def _error_lines(res):
    return [ln for ln in res.stderr.decode().splitlines() if ln.startswith("portlens: error:")]


def _pcapng_with_tsresol(path, tsresol):
    """Section header, an interface block whose if_tsresol is `tsresol`, one packet:
    the 108-byte reproducer of the SIGFPE."""
    with open(path, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)                                   # interface 0: fine, microseconds
        w.epb(0, 1.0, FRAMES[0][1])                      # read before the damage
        # interface 1 with the bad resolution; PcapngWriter cannot compute units for it,
        # so the packet's timestamp is written by hand.
        opts = struct.pack("<HH", 9, 1) + bytes([tsresol]) + b"\0\0\0" + struct.pack("<HH", 0, 0)
        w.block(1, struct.pack("<HHI", 1, 0, 0) + opts)
        buf = FRAMES[1][1]
        w.block(6, struct.pack("<IIIII", 1, 0, 1000, len(buf), len(buf)) + buf + b"\0" * ((-len(buf)) % 4))


@pytest.mark.parametrize("tsresol", [0x49, 0x50, 0x7F, 0x14, 0xC0, 0xFF])
def test_pcapng_impossible_tsresol_is_an_error_not_sigfpe(tmp_path, tsresol):
    """A decimal if_tsresol of 10^-73 and finer made 10^(e-9) wrap to 0 in 64 bits and
    the timestamp division raise SIGFPE; 10^-20 and 2^-64 and finer are refused too
    (no 64-bit count of such units reaches a second)."""
    p = tmp_path / "tsresol.pcapng"
    _pcapng_with_tsresol(p, tsresol)
    res = _cli("flows", str(p), "-f", "jsonl")
    assert res.returncode == 3, (res.returncode, res.stderr.decode())
    lines = _error_lines(res)
    assert len(lines) == 1 and str(p) in lines[0] and "if_tsresol" in lines[0], res.stderr.decode()
    assert b"Traceback" not in res.stderr
    # the packet read before the bad interface block is still reported
    assert len(res.stdout.splitlines()) == 1


@pytest.mark.parametrize("tsresol,per_sec", [(19, 10 ** 19), (0x80 | 63, 2 ** 63), (9, 10 ** 9), (0x80 | 10, 1024)])
def test_pcapng_finest_accepted_tsresol_still_reads(tmp_path, tsresol, per_sec):
    p = tmp_path / "fine.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1, tsresol=tsresol)
        for ts, buf in FRAMES:
            w.epb(0, ts / 1e6, buf)     # small enough for 10^19 units in 64 bits
    r = FlowReader(str(p))
    flows = list(r)
    assert r.error is None and len(flows) == 2
    assert flows[0].ts_start == pytest.approx(FRAMES[0][0] / 1e6, abs=max(1e-6, 1 / per_sec))


@pytest.mark.parametrize("total", [12])
def test_pcapng_spb_shorter_than_its_header_is_an_error(tmp_path, total):
    """An SPB of total length 12 has no room for its 4-byte original length: it was read
    as a 12-byte packet from past the block (heap overflow under ASan at a buffer end)."""
    p = tmp_path / "spb.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        w.epb(0, 1.0, FRAMES[0][1])
        fh.write(struct.pack("<II", 3, total) + struct.pack("<I", total))
    for map_file in (True, False):
        r = FlowReader(str(p), map_file=map_file)
        flows = list(r)
        assert r.error is not None and "simple packet block too short" in r.error, r.error
        assert r.stats["packets"] == 1 and len(flows) == 1


def test_pcapng_spb_at_the_read_buffer_end(tmp_path):
    """The ASan case: the short SPB is the last block, ending exactly at the end of the
    file (so of the pread buffer); nothing past it may be read as a packet."""
    p = tmp_path / "spb-end.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        fh.write(struct.pack("<III", 3, 12, 12))
    res = _cli("flows", str(p), "-f", "jsonl")
    assert res.returncode == 3 and res.stdout == b""
    assert "simple packet block too short" in _error_lines(res)[0]


def test_pcapng_spb_of_16_bytes_is_an_empty_packet(tmp_path):
    """The shortest valid SPB (original length only, no data) is read without error."""
    p = tmp_path / "spb16.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        w.spb(b"")
        w.spb(FRAMES[0][1])
    r = FlowReader(str(p))
    list(r)
    assert r.error is None and r.stats["records"] == 2


@pytest.fixture
def many_flows(tmp_path):
    frames = []
    for i in range(61):
        frames += tcp_conversation(cport=20000 + i, t0=100.0 + i)
    p = tmp_path / "many.pcap"
    write_pcap(p, eth_wrap(frames))
    return p


def _keys(flows):
    return sorted((f.client_port, f.server_port, f.ts_start) for f in flows)


@pytest.mark.parametrize("map_file", [True, False])
def test_reader_pass_abandoned_early_then_a_full_pass(many_flows, map_file):
    """islice(reader, 3), then iterating on: 34 of 61 flows before, from memory the
    reader no longer owned. Each pass now starts from the start of the capture."""
    r = FlowReader(str(many_flows), map_file=map_file)
    first = list(itertools.islice(r, 3))
    assert len(first) == 3
    rest = list(r)
    assert len(rest) == 61 and r.error is None
    assert len({(f.client_port, f.server_port) for f in rest}) == 61


@pytest.mark.parametrize("map_file", [True, False])
def test_reader_second_pass_gives_the_same_flows(many_flows, map_file):
    r = FlowReader(str(many_flows), map_file=map_file)
    a = _keys(r)
    stats_a = dict(r.stats)
    b = _keys(r)
    assert a == b and len(a) == 61 and r.error is None
    assert r.stats == stats_a
    # batches() twice, as the reproducer did
    n1 = sum(len(x) for x in r.batches())
    n2 = sum(len(x) for x in r.batches())
    assert n1 == n2 == 61 and r.error is None


def test_reader_interleaved_passes_do_not_share_state(many_flows):
    """Two passes alive at once each read the whole capture."""
    r = FlowReader(str(many_flows), batch_size=4)
    g1, g2 = r.batches(), r.batches()
    n1 = n2 = 0
    for b1, b2 in itertools.zip_longest(g1, g2):
        n1 += len(b1) if b1 is not None else 0
        n2 += len(b2) if b2 is not None else 0
    assert n1 == n2 == 61


def test_reader_of_stdin_refuses_a_second_pass(many_flows):
    code = ("import sys; from classifier.flows import FlowReader; from classifier.errors import CaptureError\n"
            "r = FlowReader('-'); print(len(list(r)))\n"
            "try:\n    list(r)\nexcept CaptureError as e:\n    print('refused:', e)\n")
    res = subprocess.run([sys.executable, "-c", code], input=many_flows.read_bytes(), capture_output=True,
                         timeout=60)
    out = res.stdout.decode().splitlines()
    assert res.returncode == 0, res.stderr.decode()
    assert out[0] == "61" and out[1].startswith("refused: -: a stream") and "only once" in out[1]


def test_closed_capture_is_refused_by_the_engine(many_flows):
    """The low-level guard under the reader: a closed Capture holds no data and the
    engine refuses it, instead of walking memory past its old buffer."""
    from classifier import _fastpath as fp
    from classifier.flows import FlowConfig
    cap = fp.Capture(str(many_flows))
    cap.close()
    with pytest.raises(ValueError, match="closed"):
        FlowConfig().engine().process(cap)


def test_reader_of_a_file_removed_between_passes(many_flows):
    r = FlowReader(str(many_flows))
    assert len(list(r)) == 61
    many_flows.unlink()
    with pytest.raises(CaptureError, match="no such file"):
        list(r)


def _v6_chain(n, final_nh):
    """n destination-options headers (8 bytes each: next header, length 0, PadN)."""
    out = b""
    for i in range(n):
        out += bytes([60 if i < n - 1 else final_nh, 0, 1, 4, 0, 0, 0, 0])
    return out


@pytest.mark.parametrize("n", [1, 16, 17, 40, 1000])
def test_tcp_behind_many_ipv6_extension_headers_is_seen(tmp_path, n):
    """More than 16 extension headers used to hand the 17th header's type to the L4
    decoder: an "ip-60" flow, and the TCP behind it never seen (an evasion)."""
    from pcapgen import ether, ipv6, tcp
    ext = _v6_chain(n, 6)
    frames = [(1.0 + i, ether(ipv6("2001:db8::1", "2001:db8::2", tcp(40000, 8080, flags=fl, seq=seq, data=d),
                                   nxt=60, ext=ext), etype=0x86DD))
              for i, (fl, seq, d) in enumerate([("S", 0, b""), ("PA", 1, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")])]
    p = tmp_path / "v6ext.pcap"
    write_pcap(p, frames)
    r = FlowReader(str(p))
    flows = list(r)
    assert [(f.transport, f.client_port, f.server_port) for f in flows] == [("tcp", 40000, 8080)]
    assert flows[0].payload_c2s.startswith(b"GET / HTTP/1.1")


@pytest.mark.parametrize("offset", [2 ** 62, -(2 ** 62), 9_000_000_001])
def test_pcapng_impossible_tsoffset_is_an_error(tmp_path, offset):
    """An if_tsoffset of more than ~292 years overflowed the int64 multiplication into
    nanoseconds (undefined behaviour, found by the fuzzer's UBSan build)."""
    p = tmp_path / "tsoffset.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        w.epb(0, 1.0, FRAMES[0][1])
        w.interface(1, tsoffset=offset)
        w.epb(1, 1.0, FRAMES[1][1])
    r = FlowReader(str(p))
    flows = list(r)
    assert r.error is not None and "if_tsoffset" in r.error, r.error
    assert len(flows) == 1


def test_pcapng_large_but_possible_tsoffset_is_read(tmp_path):
    p = tmp_path / "tsoffset-ok.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1, tsoffset=1_000_000_000)
        for ts, buf in FRAMES:
            w.epb(0, ts, buf)
    r = FlowReader(str(p))
    flows = list(r)
    assert r.error is None and len(flows) == 2
    assert flows[0].ts_start == pytest.approx(FRAMES[0][0] + 1_000_000_000, abs=1e-3)
