"""Enterprise IT, database / queue, monitoring and network-infrastructure protocols,
built from their specifications (no real implementation of these is installed here):
pcaps/gen/peers/spec_peer.py plays each side of a scripted exchange on loopback, the
messages built below field by field.  The manifest says so: the server and client
software is "spec-built-python" and the variant names what the exchange shows.

One generator for the family; ``pcaps/generate --only infra`` rewrites all of them.
Where real software is installable the protocol has its own module instead (collectd,
munin, fastcgi, rpcbind for onc-rpc); their builders below stay for the record.
"""

from __future__ import annotations

import random
import struct
import uuid

from .core import spec_exchange

NAME = "infra"
MODES = ("random", "iana")

_rng = random.Random(14)          # fixed: regenerating gives the same bytes


def _rand(n: int) -> bytes:
    return bytes(_rng.randrange(256) for _ in range(n))


# --------------------------------------------------------------------- ONC RPC / NFS
def _xdr_string(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b + b"\x00" * (-len(b) % 4)


def _rpc_call(xid, prog, vers, proc, args=b"", auth_sys=True):
    if auth_sys:    # AUTH_SYS (RFC 5531 A): stamp, machine name, uid, gid, no extra gids
        body = struct.pack(">I", 0x5eed) + _xdr_string(b"client") + struct.pack(">III", 0, 0, 0)
        cred = struct.pack(">II", 1, len(body)) + body
    else:
        cred = struct.pack(">II", 0, 0)
    return struct.pack(">IIIIII", xid, 0, 2, prog, vers, proc) + cred + struct.pack(">II", 0, 0) + args


def _rpc_reply(xid, results=b""):
    # accepted (0), AUTH_NONE verifier, SUCCESS (0)
    return struct.pack(">IIIIII", xid, 1, 0, 0, 0, 0) + results


def _mark(msg: bytes) -> bytes:
    return struct.pack(">I", 0x80000000 | len(msg)) + msg


FH = bytes.fromhex("01000701000000000a000000a1b2c3d4")     # an opaque 16-byte file handle


def nfs(transport):
    call = _rpc_call(0x1a2b3c01, 100003, 3, 1, _xdr_string(FH))          # NFSv3 GETATTR
    reply = _rpc_reply(0x1a2b3c01, struct.pack(">I", 0) + b"\x00" * 84)  # NFS3_OK, fattr3
    if transport == "tcp":
        call, reply = _mark(call), _mark(reply)
    return [("c", call), ("s", reply)]


def onc_rpc(transport):
    if transport == "udp":      # PMAPPROC_GETPORT(nfs, 3, udp) -> 2049 (RFC 1833 3.2)
        call = _rpc_call(0x00c0ffee, 100000, 2, 3, struct.pack(">IIII", 100003, 3, 17, 0), auth_sys=False)
        return [("c", call), ("s", _rpc_reply(0x00c0ffee, struct.pack(">I", 2049)))]
    call = _rpc_call(0x00c0ffef, 100000, 2, 4, auth_sys=False)          # PMAPPROC_DUMP
    entry = struct.pack(">IIIII", 1, 100000, 2, 6, 111) + struct.pack(">I", 0)   # one mapping, end
    return [("c", _mark(call)), ("s", _mark(_rpc_reply(0x00c0ffef, entry)))]


# --------------------------------------------------------------------------- DCE/RPC
EPM = uuid.UUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa")      # the endpoint mapper
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")      # NDR transfer syntax v2


def _co(ptype, call_id, body, flags=0x03):
    # rpc_vers 5.0, PFC_FIRST_FRAG|PFC_LAST_FRAG, little-endian ASCII IEEE drep
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\x00\x00\x00", 16 + len(body), 0, call_id) + body


def dcerpc(transport):
    if transport == "tcp":
        ctx = struct.pack("<HBB", 0, 1, 0) + EPM.bytes_le + struct.pack("<HH", 3, 0) + NDR.bytes_le + struct.pack("<I", 2)
        bind = _co(11, 1, struct.pack("<HHIBBH", 4280, 4280, 0, 1, 0, 0) + ctx)
        port = b"135\x00"
        ack = _co(12, 1, struct.pack("<HHIH", 4280, 4280, 0x1234, len(port)) + port + b"\x00" * 2
                  + struct.pack("<BBH", 1, 0, 0) + struct.pack("<HH", 0, 0) + NDR.bytes_le + struct.pack("<I", 2))
        req = _co(0, 2, struct.pack("<IHH", 76, 0, 3) + b"\x00" * 76)          # ept_map (opnum 3)
        resp = _co(2, 2, struct.pack("<IHBB", 24, 0, 0, 0) + b"\x00" * 24)
        return [("c", bind), ("s", ack), ("c", req), ("s", resp)]
    act = uuid.UUID(bytes=_rand(16))

    def cl(ptype, flags1, body, seq=0):
        hdr = struct.pack("<BBBB3sB", 4, ptype, flags1, 0, b"\x10\x00\x00", 0) + b"\x00" * 16 + EPM.bytes_le \
            + act.bytes_le + struct.pack("<IIIHHHHHBB", 0, 3, seq, 3, 0xffff, 0xffff, len(body), 0, 0, 0)
        return hdr + body
    return [("c", cl(0, 0x20, b"\x00" * 24)), ("s", cl(2, 0x00, b"\x00" * 20))]   # request / response


# -------------------------------------------------------------------------- DNSCrypt
def dnscrypt(transport):
    nonce = _rand(12)
    query = _rand(8) + _rand(32) + nonce + _rand(16 + 256)        # magic, pk, nonce, MAC + padded query
    answer = b"r6fnvWj8" + nonce + _rand(12) + _rand(16 + 128)     # resolver magic, nonce, MAC + padded answer
    if transport == "tcp":
        query, answer = struct.pack(">H", len(query)) + query, struct.pack(">H", len(answer)) + answer
    return [("c", query), ("s", answer)]


# ------------------------------------------------------------------ network plumbing
def hsrp(transport):
    # v1 hello, speak then active: version 0, op 0, state, hello 3, hold 10, prio 110, group 1
    def v1(state):
        return struct.pack(">BBBBBBBB", 0, 0, state, 3, 10, 110, 1, 0) + b"cisco\x00\x00\x00" + bytes([127, 0, 0, 254])
    return [("c", v1(4)), ("c", v1(16))]


def teredo(transport):
    def ipv6(nh, payload, src=b"\xfe\x80" + b"\x00" * 13 + b"\x01", dst=b"\xff\x02" + b"\x00" * 13 + b"\x02"):
        return struct.pack(">IHBB", 0x60000000, len(payload), nh, 255) + src + dst + payload
    rs = struct.pack(">BBHI", 133, 0, 0, 0)                       # ICMPv6 router solicitation
    auth = struct.pack(">HBB", 1, 0, 0) + _rand(8) + b"\x00"       # auth indicator: no id, no value
    ra = struct.pack(">BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
    origin = struct.pack(">HH4s", 0, 0x1234 ^ 0xffff, bytes(b ^ 0xff for b in (127, 0, 0, 1)))
    return [("c", auth + ipv6(58, rs)), ("s", auth + origin + ipv6(58, ra))]


def bfd(transport):
    def ctl(state, my, your):
        return struct.pack(">BBBBIIIII", 0x20, state << 6, 3, 24, my, your, 1000000, 1000000, 0)
    return [("c", ctl(1, 0x11, 0)), ("s", ctl(2, 0x22, 0x11)), ("c", ctl(3, 0x11, 0x22))]


def capwap(transport):
    def hdr():      # preamble 0, HLEN 2 (8 bytes), RID 0, WBID 1, no flags
        return struct.pack(">I", (2 << 19) | (1 << 9)) + struct.pack(">HH", 0, 0)

    def control(mtype, elements):
        return hdr() + struct.pack(">IBHB", mtype, 0, len(elements) + 3, 0) + elements
    # Discovery Type (20) = 0 (unknown); WTP Board Data (38) vendor 0 and an empty board
    req = control(1, struct.pack(">HHB", 20, 1, 0) + struct.pack(">HHI", 38, 4, 0))
    resp = control(2, struct.pack(">HH", 4, 2) + struct.pack(">H", 0) +      # AC Descriptor (truncated)
                   struct.pack(">HH", 4, 0))
    return [("c", req), ("s", resp)]


def gtp(transport):
    # GTPv2-C Echo Request / Response (TS 29.274 7.1): no TEID, sequence, Recovery IE (3)
    def echo(t, seq):
        ie = struct.pack(">BHB", 3, 1, 0) + b"\x07"
        return struct.pack(">BBH", 0x40, t, 4 + len(ie)) + struct.pack(">I", seq << 8) + ie
    return [("c", echo(1, 0x000101)), ("s", echo(2, 0x000101))]


def pfcp(transport):
    # Heartbeat Request / Response (TS 29.244 7.4.2): Recovery Time Stamp IE (96, 4 bytes)
    def hb(t, seq):
        ie = struct.pack(">HHI", 96, 4, 0xe5f0a000)
        return struct.pack(">BBH", 0x20, t, 4 + len(ie)) + struct.pack(">I", seq << 8) + ie
    return [("c", hb(1, 7)), ("s", hb(2, 7))]


def nat_pmp(transport):
    return [("c", b"\x00\x00"),                                                    # external address?
            ("s", struct.pack(">BBHI4s", 0, 128, 0, 86400, bytes([192, 0, 2, 1]))),
            ("c", struct.pack(">BBHHHI", 0, 2, 0, 8080, 8080, 3600)),               # map TCP 8080
            ("s", struct.pack(">BBHIHHI", 0, 130, 0, 86401, 8080, 8080, 3600))]


def xdmcp(transport):
    query = struct.pack(">HHH", 1, 2, 1) + b"\x00"                          # Query, no auth names
    body = _array8(b"") + _array8(b"xdm-host") + _array8(b"Willing to manage")
    return [("c", query), ("s", struct.pack(">HHH", 1, 5, len(body)) + body)]


def _array8(b: bytes) -> bytes:
    return struct.pack(">H", len(b)) + b


def wsd(transport):
    ns = ('xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
          'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
          'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"')
    probe = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope %s><soap:Header>'
             '<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>'
             '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>'
             '<wsa:MessageID>urn:uuid:%s</wsa:MessageID></soap:Header><soap:Body><wsd:Probe/>'
             '</soap:Body></soap:Envelope>' % (ns, uuid.UUID(bytes=_rand(16))))
    match = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope %s><soap:Header>'
             '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>'
             '</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch><wsd:XAddrs>'
             'http://127.0.0.1:5357/</wsd:XAddrs></wsd:ProbeMatch></wsd:ProbeMatches></soap:Body>'
             '</soap:Envelope>' % ns)
    return [("c", probe.encode()), ("s", match.encode())]


