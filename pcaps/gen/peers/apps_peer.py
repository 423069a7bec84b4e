"""Spec-built peers for the apps family (pcaps/gen/apps.py): for each protocol, a small
server and client on loopback sockets that exchange messages built field by field from
the protocol's public description (the detector modules' docstrings cite them).  These
apps have no Debian or PyPI implementation, so the bytes are ours, not the vendor's:
the manifest says `spec-built-python` for both ends.  Encrypted or opaque parts are
random bytes of the documented size.

    python3 apps_peer.py PROTOCOL VARIANT PORT
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"


# --------------------------------------------------------------------------- helpers

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb(field: int, value) -> bytes:
    """One protocol-buffer field: bytes -> length-delimited, int -> varint."""
    if isinstance(value, int):
        return varint(field << 3) + varint(value)
    return varint(field << 3 | 2) + varint(len(value)) + value


def tcp_exchange(port: int, client_msgs, server_reply, gap=0.05):
    """A TCP server answering each client message with server_reply(i, data); the
    client sends client_msgs (each a bytes, or a list of bytes sent separately)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, port))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        with conn:
            for i in range(len(client_msgs)):
                data = conn.recv(65536)
                if not data:
                    break
                reply = server_reply(i, data)
                if reply:
                    conn.sendall(reply)
            time.sleep(0.1)

    th = threading.Thread(target=serve)
    th.start()
    with socket.create_connection((HOST, port)) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for msg in client_msgs:
            for part in (msg if isinstance(msg, list) else [msg]):
                c.sendall(part)
                time.sleep(gap)
            c.settimeout(2)
            try:
                c.recv(65536)
            except socket.timeout:
                pass
    th.join(5)
    srv.close()


def udp_exchange(port: int, client_dgs, server_reply, gap=0.05):
    """Client datagrams to a UDP server that answers each with server_reply(i, dg)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((HOST, port))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.settimeout(2)
    for i, dg in enumerate(client_dgs):
        cli.sendto(dg, (HOST, port))
        data, addr = srv.recvfrom(65536)
        reply = server_reply(i, data)
        if reply:
            srv.sendto(reply, addr)
            cli.recvfrom(65536)
        time.sleep(gap)
    cli.close()
    srv.close()


def udp_announce(port: int, dgs, gap=0.05):
    """LAN announcements: one socket bound to the port sends to that port (what a
    broadcast from port P to port P looks like on loopback); nobody answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, port))
    for dg in dgs:
        s.sendto(dg, (HOST, port))
        s.recvfrom(65536)
        time.sleep(gap)
    s.close()


# --------------------------------------------------------------------------- protocols

def dropbox(variant, port):
    """db-lsp-disc: the JSON announcement, three times (the client repeats it)."""
    if variant == "lan-sync-discovery-v2":
        ann = {"version": [2, 0], "port": 17500, "host_int": 330402624013167112717714583297153688482,
               "displayname": "", "namespaces": [2750370560, 785266177, 1526263045, 1338659201]}
    else:
        ann = {"host_int": 676879976, "version": [1, 8], "displayname": "676879976", "port": 17500,
               "namespaces": [167841216, 181083968, 181080324, 29544173]}
    udp_announce(port, [json.dumps(ann).encode()] * 3)


def oicq(variant, port):
    """QQ: 0x02, version, command, sequence, [QQ number], body, 0x03."""
    version, qq = 0x0B37, 123456789
    cmd = 0x0002 if variant == "keepalive" else 0x0062          # keep-alive / request login
    def c(seq):
        return (b"\x02" + struct.pack(">HHHI", version, cmd, seq, qq) + os.urandom(16 if cmd == 2 else 24)
                + b"\x03")
    def reply(i, dg):
        return b"\x02" + dg[1:7] + os.urandom(16) + b"\x03"     # same version, command, sequence
    udp_exchange(port, [c(0x1000 + i) for i in range(3)], reply)


