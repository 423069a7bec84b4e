"""Near misses: one protocol's bytes fed to every other probe, look-alike strings in
the wrong place, and random blobs.  Each case asserts that nobody claims the bytes."""
from __future__ import annotations

import random

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, hx

ENGINE = Engine()
SPECS = [s for s in detector_list.SPECS if s.probe]

# Overlaps that exist by design and are settled by the engine's conflict rule: a proxy
# request is valid HTTP syntax too (http-proxy wins on confidence, http is recorded).
BY_DESIGN = {("http-proxy-connect", "http"),
             # The ICE STUN messages of a media flow are STUN; the media names the flow
             # (rtp 0.8 over stun 0.7, RFC 7983).
             ("rtp-muxed-stun-rtcp", "stun"),
             # The session request before SMB on port 139 is netbios-ssn's; smb, more
             # specific, wins the tie by table order.
             ("smb-after-netbios-session", "netbios-ssn")}


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_other_probes_reject_this_protocol(fx):
    claimed = []
    for spec in SPECS:
        if spec.name == fx.proto or fx.view.transport not in spec.transports:
            continue
        if (fx.id, spec.name) in BY_DESIGN:
            continue
        r = spec.probe(fx.view, {})
        if r.outcome == Outcome.MATCH:
            claimed.append(spec.name)
    assert claimed == []


def test_by_design_overlap_is_resolved_and_recorded():
    fx = next(f for f in FIXTURES if f.id == "http-proxy-connect")
    label = ENGINE.classify(fx.view)
    assert label.protocol == "http-proxy"
    assert {"protocol": "http", "confidence": 0.85} in label.conflicts


def test_media_names_a_muxed_flow_and_stun_is_recorded():
    label = ENGINE.classify(next(f for f in FIXTURES if f.id == "rtp-muxed-stun-rtcp").view)
    assert label.protocol == "rtp"
    assert "stun" in {c["protocol"] for c in label.conflicts}


def test_smb_after_a_netbios_session_setup_is_smb_also_incrementally():
    """netbios-ssn matches the SESSION REQUEST alone (0.95) without ending the
    classification: the SMB NEGOTIATE that follows makes it smb (1.0)."""
    from classifier.detectors.engine import FlowSession
    fx = next(f for f in FIXTURES if f.id == "smb-after-netbios-session")
    session = FlowSession()
    first = ENGINE.classify(FlowView.tcp(fx.view.payload_c2s[:72], b""), session)
    assert (first.protocol, first.confidence) == ("netbios-ssn", 0.95) and session.done is None
    label = ENGINE.classify(fx.view, session)
    assert (label.protocol, label.metadata["dialect_family"]) == ("smb", "smb1")


T, U = FlowView.tcp, (lambda *d: FlowView.udp(list(d)))