# ------------------------------------------------------------------------ monitoring
def collectd(transport):
    def s(t, v):
        return struct.pack(">HH", t, 5 + len(v)) + v + b"\x00"

    def n(t, v):
        return struct.pack(">HHQ", t, 12, v)
    values = struct.pack(">HHH", 6, 6 + 9 * 2, 2) + bytes([1, 1]) + struct.pack("<dd", 0.5, 0.25)  # two gauges
    dg = (s(0x0000, b"portlens-host") + n(0x0008, 1_700_000_000 << 30) + n(0x0009, 10 << 30)
          + s(0x0002, b"load") + s(0x0004, b"load") + values)
    return [("c", dg), ("c", dg[:len(dg) - len(values)] + values)]


def netflow(transport):
    rec = struct.pack(">4s4s4sHHIIIIHHBBBBHHBBH", bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), b"\x00" * 4,
                      1, 2, 10, 840, 1000, 2000, 40000, 443, 0, 0x18, 6, 0, 0, 0, 24, 24, 0)
    head = struct.pack(">HHIIIIBBH", 5, 2, 123456, 1_700_000_000, 0, 1, 0, 0, 0)
    return [("c", head + rec + rec)]


def sflow(transport):
    counters = struct.pack(">II", 1, 88) + struct.pack(">IIQIQIIIIIIQIIIII", 1, 6, 1_000_000_000, 3, 0,
                                                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)[:88]
    sample = struct.pack(">III", 1, 1, 1) + counters              # seq, source id, 1 record
    head = struct.pack(">II4sIIII", 5, 1, bytes([127, 0, 0, 1]), 0, 1, 60000, 1)
    return [("c", head + struct.pack(">II", 2, len(sample)) + sample)]