def alicloud(variant, port):
    """Frames of magic CE FA BE BA, u32 LE body length, body (opaque)."""
    def frame(n):
        return b"\xce\xfa\xbe\xba" + struct.pack("<I", n) + os.urandom(n)
    if variant == "header-body-split":
        f = frame(128)
        msgs = [[f[:8], f[8:]]]                                  # header, then body, as seen in the wild
    else:
        msgs = [frame(128) + frame(80), frame(64)]
    tcp_exchange(port, msgs, lambda i, d: frame(48) * (2 if i == 0 else 1))


def avast(variant, port):
    """NOSA messages: "NOSA", u16 BE total length, u16 type, body."""
    def msg(kind, n):
        return b"NOSA" + struct.pack(">HH", 8 + n, kind) + os.urandom(n)
    msgs = [msg(0x0101, 88)] if variant == "one-exchange" else [msg(0x0101, 88), msg(0x0101, 32) + msg(0x0101, 24)]
    tcp_exchange(port, msgs, lambda i, d: msg(0x0102, 8))


def spotify(variant, port):
    if variant == "lan-discovery":
        udp_announce(port, [b"SpotUdp0" + os.urandom(36) for _ in range(2)])
        return
    # the access-point handshake: ClientHello, APResponseMessage, ClientResponsePlaintext
    build_info = pb(10, 0) + pb(30, 0) + pb(40, 0x2000_0000)      # product, platform, version
    hello = (pb(10, build_info) + pb(30, 0)                        # build_info, cryptosuites
             + pb(50, pb(10, pb(10, os.urandom(96)) + pb(20, 1)))  # login_crypto_hello.diffie_hellman
             + pb(60, os.urandom(16)) + pb(70, b"\x1e"))           # client_nonce, padding
    client_hello = b"\x00\x04" + struct.pack(">I", 6 + len(hello)) + hello
    challenge = pb(10, pb(10, pb(10, pb(10, os.urandom(96)) + pb(20, 1) + pb(30, os.urandom(256)))))
    ap = pb(10, challenge + pb(50, os.urandom(16)))                # challenge, server_nonce
    ap_response = struct.pack(">I", 4 + len(ap)) + ap
    plain = pb(10, pb(10, pb(10, os.urandom(20))))                 # login_crypto_response.hmac
    tcp_exchange(port, [client_hello, struct.pack(">I", 4 + len(plain)) + plain],
                 lambda i, d: ap_response if i == 0 else None)


def syncthing(variant, port):
    """Local discovery v4: magic, Announce{id, addresses, instance_id}."""
    addrs = [b"tcp://127.0.0.1:22000"] + ([b"quic://127.0.0.1:22000"] if variant == "tcp-and-quic" else [])
    body = pb(1, os.urandom(32)) + b"".join(pb(2, a) for a in addrs) + pb(3, 0x1F2E3D4C5B6A7988)
    udp_announce(port, [b"\x2e\xa7\xd9\x0b" + body] * 2)


def _rt_message(fields) -> bytes:
    """A Roughtime message from (tag, value) pairs, tags already in ascending order."""
    n = len(fields)
    offsets, off = [], 0
    for _tag, value in fields[:-1]:
        off += len(value)
        offsets.append(off)
    return (struct.pack("<I", n) + b"".join(struct.pack("<I", o) for o in offsets)
            + b"".join(t for t, _ in fields) + b"".join(v for _, v in fields))


