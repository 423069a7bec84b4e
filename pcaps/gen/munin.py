"""Munin: munin-node (real) on loopback, asked by a small Python client speaking the
master's side of the protocol (munin-update's commands: cap, list, config, fetch, quit)."""

import os
import sys

from .core import deb_version

NAME = "munin"
PREFIXES = ("munin",)
MODES = ("random", "iana")

SERVER = ("munin-node", deb_version("munin-node"))
CLIENT = f"python-socket {sys.version.split()[0]}"
PY = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()                                  # the node's banner
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\\n")
    if cmd == "quit":
        break
    line = f.readline()
    if cmd.split()[0] in ("config", "fetch"):
        while line and line.strip() != b".":  # multi-line answers end with "."
            line = f.readline()
s.close()
"""


def run(ctx):
    d = ctx.tmp("munin")
    # the plugins are the package's own (/etc/munin/plugins, set up by its postinst)
    port = ctx.port(4949)
    conf = ctx.write(os.path.join(d, "munin-node.conf"), "\n".join([
        "log_level 1", f"log_file {d}/munin-node.log", f"pid_file {d}/munin-node.pid",
        "background 0", "setsid 0", "user root", "group root", "host_name portlens-node",
        "allow ^127\\.0\\.0\\.1$", "host 127.0.0.1", f"port {port}", ""]))
    srv = ctx.start("munin-node", ["munin-node", "--config", conf], wait=("tcp", port), delay=0.5)
    cases = [("cap-list-fetch", ["cap multigraph dirtyconfig", "list", "fetch cpu", "quit"]),
             ("config-fetch", ["list", "config entropy", "fetch entropy", "quit"])]
    for variant, cmds in cases:
        with ctx.capture("munin") as cap:
            cap.expect("tcp", port, "munin", variant=variant, server=SERVER, client=CLIENT,
                       how=f"python3 -c '<inline script>' {port} {' / '.join(cmds)} against munin-node")
            cap.start()
            ctx.run([sys.executable, "-c", PY, str(port)] + cmds, timeout=30)
    ctx.stop(srv)
