"""A slow, independent reference for the fast path, built on dpkt.

`reference_flows(path)` decodes a capture with dpkt (plus a few lines of struct for
what dpkt lacks: VXLAN, GTP-U, fragment reassembly), then groups packets into flows
with the same documented rules as the C engine: the SYN sender is the client (the
SYN-ACK receiver if only that is seen, the first sender otherwise), a new SYN on a
closed connection starts a new flow, idle/closed timeouts measured from a flow's last
packet on a clock that never goes back (the latest timestamp seen), active timeouts
from its first packet. It returns {(transport, client, cport, server, sport, vlan): [c2s, s2c], ...}
as a Counter of per-direction packet counts (a list per tuple when the tuple recurs).
`reference_views(path)` gives each flow's payload as a naive dpkt reassembly sees it
(the section "payload views" below).

Tests only: this module is the slow path the fast path is checked against.
"""
from __future__ import annotations

import socket
import struct
from collections import defaultdict

import dpkt
import dpkt.ieee80211

SUPPORTED_LINKTYPES = {0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 192, 228, 229, 276}


class Unreadable(Exception):
    """dpkt cannot read this file at all (the fast path may still)."""


def _frames(path):
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        try:
            if head == b"\x0a\x0d\x0d\x0a":
                rd = dpkt.pcapng.Reader(fh)
            else:
                rd = dpkt.pcap.Reader(fh)
        except Exception as e:                      # dpkt's own limits (several IDBs, ...)
            raise Unreadable(str(e))
        lt = rd.datalink()
        try:
            for ts, buf in rd:
                yield lt, ts, len(buf), bytes(buf)
        except (dpkt.NeedData, dpkt.UnpackError, struct.error, ValueError):
            return                                  # a damaged tail: stop where dpkt stops