def roughtime(variant, port):
    framed = variant != "google-udp"
    if framed:
        # 3 tags: a 24-byte header, VER (4), NONC (32), ZZZZ padding to 1012 (+12 framing = 1024)
        request = _rt_message([(b"VER\x00", struct.pack("<I", 0x8000000B)), (b"NONC", os.urandom(32)),
                               (b"ZZZZ", bytes(1012 - 24 - 36))])
    else:
        request = _rt_message([(b"NONC", os.urandom(64)), (b"PAD\xff", bytes(1024 - 16 - 64))])
    srep = _rt_message([(b"RADI", struct.pack("<I", 1000000)), (b"MIDP", struct.pack("<Q", int(time.time() * 1e6))),
                        (b"ROOT", os.urandom(64 if not framed else 32))])
    cert = _rt_message([(b"SIG\x00", os.urandom(64)),
                        (b"DELE", _rt_message([(b"PUBK", os.urandom(32)), (b"MINT", bytes(8)), (b"MAXT", b"\xff" * 8)]))])
    response = _rt_message([(b"SIG\x00", os.urandom(64)), (b"PATH", b""), (b"SREP", srep), (b"CERT", cert),
                            (b"INDX", bytes(4))])

    def frame(m):
        return b"ROUGHTIM" + struct.pack("<I", len(m)) + m if framed else m
    if variant == "ietf-framed-tcp":
        tcp_exchange(port, [frame(request)], lambda i, d: frame(response))
    else:
        udp_exchange(port, [frame(request)], lambda i, d: frame(response))


def ookla(variant, port):
    hello = b"HELLO 2.9 (2.9.2) 2021-11-30.2159.0a1b2c3\n"
    if variant == "hi-guid-ping":
        msgs = [b"HI 8e17cb65-0000-4b39-adcc-97006a1e4537\n", b"PING 1700000000000\n", b"QUIT\n"]
        answers = [hello, b"PONG 1700000000012\n", None]
    else:
        msgs = [b"HI\n", b"GETIP\n", b"CAPABILITIES\n"]
        answers = [hello, b"YOURIP 127.0.0.1\n", b"CAPABILITIES SERVER_HOST_AUTH UPLOAD_STATS\n"]
    tcp_exchange(port, msgs, lambda i, d: answers[i])


def whatsapp(variant, port):
    def frame(body, flags=0):
        return struct.pack(">I", (flags << 20) | len(body))[1:] + body
    if variant == "funxmpp":
        # stream start (list token 0xF8, the resource string), then features
        start = b"\xf8\x05\x01\xa5\x91\x89\xfc\x0fAndroid-2.12.84"
        client = [b"WA\x01\x05" + frame(start) + frame(b"\xf8\x02\x9c\xf8\x04\xf8\x01\xf8"),
                  frame(os.urandom(61), 0x8)]
        server = [frame(b"\xf8\x03\x01\x3a\x91") + frame(b"\xf8\x01\x9c") + frame(os.urandom(61), 0x8), None]
    else:
        # Noise XX: HandshakeMessage{clientHello{ephemeral}} / {serverHello{ephemeral, static, payload}}
        client = [b"WA\x06\x03" + frame(pb(2, pb(1, os.urandom(32)))),
                  frame(pb(4, pb(1, os.urandom(48)) + pb(2, os.urandom(200))))]
        server = [frame(pb(3, pb(1, os.urandom(32)) + pb(2, os.urandom(48)) + pb(3, os.urandom(120)))), None]
    tcp_exchange(port, client, lambda i, d: server[i])


def _se_pack(elements) -> bytes:
    """A SoftEther Pack: count, then per element name (length counts a NUL not sent),
    type, value count, values."""
    out = struct.pack(">I", len(elements))
    for name, kind, values in elements:
        out += struct.pack(">I", len(name) + 1) + name + struct.pack(">II", kind, len(values))
        for v in values:
            if kind == 0:
                out += struct.pack(">I", v)
            elif kind == 4:
                out += struct.pack(">Q", v)
            else:
                out += struct.pack(">I", len(v)) + v
    return out


