"""memcached text, binary and UDP protocols: memcached; libmemcached tools and Python."""

import os
import sys

from .core import cmd, deb_version

NAME = "memcached"
PREFIXES = ("memcached",)
MODES = ("random", "iana")

SERVER = ("memcached", deb_version("memcached"))
TOOLS = f"libmemcached-tools {deb_version('libmemcached-tools')}"
PY = f"python-socket {sys.version.split()[0]}"

PY_TEXT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for c in (b"set portlens 0 60 5\\r\\nhello\\r\\n", b"get portlens\\r\\n", b"stats\\r\\n"):
    s.sendall(c); s.recv(8192)
s.sendall(b"quit\\r\\n")
"""
# UDP frame header: request id, sequence 0, 1 datagram, reserved.
PY_UDP = """
import socket, sys, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
for i, c in enumerate((b"version\\r\\n", b"get portlens\\r\\n")):
    s.sendto(struct.pack(">HHHH", 0x4242 + i, 0, 1, 0) + c, ("127.0.0.1", int(sys.argv[1]))); s.recvfrom(2048)
"""


def run(ctx):
    port = ctx.port(11211)
    srv = ctx.start("memcached", ["memcached", "-p", str(port), "-U", str(port), "-l", "127.0.0.1",
                                  "-u", "nobody", "-m", "16"], wait=("tcp", port), delay=0.3)
    f = ctx.write(os.path.join(ctx.tmp("memc"), "portlens.txt"), "portlens memcached value\n")
    servers = f"--servers=127.0.0.1:{port}"
    cases = [
        ("tcp", "text", TOOLS, ["memccp", servers, f]),
        ("tcp", "text", TOOLS, ["memccat", servers, "portlens.txt"]),
        ("tcp", "binary", TOOLS, ["memccp", "--binary", servers, f]),
        ("tcp", "binary", TOOLS, ["memcstat", "--binary", servers]),
        ("tcp", "text", PY, [sys.executable, "-c", PY_TEXT, str(port)]),
        ("udp", "udp-text", PY, [sys.executable, "-c", PY_UDP, str(port)]),
    ]
    for transport, variant, client, argv in cases:
        with ctx.capture("memcached") as cap:
            cap.expect(transport, port, "memcached", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against memcached")
            cap.start()
            ctx.run(argv, cwd=os.path.dirname(f))
    ctx.stop(srv)
