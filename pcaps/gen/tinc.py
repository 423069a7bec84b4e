"""tinc VPN (1.0, Debian's tinc): two real tincd daemons on loopback with DeviceType
= dummy (no tun device needed), the second connecting to the first; each capture holds
the meta-connection (TCP) from the ID exchange through METAKEY into the encrypted part.
tinc's UDP data channel on the same port is left out of the capture filter (encrypted
VPN packets; no detector claims them)."""

import os
import time

from .core import cmd, deb_version

NAME = "tinc"
PREFIXES = ("tinc",)
MODES = ("random", "iana")

TINC = ("tinc", deb_version("tinc"))


def _node(ctx, base, name, port, peer_port, connect):
    d = os.path.join(base, name)
    os.makedirs(os.path.join(d, "hosts"), exist_ok=True)
    ctx.write(os.path.join(d, "tinc.conf"), f"Name = {name}\nDeviceType = dummy\nPort = {port}\n"
              f"AddressFamily = ipv4\n" + (f"ConnectTo = {connect}\n" if connect else ""))
    ctx.write(os.path.join(d, "hosts", name), f"Address = 127.0.0.1\nPort = {port}\n"
              f"Subnet = 10.99.0.{1 if connect is None else 2}/32\n")
    return d


def run(ctx):
    port = ctx.port(655)
    peer_port = ctx.port(656)     # bravo's own listening port (outside the capture filter)
    for variant, bits in (("meta-handshake-rsa2048", 2048), ("meta-handshake-rsa3072", 3072)):
        base = ctx.tmp(f"tinc-{bits}")
        a = _node(ctx, base, "alpha", port, peer_port, None)
        b = _node(ctx, base, "bravo", peer_port, port, "alpha")
        for d in (a, b):
            ctx.run(["tincd", "-c", d, "-K", str(bits)], input="")
        for src, dst in ((a, b), (b, a)):             # exchange host files (public keys)
            name = os.path.basename(src)
            with open(os.path.join(src, "hosts", name)) as f:
                ctx.write(os.path.join(dst, "hosts", name), f.read())
        with ctx.capture("tinc") as cap:
            argv = ["tincd", "-c", b, "-D", f"--pidfile={base}/bravo.pid"]
            cap.expect("tcp", port, "tinc", variant=variant, server=TINC, client=f"tincd {TINC[1]}",
                       how=f"{cmd(argv)} connecting to tincd -c $TMP/alpha -D (DeviceType = dummy)")
            cap.start()
            srv = ctx.start("tincd-alpha", ["tincd", "-c", a, "-D", f"--pidfile={base}/alpha.pid"],
                            wait=("tcp", port))
            cli = ctx.start("tincd-bravo", argv)
            time.sleep(3)                              # ID, METAKEY, CHALLENGE..., ACK, PINGs
            ctx.stop(cli)
            ctx.stop(srv)