def munin(transport):
    return [("s", b"# munin node at portlens-node\n"), ("c", b"list\n"), ("s", b"cpu df load\n"),
            ("c", b"fetch load\n"), ("s", b"load.value 0.42\n.\n"), ("c", b"quit\n")]


def checkmk(transport):
    return [("s", b"<<<check_mk>>>\nVersion: 2.2.0p1\nAgentOS: linux\nHostname: portlens-node\n"
                  b"<<<uptime>>>\n12345.67 23456.78\n")]


# ------------------------------------------------------------------------ enterprise
def ajp(transport):
    def s(b):
        return struct.pack(">H", len(b)) + b + b"\x00"
    fwd = (b"\x02\x02" + s(b"HTTP/1.1") + s(b"/index.jsp") + s(b"127.0.0.1") + s(b"localhost")
           + s(b"localhost") + struct.pack(">H", 80) + b"\x00" + struct.pack(">H", 1)
           + struct.pack(">H", 0xA00B) + s(b"localhost") + b"\xff")
    hdrs = b"\x04" + struct.pack(">H", 200) + s(b"OK") + struct.pack(">H", 1) + struct.pack(">H", 0xA007) + s(b"2")
    body = b"\x03" + struct.pack(">H", 2) + b"ok\x00"
    end = b"\x05\x01"
    return [("c", b"\x12\x34" + struct.pack(">H", len(fwd)) + fwd),
            ("s", b"AB" + struct.pack(">H", len(hdrs)) + hdrs + b"AB" + struct.pack(">H", len(body)) + body
             + b"AB" + struct.pack(">H", len(end)) + end)]


