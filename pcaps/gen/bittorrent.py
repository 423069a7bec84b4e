"""BitTorrent peer wire over TCP, uTP (UDP) and with forced encryption (MSE/PE): two
libtorrent sessions exchanging a 64 KiB torrent."""

import os
import shutil

from .core import deb_version

NAME = "bittorrent"
PREFIXES = ("bittorrent",)
MODES = ("random", "iana")

LT = ("libtorrent-rasterbar", deb_version("python3-libtorrent"))
PEER = os.path.join(os.path.dirname(__file__), "peers", "bt_peer.py")


def run(ctx):
    for variant in ("tcp", "utp", "encrypted"):
        seed, leech = ctx.port(6881), ctx.port(6882)
        d = ctx.tmp("bt", f"{ctx.mode}-{variant}")
        shutil.rmtree(os.path.join(d, "leech"), ignore_errors=True)
        argv = ["/usr/bin/python3", PEER, d, str(seed), str(leech), variant]
        with ctx.capture("bittorrent") as cap:
            how = f"pcaps/gen/peers/bt_peer.py ({variant}): libtorrent leecher on {leech} downloads from seeder on {seed}"
            for transport in ("tcp", "udp"):
                for port in (seed, leech):
                    cap.expect(transport, port, "bittorrent", variant=f"peer-wire-{variant}" if transport == "tcp" else "utp",
                               server=LT, client=f"libtorrent {LT[1]}", how=how, required=False)
            cap.start()
            ctx.run(argv, timeout=30)
