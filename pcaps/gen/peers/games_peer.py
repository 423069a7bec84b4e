"""Spec-built peers for the games / peer-to-peer / real-time family (pcaps/gen/games.py):
``games_peer.py PROTOCOL VARIANT PORT``.

No real software for these protocols installs on Debian 12 here, so each exchange is
built from the protocol's public description (cited in the detector module's
docstring) and spoken by two Python sockets on loopback: the client sends its step,
the server receives it and answers with its own, in order.  The bytes are ours (fixed
strings, a seeded RNG for ids and padding), never copied from other captures.
"""
from __future__ import annotations

import random
import socket
import struct
import sys
import threading
import time

RNG = random.Random(1414)


def rb(n: int) -> bytes:
    return bytes(RNG.randrange(256) for _ in range(n))


# ---------------------------------------------------------------- per-protocol steps
# Each builder returns [(side, bytes)], side "c" (client to server) or "s".

def sd_rtn(variant):
    host = {"edge-a": b"198-51-100-17.edge.sd-rtn.example", "edge-b": b"203-0-113-42.edge.sd-rtn.example"}[variant]
    sid = rb(4)
    req = (b"\x00" + sid + b"\x00" + b"\x21" + b"\x00" * 5 + b"\x04SNI" + struct.pack(">H", len(host)) + b"\x00"
           + host + b"\x00\x04PEID" + rb(16) + b"\x00\x04PROF" + rb(24))
    rep = b"\x00" + rb(4) + b"\x00" + b"\x23" + b"\x00" + sid + b"\x00\x04PEID" + rb(16) + rb(64)
    return [("c", req), ("s", rep), ("c", req[:6] + b"\x21" + req[7:]), ("s", rep)]


RAKNET_MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")


def raknet(variant):
    cguid, sguid = rb(8), rb(8)
    if variant == "ping-pong":
        motd = b"MCPE;portlens spec-built;594;1.20.10;0;10;" + str(int.from_bytes(sguid, "big")).encode() + b";world;Survival;1;19132;19133;"
        out = []
        for t in (1000, 2000):
            ping = b"\x01" + struct.pack(">Q", t) + RAKNET_MAGIC + cguid
            pong = b"\x1c" + struct.pack(">Q", t) + sguid + RAKNET_MAGIC + struct.pack(">H", len(motd)) + motd
            out += [("c", ping), ("s", pong)]
        return out
    # open-connection: request 1 (padded to the MTU probe), reply 1, request 2, reply 2,
    # then a connected frame set (Connection Request) and its ACK
    req1 = b"\x05" + RAKNET_MAGIC + b"\x0b" + bytes(1400 - 18)
    rep1 = b"\x06" + RAKNET_MAGIC + sguid + b"\x00" + struct.pack(">H", 1400)
    addr4 = b"\x04" + bytes(255 - b for b in (127, 0, 0, 1)) + struct.pack(">H", 19132)
    req2 = b"\x07" + RAKNET_MAGIC + addr4 + struct.pack(">H", 1400) + cguid
    rep2 = b"\x08" + RAKNET_MAGIC + sguid + addr4 + struct.pack(">H", 1400) + b"\x00"
    body = b"\x09" + cguid + struct.pack(">Q", 5000) + b"\x00"      # Connection Request
    frame = bytes([2 << 5]) + struct.pack(">H", len(body) * 8) + b"\x00\x00\x00" + body  # reliable
    fset = b"\x84" + b"\x00\x00\x00" + frame
    ack = b"\xc0" + struct.pack(">H", 1) + b"\x01" + b"\x00\x00\x00"
    return [("c", req1), ("s", rep1), ("c", req2), ("s", rep2), ("c", fset), ("s", ack)]


def _photon(peer, count, cmds):
    return struct.pack(">HBBII", peer, 0, count, RNG.randrange(1 << 31), 0x22b6e6ba) + b"".join(cmds)


def _pcmd(kind, channel, flags, body, seq):
    return struct.pack(">BBBBII", kind, channel, flags, 0, 12 + len(body), seq) + body


