"""L2-L4 decoding: every link type, tag, encapsulation and IP feature the fast path
promises, checked on hand-built frames whose right answer is known."""
import struct

import pytest

from pcapgen import MAC_A, MAC_B, _vlan_stack, ether, ipv4, ipv6, tcp, udp

PAY = b"hello over udp"


def v4_udp(sport=1111, dport=2222, data=PAY, src="192.0.2.1", dst="192.0.2.2"):
    return ipv4(src, dst, udp(sport, dport, data))


def v6_udp(sport=1111, dport=2222, data=PAY):
    return ipv6("2001:db8::1", "2001:db8::2", udp(sport, dport, data))


def one(flows_of, frames, **kw):
    flows, reader = flows_of(frames, **kw)
    assert len(flows) == 1, flows
    return flows[0], reader


# ----------------------------------------------------------------- link types

SLL = b"\x00\x00\x00\x01\x00\x06" + MAC_A + b"\x00\x00"
SLL2_V4 = b"\x08\x00\x00\x00" + b"\x00\x00\x00\x02" + b"\x00\x01\x00\x06" + MAC_A + b"\x00\x00"


@pytest.mark.parametrize("linktype,frame,addr", [
    (1, ether(v4_udp()), "192.0.2.1"),                                   # Ethernet
    (113, SLL + b"\x08\x00" + v4_udp(), "192.0.2.1"),                     # Linux cooked v1
    (276, SLL2_V4 + v4_udp(), "192.0.2.1"),                               # Linux cooked v2
    (101, v4_udp(), "192.0.2.1"), (101, v6_udp(), "2001:db8::1"),         # raw IP
    (12, v4_udp(), "192.0.2.1"), (14, v6_udp(), "2001:db8::1"),
    (228, v4_udp(), "192.0.2.1"), (229, v6_udp(), "2001:db8::1"),
    (0, struct.pack("<I", 2) + v4_udp(), "192.0.2.1"),                    # BSD null, little-endian host
    (0, struct.pack(">I", 2) + v4_udp(), "192.0.2.1"),                    # ... written on a big-endian host
    (0, struct.pack("<I", 30) + v6_udp(), "2001:db8::1"),                 # AF_INET6 as macOS numbers it
    (108, struct.pack(">I", 24) + v6_udp(), "2001:db8::1"),               # OpenBSD loop
    (9, b"\xff\x03\x00\x21" + v4_udp(), "192.0.2.1"),                    # PPP with address/control
    (9, b"\x21" + v4_udp(), "192.0.2.1"),                                # PPP, compressed protocol field
    (9, b"\x00\x57" + v6_udp(), "2001:db8::1"),
    (50, b"\xff\x03\x00\x21" + v4_udp(), "192.0.2.1"),                   # PPP in HDLC framing
    (50, b"\x0f\x00\x08\x00" + v4_udp(), "192.0.2.1"),                   # Cisco HDLC under DLT 50
    (104, b"\x0f\x00\x86\xdd" + v6_udp(), "2001:db8::1"),                # Cisco HDLC
    (192, struct.pack("<BBHI", 0, 0, 8, 1) + ether(v4_udp()), "192.0.2.1"),  # PPI around Ethernet
])
def test_link_types(flows_of, linktype, frame, addr):
    f, _ = one(flows_of, [(1.0, frame)], linktype=linktype)
    assert (f.transport, f.client, f.client_port, f.server_port) == ("udp", addr, 1111, 2222)
    assert f.payload_c2s == PAY


def test_unsupported_link_type_is_a_counted_named_warning(flows_of):
    flows, reader = flows_of([(1.0, b"\x00" * 60), (2.0, b"\x00" * 60)], linktype=127)
    assert flows == []
    assert reader.error is None
    assert reader.stats["unsupported_link"] == 2
    assert reader.stats["unsupported_link_types"] == {127: 2}


def test_vlan_qinq_and_innermost_id(flows_of):
    f, _ = one(flows_of, [(1.0, ether(v4_udp(), vlans=[(0x88A8, 100), (0x8100, 42)]))])
    assert f.vlan == 42
    g, _ = one(flows_of, [(1.0, ether(v4_udp(), vlans=[(0x8100, 7)]))])
    assert g.vlan == 7
    h, _ = one(flows_of, [(1.0, ether(v4_udp()))])
    assert h.vlan is None


def test_vlan_is_part_of_the_flow_key(flows_of):
    frames = [(1.0, ether(v4_udp(), vlans=[(0x8100, 1)])), (2.0, ether(v4_udp(), vlans=[(0x8100, 2)]))]
    flows, _ = flows_of(frames)
    assert sorted(f.vlan for f in flows) == [1, 2]