def usenet(transport):
    return [("s", b"200 news.portlens.test InterNetNews NNRP server ready (posting ok)\r\n"),
            ("c", b"CAPABILITIES\r\n"), ("s", b"101 Capability list:\r\nVERSION 2\r\nREADER\r\nLIST ACTIVE\r\n.\r\n"),
            ("c", b"GROUP misc.test\r\n"), ("s", b"211 2 1 2 misc.test\r\n"), ("c", b"QUIT\r\n"), ("s", b"205 bye\r\n")]


def skinny(transport):
    def msg(mid, data=b""):
        return struct.pack("<III", 4 + len(data), 0, mid) + data
    reg = msg(0x0001, b"SEP0011223344\x00\x00\x00" + struct.pack("<II4sII", 0, 1, bytes([127, 0, 0, 1]), 7, 0))
    ack = msg(0x0081, struct.pack("<I", 30) + b"D/M/Y\x00" + b"\x00" * 2 + struct.pack("<I", 60))
    return [("c", reg), ("s", ack), ("c", msg(0x0000)), ("s", msg(0x0100))]      # KeepAlive / Ack


def afp(transport):
    status = b"\x00" * 8 + b"\x0aportlens-fs" + b"\x00" * 5
    return [("c", struct.pack(">BBHIII", 0, 3, 1, 0, 0, 0)),                      # DSIGetStatus
            ("s", struct.pack(">BBHIII", 1, 3, 1, 0, len(status), 0) + status)]