def photon(variant):
    if variant == "connect":
        connect = _pcmd(2, 0xff, 1, struct.pack(">HH", 0, 1200) + bytes(28), 1)   # 44 bytes
        verify = _pcmd(3, 0xff, 1, struct.pack(">HH", 0, 0x47eb) + bytes(28), 1)
        ack = _pcmd(1, 0xff, 0, struct.pack(">II", 1, 1000), 0)
        return [("c", _photon(0xffff, 1, [connect])), ("s", _photon(0x0000, 2, [ack, verify])),
                ("c", _photon(0x47eb, 1, [ack]))]
    # reliable operation request and its ack + response
    op = _pcmd(6, 0, 1, b"\xf3\x02\xe6\x00\x01\x62\x00", 2)
    ack = _pcmd(1, 0, 0, struct.pack(">II", 2, 1500), 0)
    resp = _pcmd(6, 0, 1, b"\xf3\x03\xe6\x00\x00\x2a\x00\x00", 2)
    return [("c", _photon(0x47eb, 1, [op])), ("s", _photon(0x0000, 2, [ack, resp])),
            ("c", _photon(0x47eb, 1, [ack]))]


def genshin(variant):
    conv, token = RNG.randrange(1 << 32), RNG.randrange(1 << 32)
    c = struct.pack(">IIIII", 0xff, 0, token, 1234567890, 0xffffffff)
    s = struct.pack(">IIIII", 0x145, conv, token, 1234567890, 0x14514545)
    out = [("c", c), ("s", s)]
    if variant == "handshake-disconnect":
        out += [("c", struct.pack(">IIIII", 0x194, conv, token, 1, 0x19419494))]
    return out


def _kseg(conv, cmd, sn, una, data=b"", frg=0, wnd=128):
    return struct.pack("<IBBHIIII", conv, cmd, frg, wnd, 1000 + sn, sn, una, len(data)) + data


def kcp(variant):
    conv = RNG.randrange(1 << 32)
    if variant == "push-ack":
        d0, d1 = rb(200), rb(90)
        return [("c", _kseg(conv, 81, 0, 0, d0)), ("s", _kseg(conv, 82, 0, 1)),
                ("c", _kseg(conv, 81, 1, 0, d1)), ("s", _kseg(conv, 82, 1, 2) + _kseg(conv, 81, 0, 2, b"pong"))]
    # a fragmented message (frg counts down) and a window probe
    return [("c", _kseg(conv, 81, 0, 0, rb(300), frg=1) + _kseg(conv, 81, 1, 0, rb(120), frg=0)),
            ("s", _kseg(conv, 82, 0, 2) + _kseg(conv, 82, 1, 2)),
            ("c", _kseg(conv, 83, 2, 0)), ("s", _kseg(conv, 84, 0, 2))]


def teamspeak(variant):
    head_c = b"TS3INIT1" + b"\x00\x65" + b"\x00\x00" + b"\x88"
    head_s = b"TS3INIT1" + b"\x00\x65" + b"\x88"
    version = struct.pack(">I", 0x5f5916e0 if variant == "init-a" else 0x61234567)
    rnd = rb(4)
    c0 = head_c + version + b"\x00" + struct.pack(">I", int(time.time())) + rnd + bytes(8)
    s1 = head_s + b"\x01" + rb(16) + rnd[::-1]
    c2 = head_c + version + b"\x02" + s1[12:28] + rnd[::-1]
    s3 = head_s + b"\x03" + rb(64) + rb(64) + struct.pack(">I", 10000) + rb(100)
    return [("c", c0), ("s", s1), ("c", c2), ("s", s3)]


def netcode(variant):
    proto = struct.pack("<Q", 0x1122334455667788 if variant == "request-a" else 0x0102030405060708)
    req = b"\x00" + b"NETCODE 1.02\x00" + proto + struct.pack("<Q", int(time.time()) + 30) + rb(24) + rb(1024)
    challenge = bytes([0x12]) + b"\x01" + rb(8 + 300 + 16)          # type 2, one sequence byte
    response = bytes([0x13]) + b"\x01" + rb(8 + 300 + 16)
    keepalive = bytes([0x14]) + b"\x02" + rb(8 + 16)
    return [("c", req), ("s", challenge), ("c", response), ("s", keepalive)]


def _ed(op, body, proto=0xE3):
    return bytes([proto]) + struct.pack("<I", 1 + len(body)) + bytes([op]) + body


def _tag_str(tid, s):
    return b"\x02" + struct.pack("<H", 1) + bytes([tid]) + struct.pack("<H", len(s)) + s


def _tag_int(tid, v):
    return b"\x03" + struct.pack("<H", 1) + bytes([tid]) + struct.pack("<I", v)