def test_mpls_label_stack(flows_of):
    labels = struct.pack("!I", (16 << 12) | 64) + struct.pack("!I", (17 << 12) | 0x100 | 64)
    f, _ = one(flows_of, [(1.0, MAC_B + MAC_A + b"\x88\x47" + labels + v4_udp())])
    assert f.client == "192.0.2.1"


def test_mpls_pseudowire_with_control_word_carrying_ethernet(flows_of):
    label = struct.pack("!I", (16 << 12) | 0x100 | 64)
    inner = ether(v6_udp(), 0x86DD)
    f, _ = one(flows_of, [(1.0, MAC_B + MAC_A + b"\x88\x47" + label + b"\0\0\0\0" + inner)])
    assert f.client == "2001:db8::1"


def test_pppoe_session(flows_of):
    body = b"\x00\x21" + v4_udp()
    pppoe = struct.pack("!BBHH", 0x11, 0, 0x1234, len(body)) + body
    f, _ = one(flows_of, [(1.0, MAC_B + MAC_A + b"\x88\x64" + pppoe + b"\0" * 6)])  # trailing padding
    assert f.payload_c2s == PAY


def test_llc_snap(flows_of):
    snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + v4_udp()
    f, _ = one(flows_of, [(1.0, MAC_B + MAC_A + struct.pack("!H", len(snap)) + snap)])
    assert f.client == "192.0.2.1"


def test_non_ip_frames_are_counted_not_flows(flows_of):
    arp = ether(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\0" * 20, etype=0x0806)
    flows, reader = flows_of([(1.0, arp)])
    assert flows == [] and reader.stats["non_ip"] == 1


# ----------------------------------------------------------------------- IP

def test_ipv4_options_and_ethernet_padding(flows_of):
    pkt = ipv4("192.0.2.1", "192.0.2.2", udp(1, 2, b"ab"), opts=b"\x01\x01\x01\x00")  # NOP NOP NOP EOL
    f, _ = one(flows_of, [(1.0, ether(pkt) + b"\0" * 20)])
    assert f.payload_c2s == b"ab"                  # the padding after the datagram is not payload


def test_ipv6_extension_headers(flows_of):
    hop = bytes([60, 0]) + b"\x01\x04\0\0\0\0"              # hop-by-hop -> destination options
    dst = bytes([43, 0]) + b"\x01\x04\0\0\0\0"              # destination options -> routing
    rt = bytes([51, 0, 0, 0]) + b"\0\0\0\0"                 # routing (type 0, no segments) -> AH
    ah = bytes([17, 1, 0, 0]) + b"\0" * 8                   # AH, 12 bytes -> UDP
    pkt = ipv6("2001:db8::1", "2001:db8::2", udp(7, 9, PAY), nxt=0, ext=hop + dst + rt + ah)
    f, _ = one(flows_of, [(1.0, ether(pkt, 0x86DD))])
    assert (f.client_port, f.server_port, f.payload_c2s) == (7, 9, PAY)


def _frag4(ident, payload_l4, proto, pieces):
    """IPv4 fragments of an L4 datagram: pieces = [(offset, length, more)]."""
    out = []
    for off, ln, more in pieces:
        body = payload_l4[off:off + ln]
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, (0x2000 if more else 0) | (off // 8),
                          64, proto, 0, bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]))
        out.append(hdr + body)
    return out


def test_ipv4_fragments_reassembled_in_any_order(flows_of):
    data = bytes(range(256)) * 8
    dgram = bytes(udp(5353, 5354, data))
    frags = _frag4(77, dgram, 17, [(0, 1000, True), (1000, 600, True), (1600, len(dgram) - 1600, False)])
    frames = [(1.0, ether(frags[2])), (1.1, ether(frags[0])), (1.2, ether(frags[1]))]
    f, reader = one(flows_of, frames)
    assert (f.client_port, f.server_port) == (5353, 5354)
    assert f.payload_c2s == data
    assert f.packets_c2s == 1                     # one datagram
    assert f.bytes_c2s == sum(len(fr[1]) for fr in frames)
    assert reader.stats["frag_reassembled"] == 1


def test_ipv4_overlapping_fragments_first_arrival_wins(flows_of):
    data = b"A" * 64
    dgram = bytes(udp(1, 2, data))
    first = _frag4(5, dgram, 17, [(0, 48, True)])[0]
    evil = bytearray(_frag4(5, dgram, 17, [(40, 32, False)])[0])
    evil[20:28] = b"BBBBBBBB"                     # overlaps bytes 40..47, already held
    f, reader = one(flows_of, [(1.0, ether(first)), (1.1, ether(bytes(evil)))])
    assert f.payload_c2s == data
    assert reader.stats["frag_overlaps"] == 1


