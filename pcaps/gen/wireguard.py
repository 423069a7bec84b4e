"""WireGuard: two wireguard-go peers, one tunnel interface moved into a network namespace.

Both wireguard-go processes stay in the root namespace, so their UDP sockets talk over
``lo`` (where the capture is); only peer B's tun device moves into the namespace, so
traffic to B's tunnel address really crosses the tunnel instead of being delivered
locally.  Each capture: handshake initiation/response, transport data, keepalive.
"""

import os
import subprocess
import sys

from .core import deb_version

NAME = "wireguard"
PREFIXES = ("wireguard",)
MODES = ("random", "iana")

SERVER = ("wireguard-go", deb_version("wireguard-go"))
NS = "portlens-wg"
SEND = ("import socket,sys,time; s=socket.socket(2,2)\n"
        "for i in range(int(sys.argv[2])): s.sendto(b'portlens %d' % i, (sys.argv[1], 9999)); time.sleep(0.2)")


def _sh(*argv, ns=False):
    argv = (["ip", "netns", "exec", NS] if ns else []) + list(argv)
    subprocess.run(argv, check=True, capture_output=True)


def run(ctx):
    d = ctx.tmp("wg")
    keys = {}
    for peer in ("a", "b"):
        priv = subprocess.run(["wg", "genkey"], check=True, capture_output=True, text=True).stdout.strip()
        pub = subprocess.run(["wg", "pubkey"], input=priv, check=True, capture_output=True, text=True).stdout.strip()
        keys[peer] = (ctx.write(os.path.join(d, f"{peer}.key"), priv + "\n", mode=0o600), pub)
    pa, pb = ctx.port(51820, "udp"), ctx.port_range(1)[0]
    ia, ib = f"plwga{ctx.mode[0]}", f"plwgb{ctx.mode[0]}"
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    _sh("ip", "netns", "add", NS)
    try:
        a = ctx.start("wg-go-a", ["wireguard-go", "-f", ia], delay=0.5, env={"LOG_LEVEL": "error"})
        b = ctx.start("wg-go-b", ["wireguard-go", "-f", ib], delay=0.5, env={"LOG_LEVEL": "error"})
        _sh("ip", "link", "set", ib, "netns", NS)
        _sh("wg", "set", ia, "private-key", keys["a"][0], "listen-port", str(pa), "peer", keys["b"][1],
            "endpoint", f"127.0.0.1:{pb}", "allowed-ips", "10.77.0.2/32")
        _sh("wg", "set", ib, "private-key", keys["b"][0], "listen-port", str(pb), "peer", keys["a"][1],
            "endpoint", f"127.0.0.1:{pa}", "allowed-ips", "10.77.0.1/32")
        _sh("ip", "addr", "add", "10.77.0.1/24", "dev", ia)
        _sh("ip", "link", "set", ia, "up")
        _sh("ip", "addr", "add", "10.77.0.2/24", "dev", ib, ns=True)
        _sh("ip", "link", "set", ib, "up", ns=True)
        ctx.run(["sleep", "0.5"])
        how = "wireguard-go peers A (root ns) and B (tun in a netns) over lo; "
        cases = [("a-initiates", [sys.executable, "-c", SEND, "10.77.0.2", "5"], False),
                 ("b-initiates", ["ip", "netns", "exec", NS, sys.executable, "-c", SEND, "10.77.0.1", "3"], True)]
        for i, (variant, argv, _) in enumerate(cases):
            if i:          # a fresh handshake: restart A so B has no session and must initiate
                _sh("wg", "set", ia, "peer", keys["b"][1], "remove")
                _sh("wg", "set", ib, "peer", keys["a"][1], "remove")
                _sh("wg", "set", ia, "peer", keys["b"][1], "endpoint", f"127.0.0.1:{pb}", "allowed-ips", "10.77.0.2/32")
                _sh("wg", "set", ib, "peer", keys["a"][1], "endpoint", f"127.0.0.1:{pa}", "allowed-ips", "10.77.0.1/32")
            with ctx.capture("wireguard") as cap:
                for port in (pa, pb):
                    cap.expect("udp", port, "wireguard", variant=variant, server=SERVER, client=f"wireguard-go {SERVER[1]}",
                               how=how + f"UDP datagrams sent into the tunnel ({variant})", required=False)
                cap.start()
                ctx.run(argv)
                ctx.run(["sleep", "1.5"])
        ctx.stop(a)
        ctx.stop(b)
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        subprocess.run(["ip", "link", "del", ia], capture_output=True)