def edonkey(variant):
    uhash = rb(16)
    tags = _tag_str(0x01, b"portlens") + _tag_int(0x11, 0x3c)
    body = uhash + struct.pack("<IH", 0x0100007f, 4662) + struct.pack("<I", 2) + tags
    if variant == "client-hello":
        hello = _ed(0x01, b"\x10" + body + struct.pack("<IH", 0, 0))
        answer = _ed(0x4c, rb(16) + struct.pack("<IH", 0x0100007f, 4672) + struct.pack("<I", 2) + tags + struct.pack("<IH", 0, 0))
        return [("c", hello), ("s", answer), ("c", _ed(0x58, rb(16))), ("s", _ed(0x59, rb(16) + b"\x00\x00"))]
    login = _ed(0x01, body)
    msg = b"server version 17.15 (portlens spec-built)"
    return [("c", login), ("s", _ed(0x38, struct.pack("<H", len(msg)) + msg) + _ed(0x40, struct.pack("<I", 0x0100007f))),
            ("c", _ed(0x14, b"")), ("s", _ed(0x34, struct.pack("<II", 42, 4200)))]


def _rtp(pt, seq, ts, ssrc, payload):
    return struct.pack(">BBHII", 0x80, pt, seq, ts, ssrc) + payload


def zoom(variant):
    if variant == "p2p":
        # type 0x1f, 0x02 0x01, the rest of the 24-byte header, then the sender's
        # address and a UUID as length-prefixed text, then four zero bytes
        uuid = b"3F2A9C1E-7B4D-4E8A-9C61-0D5E7A2B8F14"
        out = []
        for side, ip in (("c", b"192.0.2.10"), ("s", b"198.51.100.20")):
            head = b"\x1f\x02\x01\x00\x08\x00\x01\x00\x04\x00" + rb(4) + struct.pack(">II", 7, RNG.randrange(1 << 31)) + b"\x00\x00"
            msg = head + struct.pack(">I", len(ip)) + ip + struct.pack(">I", len(uuid)) + uuid + bytes(4)
            out.append((side, msg))
        return out + out
    # SFU type 5 carrying audio (media type 15, RTP 19 bytes in) both ways
    out = []
    for i in range(3):
        for side, direction in (("c", 0), ("s", 4)):
            zme = bytes([15]) + rb(8) + struct.pack(">HI", 100 + i, 16000 * i) + rb(4)     # 19 bytes
            sfu = bytes([5]) + struct.pack(">H", 7 + i) + rb(4) + bytes([direction])
            out.append((side, sfu + zme + _rtp(112, 500 + i, 960 * i, 0x5ea1f00d + direction, rb(60))))
    return out


def nano(variant):
    net = {"live": b"C", "beta": b"B"}[variant]
    def head(ext):
        return b"R" + net + bytes([20, 20, 18]) + b"\x0a" + struct.pack("<H", ext)
    query = head(0x1 | 0x4) + rb(32)                                   # cookie
    answer = head(0x1 | 0x2 | 0x4) + rb(32) + rb(32) + rb(32) + rb(32) + rb(64)   # cookie; id, salt, genesis, signature
    reply = head(0x2 | 0x4) + rb(32) + rb(32) + rb(32) + rb(64)
    keepalive = b"R" + net + bytes([20, 20, 18]) + b"\x02" + b"\x00\x00" + rb(8 * 18)
    return [("c", query), ("s", answer), ("c", reply), ("s", keepalive)]


def _btc(cmd, payload, magic):
    import hashlib
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return magic + cmd.ljust(12, b"\x00") + struct.pack("<I", len(payload)) + check + payload


def bitcoin(variant):
    magic = {"mainnet": b"\xf9\xbe\xb4\xd9", "regtest": b"\xfa\xbf\xb5\xda"}[variant]
    def version(ua, height):
        addr = struct.pack("<Q", 0) + bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1]) + struct.pack(">H", 8333)
        return (struct.pack("<iQq", 70016, 0x409, int(time.time())) + addr + addr + rb(8)
                + bytes([len(ua)]) + ua + struct.pack("<i?", height, True))
    return [("c", _btc(b"version", version(b"/portlens-spec-built:0.1/", 0), magic)),
            ("s", _btc(b"version", version(b"/Satoshi:27.0.0/", 850000), magic) + _btc(b"verack", b"", magic)),
            ("c", _btc(b"verack", b"", magic)),
            ("s", _btc(b"sendcmpct", b"\x00" + struct.pack("<Q", 2), magic) + _btc(b"ping", rb(8), magic))]