class _Frags:
    def __init__(self):
        self.parts = {}

    def add(self, key, off, more, data):
        ent = self.parts.setdefault(key, {"blocks": {}, "total": None})
        blocks = ent["blocks"]
        for b in range(off // 8, (off + len(data) + 7) // 8):
            if b not in blocks:                     # first arrival wins
                blocks[b] = data[b * 8 - off: b * 8 - off + 8]
        if not more:
            ent["total"] = off + len(data)
        total = ent["total"]
        if total is None:
            return None
        need = (total + 7) // 8
        if all(b in blocks for b in range(need)):
            del self.parts[key]
            return b"".join(blocks[b] for b in range(need))[:total]
        return None


class Decoder:
    def __init__(self):
        self.frags = _Frags()

    def frame(self, lt, buf):
        """Return (proto, src, dst, sport, dport, vlan, flags, tunnels, payload length) or None."""
        self.vlan = None
        try:
            if lt == 1:
                return self.ether(buf)
            if lt == 113:
                return self.ethertype(struct.unpack("!H", buf[14:16])[0], buf[16:])
            if lt == 276:
                return self.ethertype(struct.unpack("!H", buf[0:2])[0], buf[20:])
            if lt in (12, 14, 101):
                return self.ip_any(buf)
            if lt == 228:
                return self.ip4(buf)
            if lt == 229:
                return self.ip6(buf)
            if lt in (0, 108):
                fam = struct.unpack("!I" if lt == 108 else "<I", buf[:4])[0]
                if lt == 0 and fam > 0xFFFF:
                    fam = struct.unpack("!I", buf[:4])[0]
                if fam == 2:
                    return self.ip4(buf[4:])
                if fam in (10, 24, 28, 30):
                    return self.ip6(buf[4:])
                return None
            if lt in (9, 50):
                if len(buf) >= 4 and buf[0] in (0x0F, 0x8F) and buf[1] == 0:
                    return self.ethertype(struct.unpack("!H", buf[2:4])[0], buf[4:])
                return self.ppp(buf)
            if lt == 192:                           # PPI header, then the frame of its DLT
                hl, dlt = struct.unpack("<HI", buf[2:8])
                return self.frame(dlt, buf[hl:]) if hl >= 8 and dlt != 192 else None
            if lt == 104:
                return self.ethertype(struct.unpack("!H", buf[2:4])[0], buf[4:])
        except (dpkt.NeedData, dpkt.UnpackError, struct.error, IndexError):
            return None
        return None

    def ppp(self, buf):
        if buf[:2] == b"\xff\x03":
            buf = buf[2:]
        if buf[0] & 1:
            proto, buf = buf[0], buf[1:]
        else:
            proto, buf = struct.unpack("!H", buf[:2])[0], buf[2:]
        if proto == 0x21:
            return self.ip4(buf)
        if proto == 0x57:
            return self.ip6(buf)
        return None

    def ether(self, buf):
        if len(buf) < 14:
            return None
        return self.ethertype(struct.unpack("!H", buf[12:14])[0], buf[14:])

    def ethertype(self, et, buf):
        # dpkt.ethernet decodes tags too, but not every stack order; walk them here.
        while et in (0x8100, 0x88A8, 0x9100, 0x9200):
            if len(buf) < 4:
                return None
            self.vlan = struct.unpack("!H", buf[:2])[0] & 0x0FFF
            et = struct.unpack("!H", buf[2:4])[0]
            buf = buf[4:]
        if et < 0x600:
            if len(buf) >= 8 and buf[:3] == b"\xaa\xaa\x03":
                return self.ethertype(struct.unpack("!H", buf[6:8])[0], buf[8:])
            return None
        if et == 0x0800:
            return self.ip4(buf)
        if et == 0x86DD:
            return self.ip6(buf)
        if et in (0x8847, 0x8848):
            while True:
                bos = buf[2] & 1
                buf = buf[4:]
                if bos:
                    break
            if buf[0] >> 4 in (4, 6):
                return self.ip_any(buf)
            if buf[0] >> 4 == 0 and len(buf) >= 18:
                return self.ethertype(struct.unpack("!H", buf[16:18])[0], buf[18:])
            return None
        if et == 0x8864:
            pp = dpkt.pppoe.PPPoE(buf)
            ln = pp.len if 2 <= pp.len <= len(buf) - 6 else len(buf) - 6
            return self.ppp(buf[6:6 + ln])
        return None

    def ip_any(self, buf):
        if buf and buf[0] >> 4 == 4:
            return self.ip4(buf)
        if buf and buf[0] >> 4 == 6:
            return self.ip6(buf)
        return None

    def ip4(self, buf, tunnel=()):
        ip = dpkt.ip.IP(buf)
        hl = ip.hl * 4
        if ip.v != 4 or hl < 20 or hl > len(buf):
            return None
        end = ip.len if ip.len else len(buf)
        if end < hl:
            return None
        payload = buf[hl:end]
        src, dst = socket.inet_ntop(socket.AF_INET, ip.src), socket.inet_ntop(socket.AF_INET, ip.dst)
        off = struct.unpack("!H", buf[6:8])[0]      # flags + fragment offset, raw
        if off & 0x3FFF:
            whole = self.frags.add((4, ip.src, ip.dst, ip.id, ip.p), (off & 0x1FFF) * 8,
                                   bool(off & 0x2000), payload)
            if whole is None:
                return None
            payload = whole
        return self.l4(ip.p, payload, src, dst, 4, tunnel)

    def ip6(self, buf, tunnel=()):
        if len(buf) < 40 or buf[0] >> 4 != 6:
            return None
        plen = struct.unpack("!H", buf[4:6])[0] or len(buf) - 40
        payload = buf[40:40 + plen]
        nh = buf[6]
        src, dst = socket.inet_ntop(socket.AF_INET6, buf[8:24]), socket.inet_ntop(socket.AF_INET6, buf[24:40])
        for _ in range(16):
            if nh in (0, 43, 60, 135, 139, 140):
                hl = (payload[1] + 1) * 8
                if hl > len(payload):
                    return None
                nh, payload = payload[0], payload[hl:]
            elif nh == 51:
                hl = (payload[1] + 2) * 4
                if hl > len(payload):
                    return None
                nh, payload = payload[0], payload[hl:]
            elif nh == 44:
                off = struct.unpack("!H", payload[2:4])[0] & 0xFFF8
                more = payload[3] & 1
                ident = struct.unpack("!I", payload[4:8])[0]
                nxt, frag = payload[0], payload[8:]
                if off == 0 and not more:
                    nh, payload = nxt, frag
                    continue
                whole = self.frags.add((6, buf[8:24], buf[24:40], ident), off, bool(more), frag)
                if whole is None:
                    return None
                nh, payload = nxt, whole
            else:
                break
        return self.l4(nh, payload, src, dst, 6, tunnel)

    def l4(self, proto, payload, src, dst, ver, tunnel):
        if proto == 6:
            if len(payload) < 20:
                return None
            tcp = dpkt.tcp.TCP(payload)
            if tcp.off * 4 < 20 or tcp.off * 4 > len(payload):
                return None
            return (6, src, dst, tcp.sport, tcp.dport, self.vlan, tcp.flags, tunnel,
                    len(payload) - tcp.off * 4)
        if proto == 17:
            if len(payload) < 8:
                return None
            sport, dport, ulen = struct.unpack("!HHH", payload[:6])
            if 0 < ulen < 8:
                return None
            data = payload[8:ulen] if ulen else payload[8:]
            inner = self.udp_tunnel(sport, dport, data, tunnel)
            if inner is not False:
                return inner
            return (17, src, dst, sport, dport, self.vlan, 0, tunnel, len(data))
        if proto == 4:
            return self.ip4(payload, tunnel + ("4in%d" % ver,))
        if proto == 41:
            return self.ip6(payload, tunnel + ("6in%d" % ver,))
        if proto == 47:
            inner = self.gre(payload, tunnel)
            if inner is not False:
                return inner
        if proto == 51 and ver == 4 and len(payload) >= 8:
            hl = (payload[1] + 2) * 4
            if hl <= len(payload):
                return self.l4(payload[0], payload[hl:], src, dst, ver, tunnel)
        return (proto, src, dst, 0, 0, self.vlan, 0, tunnel, len(payload))

    def gre(self, buf, tunnel):
        if len(buf) < 4:
            return None
        fl, pt = struct.unpack("!HH", buf[:4])
        off = 4
        if fl & 7 == 0:
            if fl & 0x4000:
                return False
            off += 4 * (bool(fl & 0x8000) + bool(fl & 0x2000) + bool(fl & 0x1000))
        elif fl & 7 == 1:
            off += 4 + 4 * (bool(fl & 0x1000) + bool(fl & 0x0080))
        else:
            return False
        if off > len(buf):
            return None
        if pt not in (0x0800, 0x86DD, 0x6558, 0x880B, 0x88BE, 0x22EB, 0x8847):
            return False
        inner, t = buf[off:], tunnel + ("gre",)
        if pt == 0x0800:
            return self.ip4(inner, t)
        if pt == 0x86DD:
            return self.ip6(inner, t)
        if pt == 0x880B:
            return self._tun(t, self.ppp, inner)
        if pt == 0x6558:
            return self._tun(t, self.ether, inner)
        if pt == 0x88BE:
            return self._tun(t, self.ether, inner[8:] if fl & 0x1000 else inner)
        if pt == 0x22EB:
            return self._tun(t, self.ether, inner[20 if inner[11] & 1 else 12:])
        return self._tun(t, lambda b: self.ethertype(pt, b), inner)

    def _tun(self, tunnel, fn, buf):
        r = fn(buf)
        if r:
            r = r[:7] + (tunnel + r[7],) + r[8:]
        return r

    def capwap(self, d, tunnel):
        """CAPWAP data (RFC 5415): None when not decapsulated. The 802.11 frame is parsed
        with dpkt's ieee80211 module, independently of the fast path's own parser."""
        if len(d) < 8 or d[0] != 0:
            return None
        hlen = (d[1] >> 3) * 4
        if hlen < 8 or hlen >= len(d) or d[3] & 0x80:
            return None
        t_bit, wbid, frame = d[2] & 1, (d[2] >> 1) & 0x1F, d[hlen:]
        t = tunnel + ("capwap",)
        if not t_bit:
            if len(frame) < 14:
                return None
            et = struct.unpack("!H", frame[12:14])[0]
            if et not in (0x0800, 0x86DD, 0x8100, 0x88A8):
                return None
            return self._tun(t, lambda b: self.ethertype(et, b), frame[14:])
        if wbid != 1 or len(frame) < 24:
            return None
        if (frame[0] & 0x0C) != 0x08 and (frame[1] & 0x0C) == 0x08:
            frame = frame[1:2] + frame[0:1] + frame[2:]     # Cisco's byte-swapped frame control
        try:
            w = dpkt.ieee80211.IEEE80211(frame)
        except (dpkt.UnpackError, dpkt.NeedData, struct.error, KeyError, IndexError):
            return None
        if w.type != dpkt.ieee80211.DATA_TYPE or w.wep:
            return None
        llc = bytes(w.data)                                  # the frame body: LLC/SNAP first
        if len(llc) < 8 or llc[:3] != b"\xaa\xaa\x03":
            return None
        et = struct.unpack("!H", llc[6:8])[0]
        if et not in (0x0800, 0x86DD):
            return None
        return self._tun(t, lambda b: self.ethertype(et, b), llc[8:])

    def udp_tunnel(self, sport, dport, d, tunnel):
        if dport in (4789, 8472) and len(d) >= 22 and d[0] & 0x08 and d[7] == 0:
            et = struct.unpack("!H", d[20:22])[0]
            if et in (0x0800, 0x86DD, 0x8100, 0x0806, 0x88A8):
                return self._tun(tunnel + ("vxlan",), lambda b: self.ethertype(et, b), d[22:])
        if 5247 in (sport, dport):
            r = self.capwap(d, tunnel)
            if r is not None:
                return r
        if 2152 in (sport, dport) and len(d) >= 8 and d[0] >> 5 == 1 and d[0] & 0x10 and d[1] == 0xFF:
            off = 8
            if d[0] & 0x07:
                if len(d) < 12:
                    return False
                off = 12
                nxt = d[11] if d[0] & 0x04 else 0
                while nxt:
                    if off >= len(d) or d[off] == 0 or off + d[off] * 4 > len(d):
                        return False
                    nxt = d[off + d[off] * 4 - 1]
                    off += d[off] * 4
            inner = d[off:]
            ok = (len(inner) >= 20 and inner[0] >> 4 == 4 and inner[0] & 15 >= 5) or \
                 (len(inner) >= 40 and inner[0] >> 4 == 6)
            if ok:
                t = tunnel + ("gtp-u",)
                return self._tun(t, self.ip_any, inner)
        return False


TUNNEL_ORDER = ("4in4", "6in4", "4in6", "6in6", "gre", "gtp-u", "vxlan", "capwap")


def reference_flows(path, idle_tcp=300.0, idle_udp=120.0, closed=10.0, active=1800.0):
    """{(transport, client, cport, server, sport, vlan): [[c2s, s2c], ...]} in order of start."""
    dec = Decoder()
    live = {}           # canonical key -> flow dict
    done = []
    now = None

    def end(key):
        done.append(live.pop(key))

    for lt, ts, _caplen, buf in _frames(path):
        if lt not in SUPPORTED_LINKTYPES:
            continue
        r = dec.frame(lt, buf)
        if r is None:
            continue
        proto, src, dst, sport, dport, vlan, flags, _tunnels, paylen = r
        now = ts if now is None or ts > now else now
        for k in [k for k, f in live.items() if now - f["touched"] > f["timeout"]]:
            end(k)
        canon = (proto, vlan) + tuple(sorted([(src, sport), (dst, dport)]))
        f = live.get(canon)
        if f is not None:
            closed_syn = proto == 6 and f["closed"] and flags & 0x12 == 0x02
            if closed_syn or ts - f["first"] > active:
                end(canon)
                f = None
        if f is None:
            server_first = proto == 6 and flags & 0x12 == 0x12
            cli, srv = ((dst, dport), (src, sport)) if server_first else ((src, sport), (dst, dport))
            f = live[canon] = {"proto": proto, "cli": cli, "srv": srv, "vlan": vlan, "pk": [0, 0],
                               "first": ts, "last": ts, "closed": False, "fin": 0,
                               "by_syn": proto == 6 and bool(flags & 0x02), "data": False,
                               "timeout": idle_tcp if proto == 6 else idle_udp}
        d = 0 if (src, sport) == f["cli"] else 1
        if proto == 6 and not f["by_syn"] and flags & 0x02 and not f["data"]:
            if (flags & 0x12 == 0x02 and d == 1) or (flags & 0x12 == 0x12 and d == 0):
                f["cli"], f["srv"] = f["srv"], f["cli"]
                f["pk"].reverse()
                f["fin"] = ((f["fin"] & 1) << 1) | (f["fin"] >> 1)
                d ^= 1
            f["by_syn"] = True
        f["pk"][d] += 1
        f["last"] = max(f["last"], ts)
        f["touched"] = now         # expiry runs on the clock that never goes back
        if proto == 6:
            if flags & 0x01:
                f["fin"] |= 1 << d
            if f["fin"] == 3 or flags & 0x04 or f["closed"]:
                f["closed"] = True
                f["timeout"] = closed
        # Like the engine: a late SYN may turn a flow around only before any payload.
        f["data"] = f["data"] or (proto == 6 and paylen > 0)
    done.extend(live.values())
    out = defaultdict(list)
    names = {6: "tcp", 17: "udp"}
    for f in done:
        if f["proto"] not in names:
            continue
        key = (names[f["proto"]], f["cli"][0], f["cli"][1], f["srv"][0], f["srv"][1], f["vlan"])
        out[key].append(f["pk"])
    return out


# ------------------------------------------------------------------ payload views
# reference_views(path): pcap -> a FlowView per 5-tuple, with dpkt: packets grouped by
# 5-tuple, the SYN sender (else the first sender) as client, TCP reassembled naively by
# sequence number (in-order prefix, up to 4096 bytes per direction), the first 8
# datagrams per UDP direction.  No timeouts, no tunnels: test_fastpath_contract.py
# compares the payload the fast path hands the detectors with it.
from dataclasses import dataclass, field  # noqa: E402

from classifier.detectors.flowview import FlowView  # noqa: E402

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


def reference_views(path: str):
    """[(FlowView, (client_ip, client_port, server_ip, server_port), _Flow)]: each TCP/UDP
    flow's payload as a naive dpkt reassembly sees it (see the section comment)."""
    return [(to_view(f), (f.client[0], f.client[1], f.server[0], f.server[1]), f)
            for f in build_flows(path)]