def drda(transport):
    def dss(fmt, corr, cp, params):
        return struct.pack(">HBBHHH", 10 + len(params), 0xD0, fmt, corr, 4 + len(params), cp) + params
    # EXCSAT: EXTNAM (0x115E) and SRVCLSNM (0x1147), in EBCDIC as DB2 sends them
    ext = "db2jcc_application".encode("cp500")
    excsat = dss(0x41, 1, 0x1041, struct.pack(">HH", 4 + len(ext), 0x115E) + ext)
    srv = "QDB2/LINUXX8664".encode("cp500")
    excsatrd = dss(0x02, 1, 0x1443, struct.pack(">HH", 4 + len(srv), 0x1147) + srv)
    return [("c", excsat), ("s", excsatrd)]


def fastcgi(transport):
    def rec(t, rid, content):
        pad = -len(content) % 8
        return struct.pack(">BBHHBB", 1, t, rid, len(content), pad, 0) + content + b"\x00" * pad

    def nv(n, v):
        return bytes([len(n), len(v)]) + n + v
    params = nv(b"SCRIPT_FILENAME", b"/srv/index.php") + nv(b"REQUEST_METHOD", b"GET")
    req = (rec(1, 1, struct.pack(">HB5x", 1, 0)) + rec(4, 1, params) + rec(4, 1, b"") + rec(5, 1, b""))
    out = b"Content-type: text/plain\r\n\r\nok"
    resp = rec(6, 1, out) + rec(6, 1, b"") + rec(3, 1, struct.pack(">IB3x", 0, 0))
    return [("c", req), ("s", resp)]


def hl7(transport):
    msg = (b"MSH|^~\\&|PORTLENS|LAB|EHR|HOSP|20240101120000||ADT^A01|MSG00001|P|2.5\r"
           b"PID|1||12345^^^HOSP^MR||DOE^JOHN||19700101|M\r")
    ack = b"MSH|^~\\&|EHR|HOSP|PORTLENS|LAB|20240101120001||ACK^A01|ACK00001|P|2.5\rMSA|AA|MSG00001\r"
    return [("c", b"\x0b" + msg + b"\x1c\r"), ("s", b"\x0b" + ack + b"\x1c\r")]


def jrmi(transport):
    host = b"127.0.0.1"
    return [("c", b"JRMI\x00\x02\x4b"), ("s", b"\x4e" + struct.pack(">H", len(host)) + host + struct.pack(">I", 40000)),
            ("c", struct.pack(">H", len(host)) + host + struct.pack(">I", 0)),
            ("c", b"\x50\xac\xed\x00\x05")]              # a Call, then a Java serialization stream


def openflow(transport):
    hello = struct.pack(">BBHI", 4, 0, 16, 1) + struct.pack(">HHI", 1, 8, 1 << 4)   # 1.3, version bitmap
    feats = struct.pack(">BBHI", 4, 5, 8, 2)                                       # FEATURES_REQUEST
    reply = struct.pack(">BBHI", 4, 6, 32, 2) + struct.pack(">QIBB2xII", 0x0000aabbccddeeff, 256, 254, 0, 0x4f, 0)
    return [("c", hello), ("s", struct.pack(">BBHI", 4, 0, 16, 9) + hello[8:]), ("c", feats), ("s", reply)]


def openwire(transport):
    def info(props):
        body = b"\x01" + b"ActiveMQ" + struct.pack(">I", 12) + b"\x01" + struct.pack(">I", len(props)) + props
        return struct.pack(">I", len(body)) + body
    props = struct.pack(">I", 1) + struct.pack(">H", 13) + b"TcpNoDelayEnabled" [:13] + b"\x01\x01"
    return [("c", info(props)), ("s", info(props))]