def test_incomplete_fragments_are_dropped_after_the_timeout(flows_of):
    dgram = bytes(udp(1, 2, b"x" * 100))
    part = _frag4(9, dgram, 17, [(0, 48, True)])[0]
    later = ether(v4_udp())
    flows, reader = flows_of([(1.0, ether(part)), (100.0, later)], frag_timeout=30)
    assert reader.stats["frag_dropped"] == 0      # only noticed when the table is next used
    more = _frag4(10, dgram, 17, [(0, 48, True)])[0]
    flows, reader = flows_of([(1.0, ether(part)), (100.0, ether(more))], frag_timeout=30)
    assert reader.stats["frag_dropped"] == 1
    assert flows == []


def test_ipv6_fragments(flows_of):
    data = b"z" * 3000
    dgram = bytes(udp(4000, 4001, data))
    frames = []
    for i, (off, ln, more) in enumerate([(0, 1448, True), (1448, len(dgram) - 1448, False)]):
        fh = struct.pack("!BBHI", 17, 0, off | more, 0xABCD)
        frames.append((1.0 + i, ether(ipv6("2001:db8::1", "2001:db8::2", b"", nxt=44, ext=fh + dgram[off:off + ln]), 0x86DD)))
    f, _ = one(flows_of, frames)
    assert f.payload_c2s == data[:4096]


def test_absurd_header_lengths_are_counted_not_fatal(flows_of):
    bad_ihl = bytearray(v4_udp())
    bad_ihl[0] = 0x4F                             # IHL 60 bytes: longer than the packet
    bad_tot = bytearray(v4_udp())
    bad_tot[2:4] = b"\x00\x05"                     # total length below the header length
    bad_doff = bytearray(ipv4("192.0.2.1", "192.0.2.2", tcp(1, 2, "S")))
    bad_doff[20 + 12] = 0xF0                      # TCP data offset 60 bytes
    short_udp = v4_udp()[:24]                     # cut inside the UDP header
    frames = [(1.0, ether(bytes(bad_ihl))), (1.1, ether(bytes(bad_tot))), (1.2, ether(bytes(bad_doff))),
              (1.3, ether(short_udp)), (1.4, b"\x00" * 10), (2.0, ether(v4_udp()))]
    flows, reader = flows_of(frames)
    assert len(flows) == 1 and reader.error is None
    s = reader.stats
    assert (s["bad_ip"], s["bad_l4"], s["bad_link"]) == (2, 2, 1)


# ------------------------------------------------------------------ tunnels

def test_ip_in_ip_variants(flows_of):
    inner4 = v4_udp(src="10.0.0.1", dst="10.0.0.2")
    inner6 = v6_udp()
    cases = [
        (ipv4("203.0.113.1", "203.0.113.2", inner4, proto=4), 0x0800, "4in4", "10.0.0.1"),
        (ipv4("203.0.113.1", "203.0.113.2", inner6, proto=41), 0x0800, "6in4", "2001:db8::1"),
        (ipv6("2001:db8:1::1", "2001:db8:1::2", inner4, nxt=4), 0x86DD, "4in6", "10.0.0.1"),
        (ipv6("2001:db8:1::1", "2001:db8:1::2", inner6, nxt=41), 0x86DD, "6in6", "2001:db8::1"),
    ]
    for outer, et, name, addr in cases:
        f, _ = one(flows_of, [(1.0, ether(outer, et))])
        assert (f.tunnel, f.client, f.payload_c2s) == (name, addr, PAY)


def test_gre_with_key_and_sequence(flows_of):
    gre = struct.pack("!HH", 0x3000, 0x0800) + b"\0\0\0\x01" + b"\0\0\0\x02"
    outer = ipv4("203.0.113.1", "203.0.113.2", gre + v4_udp(src="10.0.0.1", dst="10.0.0.2"), proto=47)
    f, reader = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client, f.payload_c2s) == ("gre", "10.0.0.1", PAY)
    assert reader.stats["tunneled"] == 1


def test_gre_transparent_ethernet_bridging(flows_of):
    gre = struct.pack("!HH", 0, 0x6558)
    outer = ipv4("203.0.113.1", "203.0.113.2", gre + ether(v4_udp(), vlans=[(0x8100, 9)]), proto=47)
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.vlan) == ("gre", 9)


def test_pptp_enhanced_gre_with_ppp(flows_of):
    gre = struct.pack("!HHHH", 0x3081, 0x880B, 20, 7) + b"\0\0\0\x01" + b"\0\0\0\x00"
    outer = ipv4("203.0.113.1", "203.0.113.2", gre + b"\xff\x03\x00\x21" + v4_udp(), proto=47)
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client) == ("gre", "192.0.2.1")


