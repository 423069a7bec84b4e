"""Redis (RESP2 and RESP3): redis-server; redis-cli and a raw inline-command client."""

import sys

from .core import cmd, deb_version

NAME = "redis"
PREFIXES = ("redis",)
MODES = ("random", "iana")

SERVER = ("redis-server", deb_version("redis-server"))
CLI = f"redis-cli {deb_version('redis-tools')}"
PY = f"python-socket {sys.version.split()[0]}"

# Inline commands (no RESP framing), as telnet users and old scripts send them.
PY_INLINE = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for c in (b"PING\\r\\n", b"SET portlens inline\\r\\n", b"GET portlens\\r\\n", b"QUIT\\r\\n"):
    s.sendall(c); s.recv(4096)
"""


def run(ctx):
    port = ctx.port(6379)
    d = ctx.tmp("redis")
    srv = ctx.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", d], wait=("tcp", port))
    cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)]
    cases = [
        ("resp2-ping", CLI, cli + ["PING"]),
        ("resp2-set-get", CLI, cli + ["SET", "portlens:key", "value-1"]),
        ("resp2-hash-list", CLI, cli + ["HSET", "portlens:h", "f1", "v1", "f2", "v2"]),
        ("resp3-hello", CLI, cli + ["-3", "HGETALL", "portlens:h"]),
        ("resp2-info", CLI, cli + ["INFO", "server"]),
        ("inline", PY, [sys.executable, "-c", PY_INLINE, str(port)]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("redis") as cap:
            cap.expect("tcp", port, "redis", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against redis-server")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
