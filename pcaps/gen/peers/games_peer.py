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


BUILDERS = {"sd-rtn": (sd_rtn, "udp"), "raknet": (raknet, "udp"), "photon": (photon, "udp"),
            "genshin-impact": (genshin, "udp"), "kcp": (kcp, "udp"), "teamspeak": (teamspeak, "udp"),
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
