"""Modbus/TCP: pymodbus server and client, reads and writes of several function codes."""

import os
import sys

from .core import cmd, pip_version

NAME = "modbus"
PREFIXES = ("modbus",)
MODES = ("random", "iana")

PYMODBUS = ("pymodbus", pip_version("pymodbus"))
PEER = os.path.join(os.path.dirname(__file__), "peers", "modbus_peer.py")


def run(ctx):
    port = ctx.port(502)
    srv = ctx.start("pymodbus", [sys.executable, PEER, "server", str(port)], wait=("tcp", port))
    for variant in ("read-holding", "write-coils", "write-registers"):
        argv = [sys.executable, PEER, "client", str(port), variant]
        with ctx.capture("modbus") as cap:
            cap.expect("tcp", port, "modbus", variant=variant, server=PYMODBUS, client=f"pymodbus {PYMODBUS[1]}",
                       how=f"{cmd(argv).replace(PEER, 'pcaps/gen/peers/modbus_peer.py')} against modbus_peer.py server")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