def test_gre_of_an_unknown_payload_is_a_gre_flow(flows_of):
    outer = ipv4("203.0.113.1", "203.0.113.2", struct.pack("!HH", 0, 0x883E) + b"\0" * 20, proto=47)
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.transport, f.tunnel) == ("gre", None)


def test_vxlan(flows_of):
    vx = b"\x08\0\0\0" + b"\0\x01\x02\0"
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(55555, 4789, vx + ether(v4_udp())))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client, f.client_port, f.payload_c2s) == ("vxlan", "192.0.2.1", 1111, PAY)


def test_not_vxlan_on_the_vxlan_port_stays_udp(flows_of):
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(55555, 4789, b"GET / HTTP/1.1\r\n\r\n" + b"\0" * 20))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.server_port) == (None, 4789)


# CAPWAP data header (RFC 5415 4.3): preamble 0, HLEN 2 words, WBID 1 (802.11), T=1.
CAPWAP_80211 = b"\x00\x10\x03\x00" + b"\x00\x00\x00\x00"
# An 802.11 data frame from the distribution system: frame control 08 02, duration,
# three addresses, sequence control; then LLC/SNAP announcing IPv4.
DOT11_DATA = b"\x08\x02" + b"\0\0" + b"\x02" * 6 + b"\x04" * 6 + b"\x06" * 6 + b"\0\0"
SNAP_IPV4 = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"


def test_capwap_data_80211(flows_of):
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(41264, 5247, CAPWAP_80211 + DOT11_DATA + SNAP_IPV4 + v4_udp()))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client, f.client_port, f.payload_c2s) == ("capwap", "192.0.2.1", 1111, PAY)


def test_capwap_data_80211_byte_swapped_frame_control(flows_of):
    # Cisco controllers put the frame control field in the other byte order.
    swapped = b"\x02\x08" + DOT11_DATA[2:]
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(5247, 41264, CAPWAP_80211 + swapped + SNAP_IPV4 + v4_udp()))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client) == ("capwap", "192.0.2.1")


def test_capwap_data_8023(flows_of):
    hdr = b"\x00\x10\x02\x00" + b"\0\0\0\0"          # T=0: an Ethernet frame follows
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(41264, 5247, hdr + ether(v4_udp())))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client, f.payload_c2s) == ("capwap", "192.0.2.1", PAY)


def test_capwap_encrypted_or_fragmented_stays_outer(flows_of):
    dtls = b"\x01\x00\x00\x00" + b"\x16\xfe\xfd" + b"\0" * 30     # type 1: DTLS, not decoded
    frag = b"\x00\x10\x03\x80" + b"\0" * 4 + DOT11_DATA + SNAP_IPV4 + v4_udp()   # F bit set
    for payload in (dtls, frag):
        outer = ipv4("203.0.113.1", "203.0.113.2", udp(41264, 5247, payload))
        f, _ = one(flows_of, [(1.0, ether(outer))])
        assert (f.tunnel, f.server_port) == (None, 5247)


def test_gtp_u_with_extension_header(flows_of):
    inner = v4_udp(src="10.45.0.2", dst="8.8.8.8")
    ext = b"\x01\x00\x09\x00"                     # PDU session container, 4 bytes, next type 0
    gtp = struct.pack("!BBHI", 0x34, 0xFF, 4 + len(ext) + len(inner), 0x11223344) + b"\0\0\0\x85" + ext
    outer = ipv4("203.0.113.1", "203.0.113.2", udp(2152, 2152, gtp + inner))
    f, _ = one(flows_of, [(1.0, ether(outer))])
    assert (f.tunnel, f.client, f.payload_c2s) == ("gtp-u", "10.45.0.2", PAY)


def test_no_decap_keeps_the_outer_flow(flows_of):
    outer = ipv4("203.0.113.1", "203.0.113.2", v4_udp(), proto=4)
    f, _ = one(flows_of, [(1.0, ether(outer))], decap=False)
    assert (f.transport, f.client, f.tunnel) == ("ip-4", "203.0.113.1", None)


def test_nesting_is_bounded(flows_of):
    pkt = v4_udp()
    for _ in range(12):
        pkt = ipv4("203.0.113.1", "203.0.113.2", pkt, proto=4)
    flows, reader = flows_of([(1.0, ether(pkt))])
    assert flows == [] and reader.stats["too_deep"] == 1


def test_other_ip_protocols_are_flows_without_payload(flows_of):
    icmp = ipv4("192.0.2.1", "192.0.2.2", b"\x08\x00\x00\x00\x00\x01\x00\x01payload", proto=1)
    f, _ = one(flows_of, [(1.0, ether(icmp)), (1.1, ether(icmp))])
    assert (f.transport, f.client_port, f.packets_c2s, f.payload_c2s) == ("icmp", 0, 2, b"")
