"""Slow reference flow builder for tests: pcap -> FlowView per 5-tuple, using dpkt.

Groups packets by 5-tuple, takes the SYN sender (else the first sender) as client,
reassembles TCP naively by sequence number (in-order prefix, up to 4096 bytes per
direction) and keeps the first 8 datagrams per UDP direction.  Test-only: never on the
hot path.  ``SHARED`` is None when ../shared is absent (a user's clone); callers skip.
"""
from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field

from classifier.detectors.flowview import FlowView

HERE = os.path.dirname(os.path.abspath(__file__))
_shared = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))
SHARED = _shared if os.path.isdir(_shared) else None
NDPI_DIR = os.path.join(SHARED, "ndpi-dev") if SHARED else None

MAX_BYTES = 4096
MAX_DGRAMS = 8
MAX_PKTS = 32


@dataclass
class _Flow:
    transport: str
    client: tuple            # (ip, port)
    server: tuple
    syn_seen: bool = False
    isn: list = field(default_factory=lambda: [None, None])
    by_data: list = field(default_factory=lambda: [False, False])   # isn from data: no SYN
    segs: list = field(default_factory=lambda: [{}, {}])
    dgrams: list = field(default_factory=lambda: [[], []])
    pkt_dirs: list = field(default_factory=list)
    pkt_sizes: list = field(default_factory=list)
    packets: int = 0


def _ip_from_link(linktype: int, buf: bytes):
    import dpkt
    try:
        if linktype == 1:
            eth = dpkt.ethernet.Ethernet(buf)
            return eth.data
        if linktype == 113:
            return dpkt.sll.SLL(buf).data
        if linktype == 276:
            return dpkt.sll2.SLL2(buf).data
        if linktype in (0, 108):
            raw = buf[4:]
        elif linktype in (9, 50, 104):      # PPP / PPP-HDLC / Cisco HDLC: 4-byte header
            raw = buf[4:] if buf[:1] in (b"\xff", b"\x0f", b"\x8f") else buf[2:]
        elif linktype in (12, 14, 101, 228, 229):
            raw = buf
        else:
            return None
        if not raw:
            return None
        v = raw[0] >> 4
        return dpkt.ip.IP(raw) if v == 4 else dpkt.ip6.IP6(raw) if v == 6 else None
    except Exception:
        return None


def _addr(ip) -> tuple[str, str]:
    import dpkt
    fam = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
    return socket.inet_ntop(fam, ip.src), socket.inet_ntop(fam, ip.dst)


def read_packets(path: str):
    import dpkt
    with open(path, "rb") as f:
        magic = f.read(4)
        f.seek(0)
        try:
            rd = dpkt.pcapng.Reader(f) if magic == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(f)
        except Exception:
            return
        lt = rd.datalink()
        try:
            for _ts, buf in rd:
                ip = _ip_from_link(lt, buf)
                if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                    yield ip
        except Exception:
            return  # damaged tail: keep what was read


def build_flows(path: str) -> list[_Flow]:
    import dpkt
    flows: dict = {}
    order = []
    for ip in read_packets(path):
        l4 = ip.data
        if isinstance(l4, dpkt.tcp.TCP):
            t = "tcp"
        elif isinstance(l4, dpkt.udp.UDP):
            t = "udp"
        else:
            continue
        try:
            src, dst = _addr(ip)
        except Exception:
            continue
        a, b = (src, l4.sport), (dst, l4.dport)
        key = (t,) + tuple(sorted([a, b]))
        fl = flows.get(key)
        syn = t == "tcp" and (l4.flags & dpkt.tcp.TH_SYN) and not (l4.flags & dpkt.tcp.TH_ACK)
        if fl is None:
            if t == "tcp" and (l4.flags & dpkt.tcp.TH_SYN) and (l4.flags & dpkt.tcp.TH_ACK):
                fl = _Flow(t, b, a)      # SYN-ACK first: its receiver is the client
            else:
                fl = _Flow(t, a, b)
            flows[key] = fl
            order.append(fl)
        d = 0 if a == fl.client else 1
        data = bytes(l4.data) if t == "udp" else bytes(l4.data)
        fl.packets += 1
        if len(fl.pkt_dirs) < MAX_PKTS:
            fl.pkt_dirs.append(d)
            fl.pkt_sizes.append(len(data))
        if t == "udp":
            if data and len(fl.dgrams[d]) < MAX_DGRAMS:
                fl.dgrams[d].append(data)
            continue
        if l4.flags & dpkt.tcp.TH_SYN:
            fl.isn[d] = (l4.seq + 1) & 0xFFFFFFFF
            fl.by_data[d] = False
            fl.syn_seen = True
        if data:
            if fl.isn[d] is None:
                fl.isn[d] = l4.seq
                fl.by_data[d] = True
            off = (l4.seq - fl.isn[d]) & 0xFFFFFFFF
            if off < MAX_BYTES and off not in fl.segs[d]:
                fl.segs[d][off] = data
    return order


def _resynced(segs: dict) -> bool:
    """The fast path's gap rule at the flow's end, in its simplest reading: a direction
    whose start never came but that holds later bytes starts at the first of them
    (marked mid-stream).  The fast path may resync earlier (an acknowledgment past the
    hole, the budget in a one-direction flow); captures where that changes the bytes
    kept are not this reference's."""
    return bool(segs) and 0 not in segs


def _reassemble(segs: dict) -> bytes:
    out = bytearray()
    if _resynced(segs):
        first = min(segs)
        segs = {off - first: seg for off, seg in segs.items()}
    for off in sorted(segs):
        if off > len(out):
            break                    # gap never filled
        seg = segs[off]
        if off + len(seg) > len(out):
            out += seg[len(out) - off:]
        if len(out) >= MAX_BYTES:
            break
    return bytes(out[:MAX_BYTES])


def to_view(fl: _Flow) -> FlowView:
    if fl.transport == "udp":
        dc, ds = [], []
        for src, dst in ((fl.dgrams[0], dc), (fl.dgrams[1], ds)):
            room = MAX_BYTES
            for d in src:
                if room <= 0:
                    break
                dst.append(d[:room])
                room -= len(d)
        return FlowView("udp", b"".join(dc), b"".join(ds), dc, ds,
                        tuple(fl.pkt_dirs), tuple(fl.pkt_sizes))
    ms = sum(1 << d for d in range(2)
             if (fl.by_data[d] and fl.segs[d]) or _resynced(fl.segs[d]))
    ms |= sum(4 << d for d in range(2) if not fl.by_data[d] and _resynced(fl.segs[d]))
    return FlowView("tcp", _reassemble(fl.segs[0]), _reassemble(fl.segs[1]), (), (),
                    tuple(fl.pkt_dirs), tuple(fl.pkt_sizes), ms)


def flows_with_tuples(path: str):
    """[(FlowView, (client_ip, client_port, server_ip, server_port), _Flow)]"""
    return [(to_view(f), (f.client[0], f.client[1], f.server[0], f.server[1]), f)
            for f in build_flows(path)]


def ndpi_labels() -> dict:
    """{(pcap, l4, frozenset of the two endpoints): label row} from labels.jsonl."""
    import json
    out = {}
    with open(os.path.join(NDPI_DIR, "labels.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            key = (r["pcap"], r["l4"].lower(),
                   frozenset([(r["a"], r["a_port"]), (r["b"], r["b_port"])]))
            out[key] = r
    return out