def pptp(transport):
    def sccr(ctype, host, vendor, result=b""):
        body = struct.pack(">HH", 0x0100, 0) if not result else struct.pack(">HBB", 0x0100, 1, 0)
        body += struct.pack(">IIHH", 1, 1, 1, 0x0100)                       # framing, bearer, channels, firmware
        body += host.ljust(64, b"\x00") + vendor.ljust(64, b"\x00")
        return struct.pack(">HHIHH", 156, 1, 0x1A2B3C4D, ctype, 0) + body
    return [("c", sccr(1, b"portlens-client", b"spec-built")), ("s", sccr(2, b"portlens-server", b"spec-built", b"ok"))]


def stomp(transport):
    return [("c", b"CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\x00"),
            ("s", b"CONNECTED\nversion:1.2\nserver:portlens-spec/1\nheart-beat:0,0\n\n\x00"),
            ("c", b"DISCONNECT\nreceipt:77\n\n\x00"), ("s", b"RECEIPT\nreceipt-id:77\n\n\x00")]


def rx(transport):
    epoch, cid = 0xe5a1b2c3, 0x12345600      # a kernel client's epoch: its time with the high bit set

    def pkt(call, seq, serial, ptype, flags, payload=b""):
        return struct.pack(">IIIIIBBBBHH", epoch, cid, call, seq, serial, ptype, flags, 0, 0, 0, 52) + payload
    # a VL call (service 52): client data with the client-initiated and last-packet flags,
    # the server's reply data, the client's ack
    return [("c", pkt(1, 1, 1, 1, 0x01 | 0x04, struct.pack(">I", 527) + _xdr_string(b"root.cell"))),
            ("s", pkt(1, 1, 1, 1, 0x04, struct.pack(">I", 0) + b"\x00" * 64)),
            ("c", pkt(1, 0, 2, 2, 0x01, b"\x00" * 18))]


def lisp(transport):
    # Map-Register (RFC 9301 5.6): type 3, want-map-notify (M), one record; key id 1,
    # 20 bytes of HMAC-SHA-1; EID 10.0.0.2/32 with one locator 127.0.0.1 (L and R flags)
    def msg(first, flags):
        record = (struct.pack(">IBBHH", 1440, 1, 32, 0x1000, 0) + struct.pack(">H4s", 1, bytes([10, 0, 0, 2]))
                  + struct.pack(">BBBBHH4s", 1, 100, 255, 0, 0x0005, 1, bytes([127, 0, 0, 1])))
        return struct.pack(">BBBB", first, 0, flags, 1) + bytes.fromhex("67ab931f9e8b974a") \
            + struct.pack(">HH", 1, 20) + _rand(20) + record
    return [("c", msg(0x30, 0x01)), ("s", msg(0x40, 0x00))]      # Map-Register, Map-Notify


def lustre(transport):
    # LNet socklnd (Lustre source, lnet-idl.h): acceptor request, HELLO v3 both ways,
    # then an LNet PUT.  NIDs: 127.0.0.1 on tcp0 (network type SOCKLND 2), little-endian.
    me, peer = struct.unpack("<Q", bytes([1, 0, 0, 127, 0, 0, 2, 0]))[0], \
        struct.unpack("<Q", bytes([2, 0, 0, 127, 0, 0, 2, 0]))[0]

    def hello(src, dst):
        return struct.pack("<IIQQIIQQII", 0x45726963, 3, src, dst, 12345, 12345, 0x17f0820a, 0, 1, 0)
    acceptor = struct.pack("<IIQ", 0xACCE7100, 1, peer)
    put = (struct.pack("<IIQQ", 0xC1, 0, 0, 0)                               # ksock LNet message
           + struct.pack("<QQIIII", peer, me, 12345, 12345, 1, 64) + bytes(72 - 32) + bytes(64))
    return [("c", acceptor + hello(me, peer)), ("s", hello(peer, me)), ("c", put)]


