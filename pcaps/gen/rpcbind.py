"""ONC RPC: rpcbind (real) on its port 111, asked by rpcinfo (real): a portmapper dump
over TCP, NULL calls to the portmapper over UDP and TCP, a GETPORT for an unregistered
program.  rpcbind cannot listen elsewhere, so this runs in the IANA port mode only."""

from .core import deb_version

NAME = "rpcbind"
PREFIXES = ("onc-rpc",)       # rpcbind-made onc-rpc captures are named onc-rpc-<n> too
MODES = ("iana",)

SERVER = ("rpcbind", deb_version("rpcbind"))
CLIENT = f"rpcinfo {deb_version('rpcbind')}"


def run(ctx):
    port = ctx.port(111)
    srv = ctx.start("rpcbind", ["rpcbind", "-f", "-w"], wait=("tcp", port), delay=0.5)
    cases = [("dump-tcp", ["rpcinfo", "-p", "127.0.0.1"], "tcp"),
             ("null-udp", ["rpcinfo", "-u", "127.0.0.1", "100000", "2"], "udp"),
             ("null-tcp", ["rpcinfo", "-t", "127.0.0.1", "100000", "3"], "tcp")]
    for variant, argv, transport in cases:
        with ctx.capture("onc-rpc") as cap:
            cap.expect(transport, port, "onc-rpc", variant=variant, server=SERVER, client=CLIENT,
                       how=" ".join(argv) + " against rpcbind -f -w")
            cap.start()
            ctx.run(argv, timeout=20)
    ctx.stop(srv)
