"""QUIC: aioquic server and client, HTTP/3 (ALPN h3) and raw streams (hq-interop), v1 and v2."""

import os
import sys

from . import servers
from .core import cmd, pip_version

NAME = "quic"
PREFIXES = ("quic",)
MODES = ("random", "iana")

AIOQUIC = ("aioquic", pip_version("aioquic"))
PEER = os.path.join(os.path.dirname(__file__), "peers", "quic_peer.py")


def run(ctx):
    crt, key = servers.cert(ctx)
    port = ctx.port(443)
    srv = ctx.start("aioquic", [sys.executable, PEER, "server", str(port), crt, key], wait=("udp", port))
    cases = [
        ("quic-v1-h3", "h3", "http3", []),
        ("quic-v1-hq-interop", "hq-interop", None, []),
        ("quic-v2-h3", "h3", "http3", ["v2"]),
    ]
    for variant, alpn, inner, extra in cases:
        argv = [sys.executable, PEER, "client", str(port), alpn, *extra]
        with ctx.capture("quic") as cap:
            cap.expect("udp", port, "quic", inner=inner, variant=variant, server=AIOQUIC,
                       client=f"aioquic {AIOQUIC[1]}", how=f"{cmd(argv).replace(PEER, 'pcaps/gen/peers/quic_peer.py')} against quic_peer.py server")
            cap.start()
            ctx.run(argv, timeout=15)
    ctx.stop(srv)