def zabbix(transport):
    # an active agent's check request and the server's answer (Zabbix protocol header)
    def msg(data):
        return b"ZBXD\x01" + struct.pack("<II", len(data), 0) + data
    return [("c", msg(b'{"request":"active checks","host":"portlens-node"}')),
            ("s", msg(b'{"response":"success","data":[{"key":"system.uptime","delay":60}]}'))]


def nats(transport):
    info = (b'INFO {"server_id":"NDPORTLENS","server_name":"portlens","version":"2.10.0","proto":1,'
            b'"host":"127.0.0.1","port":4222,"headers":true,"max_payload":1048576}\r\n')
    connect = (b'CONNECT {"verbose":false,"pedantic":false,"name":"portlens","lang":"python3",'
               b'"version":"2.0.0","protocol":1}\r\nPING\r\n')
    return [("s", info), ("c", connect), ("s", b"PONG\r\n"), ("c", b"SUB portlens.test 1\r\nPUB portlens.test 2\r\nhi\r\n"),
            ("s", b"MSG portlens.test 1 2\r\nhi\r\n")]


def tacacs(transport):
    # an authentication START (RFC 8907 5.1) and its REPLY, obfuscated bodies (random here)
    def pkt(seq, body):
        return struct.pack(">BBBBII", 0xc1, 1, seq, 0, 0x5eed1234, len(body)) + body
    return [("c", pkt(1, _rand(26))), ("s", pkt(2, _rand(14)))]


def diameter(transport):
    def avp(code, data, vendor=None):
        flags = 0x40 | (0x80 if vendor else 0)
        head = struct.pack(">II", code, flags << 24 | (8 + (4 if vendor else 0) + len(data)))
        return head + (struct.pack(">I", vendor) if vendor else b"") + data + b"\0" * (-len(data) % 4)

    def msg(flags, avps):
        body = b"".join(avps)
        return struct.pack(">II", 1 << 24 | (20 + len(body)), flags << 24 | 257) + struct.pack(">III", 0, 0x1234, 0x5678) + body
    common = [avp(264, b"portlens.test"), avp(296, b"test"), avp(257, b"\0\x01" + bytes([127, 0, 0, 1])),
              avp(266, struct.pack(">I", 0)), avp(269, b"portlens")]
    return [("c", msg(0x80, common)), ("s", msg(0x00, [avp(268, struct.pack(">I", 2001))] + common))]


