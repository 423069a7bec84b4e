"""WebSocket (RFC 6455) as a sensor that joined after the opening handshake sees it: the
`websockets` library (PyPI) on both sides, an echo server and a client, on loopback.

The product names WebSocket framing only on a connection seen without its opening
HTTP Upgrade (classifier/detectors/websocket.py); seen from its start the connection is
`http` with `upgrade` in its metadata.  So each session is captured whole and the
capture is then cut (cut_handshake below): every packet of the connection up to the
end of the server's 101 answer goes (the SYNs, the client's GET with its Upgrade
headers, the 101), and what stays starts with the client's next segment, as a sensor
that started listening at that moment records it.  tests/test_corpus.py and the
product read such a TCP flow from its first packet, whose sender (here the client) is
taken for the client.

    websocket-1  text chat with permessage-deflate (websockets' default, RFC 7692):
                 compressed frames (RSV1), a ping and its pong, the close handshake
    websocket-2  no compression: text frames (UTF-8, masked by the client), a binary
                 message echoed, a ping, the close handshake
    websocket-3  two sessions: the first captured from its start (http, upgrade
                 websocket), the second cut after its handshake (websocket)

The server listens on a random high port (WebSocket has no port of its own: it rides
on the http ports), so all come from the random-port run.
"""

from __future__ import annotations

import sys

import dpkt

from .core import ExchangeFailed, cmd, pip_version

NAME = "websocket"
PREFIXES = ("websocket",)           # its captures: pcaps/corpus/websocket-<n>.pcap
MODES = ("random",)
PYPI_PACKAGES = ("websockets",)     # pcaps/generate --install adds it to its lists
PY = sys.version.split()[0]

# `python3 -c SERVER PORT COMPRESSION`: an echo server, every message sent back as it
# came (text as text, bytes as bytes).
SERVER = r'''
import sys
from websockets.sync.server import serve
def echo(ws):
    for message in ws:
        ws.send(message)
compression = None if sys.argv[2] == "none" else sys.argv[2]
with serve(echo, "127.0.0.1", int(sys.argv[1]), compression=compression) as server:
    server.serve_forever()
'''

# `python3 -c CLIENT PORT COMPRESSION SCRIPT`: SCRIPT is "chat" or "mixed".
CLIENT = r'''
import sys
from websockets.sync.client import connect
port, compression, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
compression = None if compression == "none" else compression
with connect(f"ws://127.0.0.1:{port}/chat", compression=compression, open_timeout=10) as ws:
    if script == "chat":
        for line in ("hello from the portlens corpus", "the weather in Zürich: 4 °C, light rain",
                     '{"type": "subscribe", "channel": "ticker", "symbols": ["AAA", "BBB"]}'):
            ws.send(line)
            assert ws.recv(timeout=5) == line
        ws.ping(b"keepalive-1").wait(5)
    else:
        ws.send("status?")
        assert ws.recv(timeout=5) == "status?"
        blob = bytes(range(256)) * 2
        ws.send(blob)
        assert ws.recv(timeout=5) == blob
        ws.ping(b"\x00\x01\x02\x03").wait(5)
        ws.send("bye")
        assert ws.recv(timeout=5) == "bye"
'''


def _tcp_packets(path):
    """(ts, raw frame, tcp segment, (src, dst)) of every packet of a pcap, and its link type."""
    with open(path, "rb") as fh:
        reader = dpkt.pcap.Reader(fh)
        link = reader.datalink()
        out = []
        for ts, buf in reader:
            ip = dpkt.ethernet.Ethernet(buf).data
            l4 = getattr(ip, "data", None)
            if not isinstance(l4, dpkt.tcp.TCP):
                raise ExchangeFailed(f"{path}: a packet that is not TCP")
            out.append((ts, buf, l4, ((bytes(ip.src), l4.sport), (bytes(ip.dst), l4.dport))))
    return link, out