def softether(variant, port):
    """NAT traversal: "A" probes answered "IP=...,PORT=..."; then Pack requests/answers."""
    def reply(i, dg):
        if dg == b"A":
            return f"IP=127.0.0.1,PORT={client_port[0]}".encode()
        return _se_pack([(b"isret", 0, [1]), (b"my_ip", 2, [b"127.0.0.1"]), (b"my_port", 0, [client_port[0]])])
    client_port = [0]
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((HOST, port))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind((HOST, 0))
    client_port[0] = cli.getsockname()[1]
    dgs = [b"A"] * 3
    if variant == "probe-and-pack":
        dgs.append(_se_pack([(b"opcode", 2, [b"nat_t_get_token"]), (b"tran_id", 4, [0x1234567890]),
                             (b"nat_traversal_version", 0, [2])]))
    for i, dg in enumerate(dgs):
        cli.sendto(dg, (HOST, port))
        data, addr = srv.recvfrom(65536)
        srv.sendto(reply(i, data), addr)
        cli.recvfrom(65536)
        time.sleep(0.05)
    cli.close()
    srv.close()


def tailscale(variant, port):
    """disco pings and pongs ("TS" + U+1F4AC, sender key, nonce, sealed box), then
    WireGuard-shaped packets on the same 5-tuple (random bodies: no real keys here)."""
    magic = "TS\U0001F4AC".encode()
    def disco(payload_len):
        return magic + os.urandom(32) + os.urandom(24) + os.urandom(16 + payload_len)
    client = [disco(14), disco(14)]
    server = [disco(46), disco(46)]
    if variant == "disco-then-wireguard":
        client.append(b"\x01\x00\x00\x00" + os.urandom(144))          # handshake initiation
        server.append(b"\x02\x00\x00\x00" + os.urandom(88))           # handshake response
    udp_exchange(port, client, lambda i, d: server[i])


def teamviewer(variant, port):
    """Command packets: magic 17 24 (version 2) or 11 30 (version 1), a command code,
    then an undocumented body (zeros and random bytes here)."""
    if variant == "tcp-identify":
        tcp_exchange(port, [b"\x17\x24\x0a" + bytes(9) + os.urandom(24)],        # CMD_IDENTIFY
                     lambda i, d: b"\x11\x30\x36\x00" + struct.pack("<I", 24) + os.urandom(24))   # CMD_SESSIONID
    else:
        def dg(counter, cmd):                      # 11-byte header (a counter first), then the command packet
            return bytes([counter]) + bytes(10) + b"\x17\x24" + bytes([cmd]) + os.urandom(40)
        udp_exchange(port, [dg(i, 71) for i in range(3)], lambda i, d: dg(i, 71))   # CMD_UDPPING


def telegram(variant, port):
    """MTProto key exchange start: req_pq_multi / resPQ as unencrypted messages in the
    variant's transport framing (the numbers are random: no real key exchange)."""
    import zlib
    def unenc(msg_id, body):
        return bytes(8) + struct.pack("<QI", msg_id, len(body)) + body
    ms = int(time.time()) << 32
    req = unenc(ms | 4 * 1000, struct.pack("<I", 0xbe7e8ef1) + os.urandom(16))          # req_pq_multi nonce
    res = unenc(ms | (4 * 1001 + 1), struct.pack("<I", 0x05162463) + req[24:40] + os.urandom(16)
                + b"\x08" + os.urandom(8) + b"\x00\x00\x00" + struct.pack("<II", 0x1cb5c415, 1)
                + os.urandom(8))                                                          # resPQ
    if variant == "intermediate":
        c = b"\xee\xee\xee\xee" + struct.pack("<I", len(req)) + req
        s = struct.pack("<I", len(res)) + res
    elif variant == "abridged":
        c = b"\xef" + bytes([len(req) // 4]) + req
        s = bytes([len(res) // 4]) + res
    else:                                                                                 # full
        def full(p):
            head = struct.pack("<II", len(p) + 12, 0) + p
            return head + struct.pack("<I", zlib.crc32(head))
        c, s = full(req), full(res)
    tcp_exchange(port, [c], lambda i, d: s)


PROTOCOLS = {f.__name__: f for f in (dropbox, oicq, alicloud, avast, spotify, syncthing, roughtime, ookla,
                                      whatsapp, softether, tailscale, teamviewer,
                                      telegram)}

if __name__ == "__main__":
    PROTOCOLS[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
