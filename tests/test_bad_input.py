"""Bad input: a clear one-line error naming the file, a non-zero exit code where the
file is unusable or damaged, the flows read before the damage, and never a crash or a
hang (the fuzz cases run in a child process so a segfault would fail, not kill, the run)."""
import os
import random
import struct
import subprocess
import sys

import pytest

from clirun import portlens as run_portlens

from classifier.errors import CaptureError
from classifier.flows import FlowReader
from pcapgen import PcapngWriter, eth_wrap, ether, ipv4, tcp_conversation, udp, write_pcap

FRAMES = eth_wrap(tcp_conversation(cport=40000, t0=100.0) + tcp_conversation(cport=40001, t0=200.0))


def portlens(*args, stdin=None):
    return run_portlens(*args, input=stdin, timeout=60)


def good_pcap(tmp_path, name="good.pcap"):
    p = tmp_path / name
    write_pcap(p, FRAMES)
    return p


def assert_one_line_error(res, path, words):
    err = res.stderr.decode()
    lines = [ln for ln in err.splitlines() if ln.startswith("portlens: error:")]
    assert len(lines) == 1, err
    assert str(path) in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in err


def _file(d, name, content):
    (d / name).write_bytes(content)
    return d / name


@pytest.mark.parametrize("make,words", [
    (lambda d: d / "missing.pcap", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: _file(d, "empty.pcap", b""), "empty file"),
    (lambda d: _file(d, "text.pcap", b"hello, not a capture\n"), "not a pcap or pcapng"),
    (lambda d: _file(d, "short.pcap", b"\xd4\xc3\xb2\xa1\x02\x00"), "truncated pcap file header"),
    (lambda d: _file(d, "ng.pcapng", b"\x0a\x0d\x0d\x0a\x1c\0\0\0\x01\x02\x03\x04" + b"\0" * 16),
     "bad byte-order magic"),
])
def test_unusable_files(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(CaptureError) as ei:
        FlowReader(str(path))
    assert words in str(ei.value)
    res = portlens("flows", str(path), "-f", "jsonl")
    assert res.returncode == 3
    assert res.stdout == b""
    # The command line reads a directory's captures (none here): it says so instead.
    assert_one_line_error(res, path, "a directory with no capture" if os.path.isdir(path) else words)


def _damaged_run(tmp_path, data, words, flows_before):
    p = tmp_path / "damaged.pcap"
    p.write_bytes(data)
    r = FlowReader(str(p))
    flows = list(r)
    assert r.error and words in r.error
    assert len(flows) == flows_before
    res = portlens("flows", str(p), "-f", "jsonl")
    assert res.returncode == 3
    assert len(res.stdout.decode().splitlines()) == flows_before
    assert_one_line_error(res, p, words)


def test_truncated_last_record(tmp_path):
    data = good_pcap(tmp_path).read_bytes()
    _damaged_run(tmp_path, data[:-10], "truncated last record", 2)


def test_caplen_beyond_snaplen_and_file(tmp_path):
    data = bytearray(good_pcap(tmp_path).read_bytes())
    # Find the 10th record and give it an absurd caplen.
    off = 24
    for _ in range(9):
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
    struct.pack_into("<I", data, off + 8, 0x7FFFFFF0)
    _damaged_run(tmp_path, bytes(data), "caplen exceeds the snaplen", 2)


def test_caplen_over_snaplen_but_plausible_is_counted_and_kept(tmp_path):
    p = tmp_path / "snap.pcap"
    write_pcap(p, FRAMES, snaplen=64)            # frames are longer than the declared snaplen
    r = FlowReader(str(p))
    assert len(list(r)) == 2 and r.error is None
    assert r.stats["caplen_over_snaplen"] > 0


def _pcapng(tmp_path, tail=b""):
    p = tmp_path / "x.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        for ts, buf in FRAMES:
            w.epb(0, ts, buf)
        fh.write(tail)
    return p.read_bytes()


def test_pcapng_bad_block_length(tmp_path):
    data = _pcapng(tmp_path, struct.pack("<II", 6, 13) + b"\0" * 20)
    _damaged_run(tmp_path, data, "bad total length", 2)


def test_pcapng_trailing_length_mismatch(tmp_path):
    data = _pcapng(tmp_path, struct.pack("<II", 6, 32) + b"\0" * 20 + struct.pack("<I", 36))
    _damaged_run(tmp_path, data, "trailing length", 2)


def test_pcapng_truncated_block(tmp_path):
    data = _pcapng(tmp_path)
    _damaged_run(tmp_path, data[:-7], "truncated pcapng block", 2)


def test_pcapng_packet_of_undeclared_interface_is_counted(tmp_path):
    p = tmp_path / "noif.pcapng"
    with open(p, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        w.epb(0, 1.0, FRAMES[0][1])
        w.ifaces.append(None)                     # pretend there is an interface 1
        w.epb(1, 1.0, FRAMES[1][1])
    r = FlowReader(str(p))
    assert len(list(r)) == 1 and r.stats["damaged_records"] == 1 and r.error is None


def test_one_bad_file_among_good_ones(tmp_path):
    good = good_pcap(tmp_path)
    res = portlens("flows", str(tmp_path / "nope.pcap"), str(good), "-f", "jsonl")
    assert res.returncode == 3
    assert len(res.stdout.decode().splitlines()) == 2       # the good file is still reported


def test_damaged_gzip_stream(tmp_path):
    import gzip
    raw = good_pcap(tmp_path).read_bytes()
    gz = gzip.compress(raw)
    p = tmp_path / "cut.pcap.gz"
    p.write_bytes(gz[: len(gz) - 30])
    r = FlowReader(str(p))
    list(r)
    assert r.error


FUZZ_CHILD = r"""
import random, sys
from classifier.flows import FlowReader
from classifier.errors import CaptureError
seed, src, dst, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
data = bytearray(open(src, "rb").read())
rnd = random.Random(seed)
for i in range(200):
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 12)):
        op = rnd.random()
        pos = rnd.randrange(len(buf))
        if op < 0.6:
            buf[pos] = rnd.randrange(256)
        elif op < 0.8:
            buf[pos:pos + 4] = rnd.choice([b"\xff\xff\xff\xff", b"\0\0\0\0", b"\x7f\xff\xff\xff", b"\x0c\0\0\0"])
        else:
            del buf[pos:pos + rnd.randint(1, 64)]
    open(dst, "wb").write(buf)
    try:
        r = FlowReader(dst, None)
        for f in r:
            f.payload_c2s; f.datagrams_s2c; f.client
    except CaptureError:
        pass
print("ok")
"""


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_fuzz_reader_never_crashes_or_hangs(tmp_path, kind):
    # Mutations of a capture rich in features (fragments, tunnels, VLANs, IPv6).
    from test_decode import _frag4
    from pcapgen import ether, ipv6
    extra = [ether(f) for f in _frag4(3, bytes(udp(1, 2, b"q" * 300)), 17, [(0, 160, True), (160, 148, False)])]
    extra.append(ether(ipv4("1.1.1.1", "2.2.2.2", b"\0\0\x08\0" + ipv4("3.3.3.3", "4.4.4.4", udp(5, 6, b"gre")), proto=47)))
    extra.append(ether(ipv6("2001:db8::1", "2001:db8::2", udp(7, 8, b"six")), 0x86DD, vlans=[(0x8100, 5)]))
    frames = FRAMES + [(300.0 + i, fr) for i, fr in enumerate(extra)]
    src = tmp_path / f"seed.{kind}"
    if kind == "pcap":
        write_pcap(src, frames)
    else:
        with open(src, "wb") as fh:
            w = PcapngWriter(fh)
            w.interface(1, tsresol=9)
            for ts, buf in frames:
                w.epb(0, ts, buf)
    child = tmp_path / "child.py"
    child.write_text(FUZZ_CHILD)
    for seed in range(3):
        res = subprocess.run([sys.executable, str(child), str(seed), str(src), str(tmp_path / "m"), kind],
                             capture_output=True, timeout=120)
        assert res.returncode == 0 and res.stdout.strip() == b"ok", res.stderr.decode()[-2000:]


SHRINK_CHILD = """
import os, sys
from classifier.flows import FlowReader, FlowConfig
path, cut, map_file = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
r = FlowReader(path, FlowConfig(idle_udp=0.001), map_file=map_file)
assert r._cap.mapped == map_file
n = 0
at_cut = None
for b in r.batches():
    n += len(b)
    if n and os.path.getsize(path) > cut:
        at_cut = r._engine.stats()["packets"]
        os.truncate(path, cut)
print(n, at_cut, r.stats["packets"], r.error)
"""


def _big_udp_capture(path):
    # ~40 MB: more than two 16 MiB map windows. Flows of 2 packets, ports cycling.
    pkts = [(1.0 + i * 0.001, ipv4("10.0.0.1", "10.0.0.2", udp(1024 + i // 2 % 60000, 53, b"x" * 1400)))
            for i in range(28000)]
    write_pcap(path, eth_wrap(pkts))
    assert os.path.getsize(path) > 33 * 2**20


@pytest.mark.parametrize("map_file", [True, False], ids=["mmap", "pread"])
@pytest.mark.parametrize("cut", [2**20, 20 * 2**20], ids=["inside-the-window", "at-a-later-window"])
def test_file_cut_shorter_while_being_read_is_an_error_not_a_crash(tmp_path, map_file, cut):
    """A capture truncated by another process mid-read. Mapped: pages of the current
    window past the new end are gone and loading them faults (SIGBUS); the guard
    (mapguard.pxi) turns that into a one-line error, and a later window is clamped to
    the size taken again before it is mapped. pread: a short read. Either way the flows
    read before the cut are kept, and no record reaching past the cut is used."""
    path = tmp_path / "shrinks.pcap"
    _big_udp_capture(path)
    res = subprocess.run([sys.executable, "-c", SHRINK_CHILD, str(path), str(cut), "1" if map_file else "0"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr          # no SIGBUS
    n, at_cut, packets, err = res.stdout.split(" ", 3)
    n, at_cut, packets = int(n), int(at_cut), int(packets)
    assert n > 0 and "shrank while it was being read" in err, res.stdout
    # Records are 1458 bytes after a 24-byte file header. Those read before the cut
    # stay counted; after it, exactly the records still whole in the file are read
    # (with pread, also those already in the 1 MiB read buffer when the cut came).
    whole = max(at_cut, (cut - 24) // 1458)
    if map_file:
        assert packets == whole, res.stdout
    else:
        assert whole <= packets <= whole + (2 << 20) // 1458, res.stdout


@pytest.mark.parametrize("cut", [2**20, 20 * 2**20], ids=["inside-the-window", "at-a-later-window"])
def test_pcapng_cut_shorter_while_mapped_is_an_error_not_a_crash(tmp_path, cut):
    """The same for pcapng: a block is used only when its last byte (its trailing
    length) could still be read."""
    path = tmp_path / "shrinks.pcapng"
    with open(path, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1)
        for i in range(28000):      # EPBs of 1476 bytes
            w.epb(0, 1.0 + i * 0.001, ether(ipv4("10.0.0.1", "10.0.0.2", udp(1024 + i // 2 % 60000, 53, b"x" * 1400)), 0x0800))
    res = subprocess.run([sys.executable, "-c", SHRINK_CHILD, str(path), str(cut), "1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    n, at_cut, packets, err = res.stdout.split(" ", 3)
    n, at_cut, packets = int(n), int(at_cut), int(packets)
    assert n > 0 and "shrank while it was being read" in err, res.stdout
    assert packets == max(at_cut, (cut - 48) // 1476), res.stdout


def test_a_sigbus_handler_installed_after_ours_does_not_take_our_faults(tmp_path):
    """faulthandler enabled after the capture was opened: the guard puts itself first
    again before the next window is mapped, so a cut there is still a clean error."""
    path = tmp_path / "shrinks.pcap"
    _big_udp_capture(path)
    code = (
        "import faulthandler, os, sys\n"
        "from classifier.flows import FlowReader, FlowConfig\n"
        "r = FlowReader(sys.argv[1], FlowConfig(idle_udp=0.001))\n"
        "faulthandler.enable()\n"
        "n = 0\n"
        "for b in r.batches():\n"
        "    n += len(b)\n"
        "    if n > 6000 and os.path.getsize(sys.argv[1]) > 2**20:\n"
        "        os.truncate(sys.argv[1], 2**20)\n"
        "print(n, r.error)\n")
    res = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-800:]
    assert "shrank while it was being read" in res.stdout and "Fatal" not in res.stderr


def test_a_fault_outside_our_windows_still_kills_as_it_would_have(tmp_path):
    """The SIGBUS guard is installed by the first mapped capture, but a bus error in
    memory that is not one of our windows (here, a mapping of the child's own whose
    file was cut) is passed on: the process dies of SIGBUS as it would without us."""
    cap = good_pcap(tmp_path)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"v" * 65536)
    code = (
        "import mmap, os, sys\n"
        "from classifier.flows import FlowReader\n"
        "r = FlowReader(sys.argv[1])\n"
        "assert r._cap.mapped\n"
        "sum(len(b) for b in r.batches())\n"
        "f = open(sys.argv[2], 'rb')\n"
        "m = mmap.mmap(f.fileno(), 65536, prot=mmap.PROT_READ)\n"
        "os.truncate(sys.argv[2], 0)\n"
        "print('read', m[40000], flush=True)\n")
    res = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code, str(cap), str(victim)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == -7, (res.returncode, res.stdout, res.stderr[-800:])   # SIGBUS
    assert "read" not in res.stdout


def test_mapped_and_read_files_give_the_same_flows(tmp_path):
    """mmap windows and the pread fallback yield the same records, payload, counts and
    errors: on every capture under pcaps/ and ../shared/ndpi-dev (when present), and on
    a pcap and a pcapng of ~40 MB whose records straddle the 16 MiB window boundaries."""
    import numpy as np
    from refdata import CORPUS_DIR, NDPI_PCAPS, capture_files
    big = tmp_path / "big.pcap"
    _big_udp_capture(big)
    bigng = tmp_path / "big.pcapng"
    with open(bigng, "wb") as fh:
        w = PcapngWriter(fh)
        w.interface(1, tsresol=6)
        for i in range(26000):
            frame = ether(ipv4("10.0.0.1", "10.0.0.2", udp(1024 + i // 2 % 60000, 53, b"y" * (1300 + i % 97))), 0x0800)
            w.epb(0, 1.0 + i * 0.001, frame)
    assert os.path.getsize(bigng) > 33 * 2**20
    corpus = capture_files(CORPUS_DIR) + (capture_files(NDPI_PCAPS) if os.path.isdir(NDPI_PCAPS) else [])
    assert corpus
    for path in corpus + [str(big), str(bigng)]:
        out = []
        for map_file in (True, False):
            r = FlowReader(str(path), map_file=map_file)
            batches = list(r.batches())
            recs = np.concatenate([b.records for b in batches]) if batches else None
            pay = b"".join(bytes(b.payload) for b in batches)
            out.append((recs, pay, r.stats, r.error))
        (ra, pa, sa, ea), (rb, pb, sb, eb) = out
        assert (ra is None and rb is None) or np.array_equal(ra, rb), path
        assert pa == pb and sa == sb and ea == eb, path


def test_more_open_captures_than_guard_slots_fall_back_to_pread(tmp_path):
    """The guard has 256 window slots; a capture opened when all are taken is read with
    pread() and gives the same flows; a slot is free again once its capture is gone."""
    from classifier import _fastpath as fp
    path = good_pcap(tmp_path)
    caps = [fp.Capture(str(path)) for _ in range(300)]
    assert sum(c.mapped for c in caps) == 256
    counts = []
    for c in (caps[0], caps[-1]):
        eng = fp.FlowTable()
        assert eng.process(c) == 1 and c.error is None
        eng.flush()
        counts.append((eng.stats()["packets"], eng.stats()["flows"]))
    assert counts[0] == counts[1] and counts[0][0] == len(FRAMES)
    del caps, c
    assert fp.Capture(str(path)).mapped