def x11(transport):
    # connection setup, LSB first, MIT-MAGIC-COOKIE-1 with a 16-byte cookie; Success
    name, cookie = b"MIT-MAGIC-COOKIE-1", _rand(16)
    setup = struct.pack("<BxHHHH2x", 0x6C, 11, 0, len(name), len(cookie)) + name + b"\0" * (-len(name) % 4) + cookie
    vendor = b"portlens spec-built"
    body = (struct.pack("<IIIIHHBBBBBBBB4x", 12101011, 0x00400000, 0x001fffff, 256, len(vendor), 65535, 1, 1,
                        0, 0, 32, 32, 8, 255) + vendor + b"\0" * (-len(vendor) % 4))
    reply = struct.pack("<BxHHH", 1, 11, 0, len(body) // 4) + body
    return [("c", setup), ("s", reply)]


# protocol -> (transport(s), IANA or conventional port, builder, what the exchange shows)
EXCHANGES = [
    ("nfs", ("udp", "tcp"), 2049, nfs, "NFSv3 GETATTR call and reply (AUTH_SYS)"),
    ("dcerpc", ("tcp", "udp"), 135, dcerpc, "CO bind/bind_ack + ept_map request/response (tcp); CL request/response (udp)"),
    ("dnscrypt", ("udp", "tcp"), 443, dnscrypt, "an encrypted query and the resolver's answer (random ciphertext)"),
    ("hsrp", ("udp",), 1985, hsrp, "two HSRPv1 hellos (speak, active)"),
    ("teredo", ("udp",), 3544, teredo, "router solicitation with an auth indicator; advertisement with origin indication"),
    ("rx", ("udp",), 7003, rx, "a VL call: client data, server reply, client ack"),
    ("bfd", ("udp",), 3784, bfd, "three control packets bringing a session Down -> Init -> Up"),
    ("capwap", ("udp",), 5246, capwap, "Discovery Request and Discovery Response"),
    ("nat-pmp", ("udp",), 5351, nat_pmp, "external address request/response, TCP mapping request/response"),
    ("ajp", ("tcp",), 8009, ajp, "Forward Request GET /index.jsp; Send Headers, Body Chunk, End Response"),
    ("usenet", ("tcp",), 119, usenet, "greeting, CAPABILITIES, GROUP, QUIT"),
    ("skinny", ("tcp",), 2000, skinny, "Register / RegisterAck, KeepAlive / KeepAliveAck"),
    ("wsd", ("udp",), 3702, wsd, "Probe and ProbeMatches"),
    ("afp", ("tcp",), 548, afp, "DSIGetStatus request and reply"),
    ("checkmk", ("tcp",), 6556, checkmk, "the agent's report (check_mk and uptime sections)"),
    ("drda", ("tcp",), 446, drda, "EXCSAT and EXCSATRD"),
    ("gtp", ("udp",), 2123, gtp, "GTPv2-C Echo Request / Response"),
    ("hl7", ("tcp",), 2575, hl7, "an ADT^A01 message and its ACK over MLLP"),
    ("jrmi", ("tcp",), 1099, jrmi, "JRMI stream protocol header, ProtocolAck, client endpoint, a call"),
    ("netflow", ("udp",), 2055, netflow, "a NetFlow v5 export with two records"),
    ("openflow", ("tcp",), 6653, openflow, "OpenFlow 1.3 HELLOs, FEATURES_REQUEST / REPLY"),
    ("openwire", ("tcp",), 61616, openwire, "WireFormatInfo both ways"),
    ("pfcp", ("udp",), 8805, pfcp, "Heartbeat Request / Response"),
    ("pptp", ("tcp",), 1723, pptp, "Start-Control-Connection-Request / Reply"),
    ("sflow", ("udp",), 6343, sflow, "an sFlow v5 datagram with one counters sample"),
    ("stomp", ("tcp",), 61613, stomp, "CONNECT / CONNECTED, DISCONNECT / RECEIPT"),
    ("xdmcp", ("udp",), 177, xdmcp, "Query and Willing"),
    ("lisp", ("udp",), 4342, lisp, "Map-Register and Map-Notify"),
    ("lustre", ("tcp",), 988, lustre, "acceptor request, HELLO v3 both ways, an LNet PUT"),
    ("zabbix", ("tcp",), 10051, zabbix, "an active-checks request and its answer"),
    ("nats", ("tcp",), 4222, nats, "INFO, CONNECT, PING/PONG, SUB, PUB, MSG"),
    ("tacacs", ("tcp",), 49, tacacs, "authentication START and REPLY (obfuscated bodies, random bytes)"),
    ("diameter", ("tcp",), 3868, diameter, "Capabilities-Exchange-Request and Answer"),
    ("x11", ("tcp",), 6000, x11, "connection setup (MIT-MAGIC-COOKIE-1) and Success"),
]
PREFIXES = tuple(p for p, *_ in EXCHANGES)


def run(ctx):
    for proto, transports, iana, build, what in EXCHANGES:
        for transport in transports:
            spec_exchange(ctx, proto, transport, ctx.port(iana), build(transport), f"{proto}-{transport}.json",
                          f"spec-built: {what}")