# (probe that must NOT match, view, why it is a near miss)
NEAR_MISSES = [
    ("http", T(b"SSH-2.0-OpenSSH_9.2 HTTP/1.1\r\n"), "HTTP/1.1 inside an SSH banner"),
    ("http", T(b"GET / RTSP/1.0\r\nCSeq: 1\r\n\r\n"), "RTSP version token"),
    ("http", T(b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n"), "SIP request line"),
    ("http", T(b"FOO / HTTP/1.1\r\n\r\n"), "unregistered method"),
    ("http", T(b"POST /index.html\r\n"), "version-less line: HTTP/0.9 had only GET"),
    ("http", T(b"GET index.html\r\n"), "version-less GET whose target is not a path"),
    ("http", T(b"GET /a b\r\n"), "version-less GET with two words (no version to end it)"),
    ("http", T(b"GET /a\tb HTTP/1.1\r\n"), "a tab inside the target"),
    ("http", T(b"GET / HTTP/1.1 x\r\n"), "a word after the version"),
    ("http", T(b"\x16\x03\x01\x00\x05GET / HTTP/1.1\r\n"), "HTTP text inside a TLS record"),
    ("ssdp", U(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "plain HTTP over UDP is not SSDP"),
    ("rtsp", T(b"GET / HTTP/1.1\r\n\r\n"), "HTTP is not RTSP"),
    ("sip", U(b"HTTP/1.1 200 OK\r\n\r\n"), "HTTP status line"),
    ("http-proxy", T(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"), "origin-form request"),
    ("http2", T(b"PRI * HTTP/1.1\r\n\r\n"), "wrong preface version"),
    ("ssh", T(b"SSH-3.0-foo\r\n"), "unknown SSH protocol version"),
    ("ssh", T(b"SSH-2.0\r\n"), "version without software part"),
    ("tls", T(hx("1603010000")), "zero-length handshake record"),
    ("tls", T(hx("16030100cd" "0b000100")), "handshake record starting with Certificate... "
                                              "alone, then garbage"),
    ("tls", T(hx("1605010005") + b"hello"), "record version major 5"),
    ("tls", T(hx("16030100ff" "01000005" "0303")), "hello too short for its random"),
    ("tls", T(hx("8067" "01" "0301" "004e" "0000" "0011") + bytes(95)),
     "SSLv2 header whose lengths do not add up (challenge 17: 104 != 103)"),
    ("tls", T(hx("802e" "04" "0002" "0015" "0000" "0010") + bytes(37)), "SSLv2 SERVER-HELLO from a client"),
    ("tls", T(hx("8031" "01" "0305" "0018" "0000" "0010") + bytes(40)), "SSLv2 header, version 3.5"),
    ("tls", T(hx("8067" "01" "0301" "004d" "0000" "0010") + bytes(93)), "cipher specs not a multiple of 3"),
    ("quic", U(hx("c0deadbeef0000") + bytes(1200)), "unknown version in a long header"),
    ("dns", U(hx("1234" "0100" "0000 0000 0000 0000")), "header without any record"),
    ("dns", U(hx("1234" "1900" "0001 0000 0000 0000" "0378787800" "00010001" "00")),
     "opcode 3 and a byte after the question: unassigned opcodes must parse exactly"),
    ("dns", U(hx("1234" "0140" "0001 0000 0000 0000" "0378787800" "00010001" "0000")),
     "Z bit and trailing bytes"),
    ("dns", U(hx("ffff8100000000300000000301010200c0000000000000100100001000eb0000010000"
                 "1e000000000000000c00090400c0a858490011c350")),
     "SOME/IP-SD: an answer-only 'response' without AA is not mDNS (RFC 6762 18.4)"),
    ("dns", U(hx("1234" "0100" "0001 0000 0000 0000" "c00c" "00010001")),
     "a name pointing at itself (a compression loop)"),
    ("dns", U(hx("1234" "0100" "0001 0000 0000 0000" "0378787800" "00010001"), b"\xff" * 30),
     "a query and a non-DNS datagram without the query's answer"),
    ("mdns", U(hx("3a7c" "0100" "0001 0000 0000 0000" "0464633031" "04636f7270" "056c6f63616c00"
                  "00010001")), "dc01.corp.local asked of a resolver (RD set, random id)"),
    ("mdns", U(hx("84b4" "0100" "0001 0000 0000 0000" "0377777702787403636f6d00" "00010001"),
               hx("84b4" "8100" "0002 0000 0000 0000" "0377777702787403636f6d00" "00010001"
                  "03414141" "00" "00010001")),
     "a resolver's answer claiming two questions (malformed_dns.pcap): RD set, not mDNS"),
    ("llmnr", U(hx("f4b5" "0100" "0001 0000 0000 0000" "17") + b"CISCO-CAPWAP-CONTROLLER"
                + hx("00" "00010001")), "single-label name with RD set (capwap.pcap)"),
    ("llmnr", U(hx("91e2" "0000" "0001 0000 0000 0000" "0466696c65056c6f63616c00" "00010001"),
                hx("91e2" "8400" "0001 0001 0000 0000" "0466696c65056c6f63616c00" "00010001"
                   "c00c00010001000002580004" "0a000a05")),
     "answered with AA: an authoritative DNS server, not an LLMNR responder"),
    ("dns", U(hx("1234" "0100" "0001 0000 0000 0000" "0378787800" "0001" "0009")), "qclass 9"),
    ("dns", T(hx("0005") + hx("1234010000")), "TCP length prefix below a DNS header"),
    ("mdns", U(hx("1234" "0100" "0001 0000 0000 0000" "076578616d706c6503636f6d00" "00010001")),
     "unicast DNS query for example.com"),
    ("llmnr", U(hx("1234" "0100" "0001 0000 0000 0000" "076578616d706c6503636f6d00" "00010001")),
     "multi-label name"),
    ("netbios-ns", U(hx("1234" "0100" "0001 0000 0000 0000" "0378787800" "00200001")),
     "NB query without an encoded name"),
    ("ftp", T(b"EHLO me\r\n", b"220 mail.example.com ESMTP Postfix\r\n"), "SMTP greeting"),
    ("smtp", T(b"USER anonymous\r\n", b"220 ProFTPD FTP server\r\n"), "FTP greeting"),
    ("pop3", T(b"*1\r\n$4\r\nPING\r\n", b"+OK\r\n"), "Redis +OK reply"),
    ("imap", T(b"", b"* 1 FETCH (FLAGS)\r\n"), "untagged response that is not a greeting"),
    ("mysql", T(b"", hx("0a00000000") + b"5.7"), "sequence id 0 but no version dot"),
    ("postgresql", T(hx("00000008" "04d21631")), "unknown request code 80877105"),
    ("postgresql", T(hx("0000001000030000") + b"database\x00x\x00\x00"), "startup without user"),
    ("redis", T(b"*1\r\n$4\r\n1234\r\n"), "command name not alphabetic"),
    ("mongodb", T(hx("2a000000" "01000000" "00000000" "01000000") + bytes(26)),
     "a client never sends OP_REPLY"),
    ("mqtt", T(hx("100c0004") + b"MQTX" + hx("0402003c0000")), "wrong protocol name"),
    ("mqtt", T(hx("100c0004") + b"MQTT" + hx("0902003c0000")), "protocol level 9"),
    ("amqp", T(b"AMQP\x09\x09\x09\x09"), "unpublished protocol id"),
    ("zookeeper", T(hx("0000002c" "00000001") + bytes(40)), "protocol version 1"),
    ("git", T(b"0032git-upload-pack"), "pkt-line length larger than the data? no: prefix"),
    ("rsync", T(b"@RSYNCX: 30.0\n"), "wrong magic"),
    ("socks", T(hx("0500")), "SOCKS5 greeting with zero methods"),
    ("socks", T(hx("05020001"), hx("0502")), "server picks a method never offered"),
    # ndpi:mssql_tds.pcap seen from the server's side alone: a TDS tabular result
    # (04 01 ...) reads as a SOCKS4 CONNECT to 0.53.1.0 with a binary user id
    ("socks", T(hx("0401002200350100fd0100f9000000000000000000fd0000")),
     "TDS result: SOCKS4 request to 0.0.0.0/8, user id not text"),
    ("bittorrent", T(b"\x13BitTorrent protocoX"), "one byte off"),
    # a game's datagrams joined mid-flow (ndpi:genshin-impact.pcap, drop views): the same
    # four header bytes each way, which read as a Viber tag and type 3 on every datagram
    ("viber", FlowView.udp([hx("9a3e0300") + bytes(60), hx("9a3e0300") + bytes(44)],
                           [hx("9a3e0300") + bytes(120)]),
     "one constant 4-byte header: no Viber message types"),
    # CAPWAP's DTLS preamble (RFC 5415 4.1: 01 00 00 00) before DTLS records, both ways:
    # a uTP data header with connection id 0 on each side
    ("bittorrent", FlowView.udp([hx("01000000" "16fefd0000000000000000002a01") + bytes(40)],
                                [hx("01000000" "16fefd0000000000000000003e02") + bytes(60)]),
     "CAPWAP DTLS both ways: uTP connection id 0"),
    ("wireguard", U(hx("01000000") + bytes(100)), "initiation of the wrong size"),
    # an ONC-RPC reply seen from the server alone (pcaps/corpus/nfs-1.pcap): xid
    # 0x1a2b3c01 reads as a Map-Request's type and record count, zeros as empty AFIs
    ("lisp", U(hx("1a2b3c01" "00000001") + bytes(104)), "RPC reply: a Map-Request with bytes after its records"),
    ("wireguard", U(hx("01000100") + bytes(144)), "non-zero reserved byte"),
    ("openvpn", U(hx("38") + bytes(60), hx("40") + bytes(60)), "resets with no session or time"),
    ("ike", U(bytes(8) + bytes(20)), "zero initiator SPI"),
    ("stun", U(hx("0001" "0004" "2112a442") + bytes(12) + hx("0000")), "attribute overruns"),
    ("stun", T(hx("0101000000000000") + bytes(12)), "classic STUN over TCP (no cookie)"),
    ("radius", U(hx("01" "01" "0030") + bytes(20)), "length field larger than the datagram"),
    ("snmp", U(hx("3009" "020105" "0403") + b"pub"), "version 5"),
    ("ldap", T(hx("3005" "0201ff" "6000")), "negative message id"),
    ("kerberos", U(hx("6a0a" "3008" "a103020104" "a200")), "pvno 4"),
    ("dhcp", U(hx("01010600") + bytes(232) + hx("00000000")), "BOOTP without magic cookie"),
    ("dhcpv6", U(hx("01123456" "00060002" "0017")), "option list without any identifier"),
    ("ntp", U(hx("e3000000") + bytes(43)), "a valid first byte but 47 bytes, not 48"),
    ("ntp", U(hx("16" "02" "0001" "0000" "0000" "0004" "0000")), "control request with a data offset"),
    ("ntp", U(hx("16" "0d" "0001" "0000" "0000" "0000" "0000")), "control opcode 13 (unassigned)"),
    ("ntp", U(hx("16" "22" "0001" "0000" "0000" "0000" "0000")), "control request with the More bit"),
    ("ntp", U(hx("16" "82" "0001" "0615" "0000" "0002" "0004") + b"ab=1"),
     "control response whose data offset is not 4-aligned"),
    ("ntp", U(hx("16" "c2" "0001" "0615" "0000" "0000" "0004") + b"ab=1"),
     "control error response carrying data"),
    ("tftp", U(hx("0001") + b"file\x00binary\x00"), "unknown transfer mode"),
    ("coap", U(hx("4fff0000")), "token length 15"),
    ("coap", U(hx("40cc0000")), "unregistered code 6.12"),
    ("coap", U(hx("7345" "3501" "6f524d" "c1" "32" "ff") + b"{}"), "a Reset carrying a response code "
     "(RFC 7252 4.5: Reset is always Empty)"),
    ("coap", U(hx("50001234")), "an Empty message of type NON"),
    ("coap", U(hx("61" "01" "a341" "01" "b4" "636f7265" "04" "74657374")), "a request sent as an ACK"),
    ("coap", U(hx("44" "45" "1234" "01020304" "b4" "636f7265" "01" "61")),
     "a lone response carrying Uri-Path (a request option)"),
    ("rtcp", U(hx("80c80006") + bytes(4)), "length runs past the datagram"),
    ("rtp", U(hx("80000001") + bytes(4) + hx("00000001") + bytes(4),
              hx("80000002") + bytes(4) + hx("00000002") + bytes(4)),
     "the SSRC changes from one packet to the next"),
    ("rtmp", T(hx("0300000b06e00000000000")), "a complete TPKT frame (S7/RDP), not RTMP"),
    ("rdp", T(hx("0300001611e00000000100c1020100c2020102c0010a")), "S7comm COTP CR with TSAPs"),
    ("vnc", T(b"", b"RFB 3.8\n"), "malformed version"),
    ("smb", T(hx("00000010ff534d43") + bytes(8)), "wrong protocol id"),
    ("smb", T(hx("81000044") + hx("20") + b"CKFDENECFDEFFCFGEFFCCACACACACACA" + hx("00")
              + hx("20") + b"FHEPFCELFDFEEBFEEJEPEOCACACACAAA" + hx("00") + hx("0000000a") + bytes(10)),
     "a session request followed by a session message that is not SMB"),
    ("netbios-ssn", T(hx("81000010") + bytes(16)), "session request of the wrong size"),
    ("netbios-dgm", U(hx("1000") + bytes(10)), "flags with reserved bits? no: too short header"),
    ("bgp", T(b"\xff" * 16 + hx("001306")), "message type 6"),
    ("dnp3", T(hx("05640ac4040003000000")), "header CRC does not verify"),
    ("iec104", T(hx("680408000000")), "U-format with an unknown function"),
    ("modbus", T(hx("00010001000601030000000a")), "protocol id 1"),
    ("syslog", U(b"<999>too large a PRI"), "PRI above 191"),
    ("syslog", U(b"<013>leading zero"), "PRI with a leading zero"),
    ("telnet", T(hx("fffa18")), "sub-negotiation never closed... prefix only"),
    ("xmpp", T(b"<?xml version='1.0'?><stream:stream xmlns='urn:other'>"), "other XML stream"),
    ("irc", T(b"HELLO world\r\n"), "free text"),
    ("memcached", T(b"set k 0 0\r\n"), "storage command missing its byte count"),
    ("mssql-tds", T(hx("04010008000001 00".replace(" ", ""))), "server response sent by a client"),
    ("slp", U(hx("0201" "000010" "ffff" "000000" "1234" "0002") + b"en"), "reserved flag bits set"),
    ("smallchat", U(b"HELLO there", b"HELP me"), "type-like words inside longer words"),
    ("smallchat", U(b"\x00\x00\x30\x39HLO alice"), "one datagram: a token by chance is too likely"),
    ("dtls", U(hx("16fefd") + bytes(8) + hx("0100") + b"short"), "record longer than datagram"),
]


@pytest.mark.parametrize("proto,view,why", NEAR_MISSES, ids=[f"{p}:{w[:40]}" for p, _, w in NEAR_MISSES])
def test_near_miss(proto, view, why):
    spec = next(s for s in SPECS if s.name == proto)
    assert spec.probe(view, {}).outcome != Outcome.MATCH, why


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_random_blobs_are_not_labelled(transport):
    rng = random.Random(20261121)
    labelled = []
    for _ in range(1500):
        a = rng.randbytes(rng.choice([1, 4, 8, 12, 20, 32, 48, 64, 100, 200, 600, 1300]))
        b = rng.randbytes(rng.choice([0, 8, 48, 100]))
        view = FlowView.tcp(a, b) if transport == "tcp" else FlowView.udp([a], [b] if b else [])
        label = ENGINE.classify(view)
        if label.protocol is not None:
            labelled.append((label.protocol, a[:16].hex()))
    assert labelled == []


# The weakest UDP probes, measured on random datagrams before issue 14 tightened them
# (per 500k: coap 95, smallchat 4, ntp 2): none may claim any of these.
@pytest.mark.parametrize("name", ["coap", "ntp", "smallchat"])
def test_weak_udp_probes_claim_no_random_datagram(name):
    spec = next(s for s in SPECS if s.name == name)
    first = spec.prefilter.c2s if spec.prefilter and spec.prefilter.c2s is not None else None
    rng = random.Random(14)
    claimed = []
    for _ in range(300_000):
        d = rng.randbytes(rng.choice([4, 8, 12, 20, 32, 48, 64, 100, 200, 600]))
        if first is not None and d[0] not in first:
            continue
        if spec.probe(FlowView.udp([d]), {}).outcome == Outcome.MATCH:
            claimed.append(d[:16].hex())
    assert claimed == []



def test_stun_binding_responses_seen_alone_are_not_utp():
    # The answering side of ICE connectivity checks alone (a one-direction capture):
    # Binding success responses (0x0101) read as uTP data headers with extension 1, and
    # two of one length "share" a connection id.  A whole STUN message (magic cookie at
    # 4, its length agreeing with the datagram) is no uTP header: the flow is STUN's.
    resp = (hx("0101", "0040", "2112a442")           # Binding success, 64 bytes of attributes, cookie
            + bytes(range(12))                        # transaction id
            + hx("0020", "0008", "0001", "0c72", "7c3d4504")   # XOR-MAPPED-ADDRESS, IPv4
            + hx("8022", "0004") + b"None"            # SOFTWARE "None"
            + hx("8028", "0004", "c1a28444")          # FINGERPRINT
            + hx("802b", "0008", "0001", "0578", "5b6c0923")   # RESPONSE-ORIGIN
            + hx("802c", "0008", "0001", "0579", "0a434263")   # OTHER-ADDRESS
            + hx("0004", "0008", "0001", "2d60", "00000000"))  # an 8-byte attribute
    assert len(resp) == 20 + 0x40
    view = FlowView.udp([resp, resp[:8] + bytes(range(12, 24)) + resp[20:]])
    bt = next(s for s in SPECS if s.name == "bittorrent")
    assert bt.probe(view, {}).outcome == Outcome.NO_MATCH
    assert ENGINE.classify(view).protocol == "stun"


def test_utp_headers_follow_bep29_beyond_the_first_two_bytes():
    bt = next(s for s in SPECS if s.name == "bittorrent")
    # DHCP: op 1, htype 1 reads as uTP data (type 0, version 1) with extension 1; its
    # selective-ack header at 20 would be siaddr's bytes: length 0, no bitmask.
    dhcp = hx("01010600", "12345678", "0000", "8000", "00000000", "00000000", "00000000",
              "00000000") + bytes(16) + bytes(192) + hx("63825363", "350101", "ff")
    assert bt.probe(FlowView.udp([dhcp, dhcp]), {}).outcome == Outcome.NO_MATCH
    # uTP itself (BEP 29): a SYN (type 4) and its ST_STATE answer, 20 bytes each, no
    # data; an ST_STATE with a 4-byte selective ack; data packets carry data
    syn = hx("41", "00", "4567", "00000001", "00000000", "00100000", "0001", "0000")
    state = hx("21", "00", "4567", "00000002", "00000001", "00100000", "2a2a", "0001")
    sack = hx("21", "01", "4567", "00000002", "00000001", "00100000", "2a2a", "0001", "0004", "00000001")
    data = hx("01", "00", "4568", "00000003", "00000001", "00100000", "0002", "2a2a") + b"payload"
    for c, s in (([syn], [state]), ([syn], [sack]), ([syn, data], [state])):
        assert bt.probe(FlowView.udp(c, s), {}).outcome == Outcome.MATCH
    # an ST_STATE that carries bytes, data without any, a selective ack of 3 bytes
    for bad in (state + b"x", data[:20], sack[:21] + b"\x03" + sack[22:25]):
        assert bt.probe(FlowView.udp([syn], [bad]), {}).outcome == Outcome.NO_MATCH