def cut_handshake(path: str, sessions: set[int]):
    """Rewrite ``path`` without the opening of each connection whose index (in the
    order of their SYNs, from 0) is in ``sessions``: its packets up to and including
    the one that completes the server's HTTP answer go, the rest stay.  Refuses (the
    exchange fails) when a segment carries both the end of a handshake message and
    frames, or when what stays of a connection does not start with the client."""
    link, packets = _tcp_packets(path)
    conns = {}                     # connection key -> its state
    keep = []
    for ts, buf, tcp, (src, dst) in packets:
        key = frozenset((src, dst))
        if key not in conns:
            if not (tcp.flags & dpkt.tcp.TH_SYN) or tcp.flags & dpkt.tcp.TH_ACK:
                raise ExchangeFailed(f"{path}: a connection whose SYN was not captured")
            conns[key] = {"client": src, "cut": len(conns) in sessions, "open": False, "kept": 0,
                          "c2s": b"", "s2c": b""}
        st = conns[key]
        if st["cut"] and not st["open"]:
            side = "c2s" if src == st["client"] else "s2c"
            st[side] += bytes(tcp.data)
            if b"\r\n\r\n" in st["c2s"] and b"\r\n\r\n" in st["s2c"]:
                if not (st["c2s"].endswith(b"\r\n\r\n") and st["s2c"].endswith(b"\r\n\r\n")):
                    raise ExchangeFailed(f"{path}: frames in the segment that ends the handshake")
                if not st["s2c"].startswith(b"HTTP/1.1 101 "):
                    raise ExchangeFailed(f"{path}: the server did not switch protocols: {st['s2c'][:40]!r}")
                st["open"] = True
            continue
        if st["cut"] and not st["kept"] and src != st["client"]:
            raise ExchangeFailed(f"{path}: after the handshake the server's packet comes first")
        st["kept"] += 1
        keep.append((ts, buf))
    if any(st["cut"] and not st["kept"] for st in conns.values()):
        raise ExchangeFailed(f"{path}: nothing left of a cut connection")
    with open(path, "wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=link, snaplen=262144)
        for ts, buf in keep:
            writer.writepkt(buf, ts)


# Each capture: its compression setting and its sessions, one after the other, each
# against its own server (so that its flow is told by its server port): (client script,
# whether its handshake is cut), and what the capture shows.
CAPTURES = [
    ("deflate", (("chat", True),),
     "text chat with permessage-deflate (compressed frames, RSV1), a ping and its pong, the close handshake"),
    ("none", (("mixed", True),),
     "no compression: UTF-8 text frames, a binary message echoed, a ping and its pong, the close handshake"),
    ("none", (("chat", False), ("chat", True)),
     "two sessions, no compression: the first from its opening handshake (http, Upgrade: websocket), "
     "the second joined after its handshake (text frames, a ping, the close handshake)"),
]


def run(ctx):
    version = pip_version("websockets")
    for compression, sessions, what in CAPTURES:
        ports = [ctx.port(None, "tcp") for _ in sessions]
        servers = [ctx.start("websockets-server", [sys.executable, "-c", SERVER, str(port), compression],
                             wait=("tcp", port)) for port in ports]
        with ctx.capture("websocket") as cap:
            for (script, cut), port in zip(sessions, ports):
                argv = [sys.executable, "-c", CLIENT, str(port), compression, script]
                server = cmd([sys.executable, "-c", SERVER, str(port), compression])
                cap.expect("tcp", port, "websocket" if cut else "http",
                           variant=f"{'joined after the handshake' if cut else 'from its start'}: {what}",
                           server=("python-websockets", version), client=f"python-websockets {version}",
                           how=f"{cmd(argv)} against {server}" + ("; the handshake cut from the capture" if cut else ""))
            cap.start()
            for (script, _cut), port in zip(sessions, ports):
                ctx.run([sys.executable, "-c", CLIENT, str(port), compression, script], timeout=30)
            cap.stop()
            cut_handshake(cap.path, {i for i, (_s, cut) in enumerate(sessions) if cut})
            cap.midstream = True
        for srv in servers:
            ctx.stop(srv)
