"""Build test captures: frames with dpkt, files with dpkt's pcap writer or a small
pcapng/pcap writer of our own (dpkt writes neither big-endian files nor several
interfaces, nor the damaged files the bad-input tests need)."""
from __future__ import annotations

import socket
import struct

import dpkt

MAC_A = b"\x02\x00\x00\x00\x00\x01"
MAC_B = b"\x02\x00\x00\x00\x00\x02"


def ip4(a):
    return socket.inet_pton(socket.AF_INET, a)


def ip6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def tcp(sport, dport, flags="", seq=0, ack=0, data=b""):
    bits = sum(v for k, v in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16)) if k in flags)
    return dpkt.tcp.TCP(sport=sport, dport=dport, flags=bits, seq=seq & 0xFFFFFFFF, ack=ack,
                        off=5, data=data)


def udp(sport, dport, data=b""):
    u = dpkt.udp.UDP(sport=sport, dport=dport, data=data)
    u.ulen = 8 + len(data)
    return u


def ipv4(src, dst, l4, proto=None, ident=1, off=0, opts=b"", ttl=64):
    if proto is None:
        proto = 6 if isinstance(l4, dpkt.tcp.TCP) else 17 if isinstance(l4, dpkt.udp.UDP) else 4
    body = bytes(l4)
    hl = 5 + len(opts) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | hl, 0, 4 * hl + len(body), ident, off, ttl, proto, 0,
                      ip4(src), ip4(dst))
    return hdr + opts + body


def ipv6(src, dst, l4, nxt=None, ext=b""):
    if nxt is None:
        nxt = 6 if isinstance(l4, dpkt.tcp.TCP) else 17 if isinstance(l4, dpkt.udp.UDP) else 41
    body = ext + bytes(l4)
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), nxt, 64, ip6(src), ip6(dst)) + body


def _vlan_stack(vlans, etype):
    """802.1Q/802.1ad tags, outermost first: each (tpid, vid) is written as the TPID
    of the tag and, after its TCI, the next TPID (the real EtherType after the last)."""
    tpids = [t for t, _ in vlans] + [etype]
    out = struct.pack("!H", tpids[0])
    for i, (_, vid) in enumerate(vlans):
        out += struct.pack("!HH", vid, tpids[i + 1])
    return out


def ether(payload, etype=0x0800, vlans=()):
    return MAC_B + MAC_A + _vlan_stack(vlans, etype) + payload


# --------------------------------------------------------------------- writers

def write_pcap(path, frames, linktype=1, snaplen=262144, big_endian=False, nsec=False,
               modified=False):
    """frames: iterable of (ts_seconds, bytes) or (ts, bytes, wirelen)."""
    e = ">" if big_endian else "<"
    magic = 0xA1B2CD34 if modified else (0xA1B23C4D if nsec else 0xA1B2C3D4)
    with open(path, "wb") as fh:
        fh.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for fr in frames:
            ts, buf = fr[0], fr[1]
            wire = fr[2] if len(fr) > 2 else len(buf)
            if isinstance(ts, tuple):               # exact (seconds, fraction) when a float cannot hold it
                sec, frac = ts
            else:
                sec = int(ts)
                frac = int(round((ts - sec) * (1e9 if nsec else 1e6)))
            fh.write(struct.pack(e + "IIII", sec, frac, len(buf), wire))
            if modified:
                fh.write(struct.pack(e + "IHBB", 1, 0x0800, 0, 0))
            fh.write(buf)


class PcapngWriter:
    """Just enough pcapng: SHB, IDB (with if_tsresol / if_tsoffset), EPB, SPB, OPB and
    arbitrary blocks, in either byte order."""

    def __init__(self, fh, big_endian=False):
        self.fh = fh
        self.e = ">" if big_endian else "<"
        self.ifaces = []
        self.section()

    def block(self, btype, body):
        pad = (-len(body)) % 4
        total = 12 + len(body) + pad
        self.fh.write(struct.pack(self.e + "II", btype, total) + body + b"\0" * pad
                      + struct.pack(self.e + "I", total))

    def section(self):
        self.ifaces = []
        self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1))

    def interface(self, linktype, tsresol=None, tsoffset=None, snaplen=0):
        opts = b""
        if tsresol is not None:
            opts += struct.pack(self.e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
        if tsoffset is not None:
            opts += struct.pack(self.e + "HHq", 14, 8, tsoffset)
        if opts:
            opts += struct.pack(self.e + "HH", 0, 0)
        self.block(1, struct.pack(self.e + "HHI", linktype, 0, snaplen) + opts)
        self.ifaces.append(tsresol)
        return len(self.ifaces) - 1

    def _units(self, iface, ts):
        r = self.ifaces[iface]
        if r is None:
            r = 6
        per_sec = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
        return int(round(ts * per_sec))

    def epb(self, iface, ts, buf, wirelen=None):
        t = self._units(iface, ts)
        self.block(6, struct.pack(self.e + "IIIII", iface, t >> 32, t & 0xFFFFFFFF, len(buf),
                                  wirelen or len(buf)) + buf + b"\0" * ((-len(buf)) % 4))

    def opb(self, iface, ts, buf):
        t = self._units(iface, ts)
        self.block(2, struct.pack(self.e + "HHIIII", iface, 0, t >> 32, t & 0xFFFFFFFF, len(buf),
                                  len(buf)) + buf + b"\0" * ((-len(buf)) % 4))

    def spb(self, buf):
        self.block(3, struct.pack(self.e + "I", len(buf)) + buf + b"\0" * ((-len(buf)) % 4))


# ------------------------------------------------------------------ conversations

def tcp_conversation(cli="10.0.0.1", srv="10.0.0.2", cport=40000, sport=8080, request=b"GET / HTTP/1.1\r\n\r\n",
                     response=b"HTTP/1.1 200 OK\r\n\r\n", t0=1000.0, ver=4, isn_c=1000, isn_s=5000):
    """Handshake, one request, one response, FIN both ways: a list of (ts, L3 bytes)."""
    mk = ipv4 if ver == 4 else ipv6
    pk = []
    t = t0

    def add(src, dst, seg):
        nonlocal t
        pk.append((t, mk(src, dst, seg)))
        t += 0.001

    add(cli, srv, tcp(cport, sport, "S", isn_c))
    add(srv, cli, tcp(sport, cport, "SA", isn_s, isn_c + 1))
    add(cli, srv, tcp(cport, sport, "A", isn_c + 1, isn_s + 1))
    add(cli, srv, tcp(cport, sport, "PA", isn_c + 1, isn_s + 1, request))
    add(srv, cli, tcp(sport, cport, "PA", isn_s + 1, isn_c + 1 + len(request), response))
    add(cli, srv, tcp(cport, sport, "FA", isn_c + 1 + len(request), isn_s + 1 + len(response)))
    add(srv, cli, tcp(sport, cport, "FA", isn_s + 1 + len(response), isn_c + 2 + len(request)))
    add(cli, srv, tcp(cport, sport, "A", isn_c + 2 + len(request), isn_s + 2 + len(response)))
    return pk


def eth_wrap(l3_packets, ver=4, vlans=()):
    et = 0x0800 if ver == 4 else 0x86DD
    return [(ts, ether(l3, et, vlans)) for ts, l3 in l3_packets]
