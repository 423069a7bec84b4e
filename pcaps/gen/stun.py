"""STUN and TURN: coturn turnserver; turnutils_stunclient (Binding) and turnutils_uclient.

TURN keeps the name ``stun`` (variant ``turn-*``).  The capture filter also covers
the relay port range, as the notes ask, so the relayed datagrams between the relay
and turnutils_peer are captured too; their payload is turnutils' own test pattern (no
protocol at all), so those flows are labelled ``unknown``.
"""

import os

from .core import cmd, deb_version

NAME = "stun"
PREFIXES = ("stun",)
MODES = ("random", "iana")

COTURN = ("coturn", deb_version("coturn"))
UTILS = f"coturn-turnutils {deb_version('coturn')}"


def run(ctx):
    d = ctx.tmp("coturn")
    port, relay = ctx.port(3478), ctx.port_range(16)
    peer_port = ctx.port_range(1)[0]
    srv = ctx.start("turnserver", ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
                                   "--relay-ip=127.0.0.1", f"--min-port={relay[0]}", f"--max-port={relay[1]}",
                                   "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--lt-cred-mech",
                                   "--user=alice:wonderland", "--realm=portlens.test", "--log-file=stdout",
                                   f"--pidfile={d}/turnserver.pid", "--no-software-attribute"],
                    wait=("udp", port), delay=0.5)
    peer = ctx.start("turnutils_peer", ["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer_port)],
                     wait=("udp", peer_port))
    uc = ["turnutils_uclient", "-u", "alice", "-w", "wonderland", "-p", str(port), "-e", "127.0.0.1",
          "-r", str(peer_port), "-X", "-c", "-n", "2", "-l", "40"]
    cases = [
        ("udp", "binding", ["turnutils_stunclient", "-p", str(port), "127.0.0.1"]),
        ("udp", "turn-udp-channel", uc + ["127.0.0.1"]),
        ("udp", "turn-udp-send-indication", uc + ["-s", "127.0.0.1"]),
        ("tcp", "turn-tcp-channel", uc + ["-t", "127.0.0.1"]),
    ]
    for transport, variant, argv in cases:
        with ctx.capture("stun") as cap:
            how = f"{cmd(argv)} against turnserver (relay range {relay[0]}-{relay[1]}, turnutils_peer on {peer_port})"
            cap.expect(transport, port, "stun", variant=variant, server=COTURN, client=UTILS, how=how)
            if variant.startswith("turn"):
                # relay -> peer datagrams: the relay side sends first, so match either end.
                cap.expect("udp", relay, "unknown", variant="turn-relayed-test-pattern", server=COTURN,
                           client=UTILS, how=how, side="any")
            if transport == "tcp":
                cap.expect("udp", port, "stun", variant=variant, server=COTURN, client=UTILS, how=how,
                           required=False)
            cap.start()
            ctx.run(argv, timeout=20)
    ctx.stop(peer)
    ctx.stop(srv)