def gnutella(variant):
    if variant == "v0.6":
        req = (b"GNUTELLA CONNECT/0.6\r\nUser-Agent: portlens-spec-built/0.1\r\nX-Ultrapeer: False\r\n"
               b"X-Query-Routing: 0.1\r\n\r\n")
        resp = (b"GNUTELLA/0.6 200 OK\r\nUser-Agent: gtk-gnutella/1.2.2\r\nX-Ultrapeer: True\r\n"
                b"X-Try-Ultrapeers: 192.0.2.7:6346\r\n\r\n")
        # handshake step 3, then a ping descriptor (GUID, type 0x00, TTL 1, hops 0, length 0)
        return [("c", req), ("s", resp), ("c", b"GNUTELLA/0.6 200 OK\r\n\r\n"),
                ("c", rb(16) + b"\x00\x01\x00" + bytes(4))]
    return [("c", b"GNUTELLA CONNECT/0.4\n\n"), ("s", b"GNUTELLA OK\n\n"),
            ("c", rb(16) + b"\x00\x07\x00" + bytes(4))]


def a2s(variant):
    if variant == "info":
        info = (b"\xff\xff\xff\xffI\x11" + b"portlens spec-built\x00" + b"de_dust2\x00" + b"csgo\x00"
                + b"Counter-Strike\x00" + struct.pack("<H", 730) + bytes([3, 16, 0]) + b"dl\x00\x01" + b"1.0.0.0\x00")
        return [("c", b"\xff\xff\xff\xffTSource Engine Query\x00"), ("s", b"\xff\xff\xff\xffA" + rb(4)),
                ("c", b"\xff\xff\xff\xffTSource Engine Query\x00" + rb(4)), ("s", info)]
    challenge = rb(4)
    players = b"\xff\xff\xff\xffD\x01" + b"\x00" + b"alice\x00" + struct.pack("<if", 12, 321.5)
    return [("c", b"\xff\xff\xff\xffU\xff\xff\xff\xff"), ("s", b"\xff\xff\xff\xffA" + challenge),
            ("c", b"\xff\xff\xff\xffU" + challenge), ("s", players)]


def stratum(variant):
    import json
    if variant == "subscribe":
        return [("c", json.dumps({"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}).encode() + b"\n"),
                ("s", json.dumps({"id": 1, "result": [[["mining.set_difficulty", "1"], ["mining.notify", "1"]], "08000002", 4],
                                  "error": None}).encode() + b"\n"),
                ("c", json.dumps({"id": 2, "method": "mining.authorize", "params": ["worker.1", "x"]}).encode() + b"\n"),
                ("s", json.dumps({"id": 2, "result": True, "error": None}).encode() + b"\n"
                 + json.dumps({"id": None, "method": "mining.set_difficulty", "params": [512]}).encode() + b"\n")]
    return [("c", json.dumps({"id": 1, "method": "mining.configure",
                              "params": [["version-rolling"], {"version-rolling.mask": "1fffe000"}]}).encode() + b"\n"),
            ("s", json.dumps({"id": 1, "result": {"version-rolling": True, "version-rolling.mask": "1fffe000"},
                              "error": None}).encode() + b"\n")]


def _iax(src, dst, ts, oseq, iseq, sub, ies=b""):
    return struct.pack(">HHIBBBB", 0x8000 | src, dst, ts, oseq, iseq, 6, sub) + ies


def _ie(t, v):
    return bytes([t, len(v)]) + v


def iax2(variant):
    if variant == "call":
        new = _iax(0x1234, 0, 3, 0, 0, 0x01, _ie(0x0b, b"\x00\x02") + _ie(0x01, b"600") + _ie(0x06, b"alice")
                   + _ie(0x09, struct.pack(">I", 4)) + _ie(0x08, struct.pack(">I", 4)))
        accept = _iax(0x0567, 0x1234, 10, 0, 1, 0x07, _ie(0x09, struct.pack(">I", 4)))
        ack = _iax(0x1234, 0x0567, 12, 1, 1, 0x04)
        return [("c", new), ("s", accept), ("c", ack)]
    poke = _iax(0x2001, 0, 1, 0, 0, 0x1e)
    pong = _iax(0x0042, 0x2001, 2, 0, 1, 0x03)
    return [("c", poke), ("s", pong), ("c", _iax(0x2001, 0x0042, 3, 1, 1, 0x04))]


def mgcp(variant):
    if variant == "crcx":
        cmd = (b"CRCX 1204 aaln/1@gw1.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nL: p:10, a:PCMU\r\n"
               b"M: sendrecv\r\n")
        resp = (b"200 1204 OK\r\nI: FDE234C8\r\n\r\nv=0\r\no=- 25678 753849 IN IP4 128.96.41.1\r\n"
                b"c=IN IP4 128.96.41.1\r\nm=audio 3456 RTP/AVP 0\r\n")
        return [("c", cmd), ("s", resp), ("c", b"DLCX 1210 aaln/1@gw1.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\n"),
                ("s", b"250 1210 OK\r\n")]
    return [("c", b"RQNT 1201 aaln/1@rgw-2567.whatever.net MGCP 1.0\r\nN: ca@ca1.whatever.net:5678\r\nX: 0123456789AC\r\n"
                  b"R: L/hd(N)\r\n"), ("s", b"200 1201 OK\r\n")]


def discord(variant):
    ssrc = rb(4)
    req = struct.pack(">HH", 1, 70) + ssrc + bytes(64) + struct.pack(">H", 0)
    addr = {"ipv4": b"203.0.113.77", "ipv4-b": b"198.51.100.9"}[variant]
    resp = struct.pack(">HH", 2, 70) + ssrc + addr.ljust(64, b"\x00") + struct.pack(">H", 50004)
    return [("c", req), ("s", resp), ("c", b"\x90\x78" + rb(10) + rb(60)), ("s", b"\x90\x78" + rb(10) + rb(60))]


def _ms(text):
    return bytes([len(text) + 1]) + text + b"\n"


def multistream(variant):
    head = _ms(b"/multistream/1.0.0")
    if variant == "noise":
        return [("c", head + _ms(b"/noise")), ("s", head + _ms(b"/noise")), ("c", rb(80)), ("s", rb(120))]
    return [("c", head + _ms(b"/tls/1.0.0")), ("s", head + _ms(b"na")), ("c", _ms(b"/noise")), ("s", _ms(b"/noise"))]


BUILDERS = {"multistream": (multistream, "tcp"), "stratum": (stratum, "tcp"), "iax2": (iax2, "udp"), "mgcp": (mgcp, "udp"), "discord": (discord, "udp"),
            "bitcoin": (bitcoin, "tcp"), "gnutella": (gnutella, "tcp"), "a2s": (a2s, "udp"),
            "nano": (nano, "tcp"), "zoom": (zoom, "udp"), "sd-rtn": (sd_rtn, "udp"), "raknet": (raknet, "udp"), "photon": (photon, "udp"),
            "genshin": (genshin, "udp"), "kcp": (kcp, "udp"), "teamspeak": (teamspeak, "udp"),
            "netcode": (netcode, "udp"), "edonkey": (edonkey, "tcp")}


# ---------------------------------------------------------------- the two peers

def run_udp(steps, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind(("127.0.0.1", 0))
    peer = None
    for side, data in steps:
        if side == "c":
            cli.sendto(data, ("127.0.0.1", port))
            _, peer = srv.recvfrom(65535)
        else:
            srv.sendto(data, peer)
            cli.recvfrom(65535)
        time.sleep(0.02)
    cli.close()
    srv.close()


def run_tcp(steps, port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("conn", srv.accept()[0]))
    th.start()
    cli = socket.create_connection(("127.0.0.1", port))
    th.join()
    conn = box["conn"]
    for side, data in steps:
        a, b = (cli, conn) if side == "c" else (conn, cli)
        a.sendall(data)
        got = b""
        while len(got) < len(data):
            got += b.recv(65535)
        time.sleep(0.02)
    cli.close()
    conn.close()
    srv.close()


def main(argv):
    proto, variant, port = argv[1], argv[2], int(argv[3])
    RNG.seed(f"{proto}/{variant}")
    build, transport = BUILDERS[proto]
    steps = build(variant)
    (run_udp if transport == "udp" else run_tcp)(steps, port)


if __name__ == "__main__":
    main(sys.argv)
