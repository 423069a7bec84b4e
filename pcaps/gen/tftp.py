"""TFTP: tftpd-hpa (in.tftpd -L) with a fixed reply-port range; tftp-hpa and curl.

The server answers from a port of its ``-R`` range, so each transfer is two UDP
flows: the request to the server port and the transfer, opened by the server side
(first sender) from the range.  Both are ``tftp``; the transfer has variant ``*-data``.
"""

import os

from .core import cmd, deb_version

NAME = "tftp"
PREFIXES = ("tftp",)
MODES = ("random", "iana")

SERVER = ("tftpd-hpa", deb_version("tftpd-hpa"))


def run(ctx):
    root = ctx.tmp("tftp", "root")
    os.chmod(root, 0o777)
    ctx.write(os.path.join(root, "boot.cfg"), "portlens tftp corpus line\n" * 60)   # ~1.6 KB: 4 blocks
    ctx.write(os.path.join(root, "small.txt"), "hi\n")
    up = ctx.write(os.path.join(ctx.tmp("tftp", "up"), "upload.txt"), "uploaded by tftp-hpa\n" * 10)
    port, rng = ctx.port(69), ctx.port_range(10)
    srv = ctx.start("in.tftpd", ["in.tftpd", "-L", "-c", "-p", "-s", root, "-a", f"127.0.0.1:{port}",
                                 "-R", f"{rng[0]}:{rng[1]}", "-u", "root"], wait=("udp", port))
    cases = [
        ("rrq-octet", f"tftp-hpa {deb_version('tftp-hpa')}",
         ["tftp", "-m", "binary", "127.0.0.1", str(port), "-c", "get", "boot.cfg", "/dev/null"]),
        ("rrq-netascii", f"tftp-hpa {deb_version('tftp-hpa')}",
         ["tftp", "-m", "ascii", "127.0.0.1", str(port), "-c", "get", "small.txt", "/dev/null"]),
        ("wrq-octet", f"tftp-hpa {deb_version('tftp-hpa')}",
         ["tftp", "-m", "binary", "127.0.0.1", str(port), "-c", "put", up, "upload.txt"]),
        ("rrq-blksize", f"curl {deb_version('curl')}",
         ["curl", "-sS", "--tftp-blksize", "512", "-o", "/dev/null", f"tftp://127.0.0.1:{port}/boot.cfg"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("tftp") as cap:
            how = f"{cmd(argv)} against in.tftpd -L -R {rng[0]}:{rng[1]}"
            cap.expect("udp", port, "tftp", variant=variant, server=SERVER, client=client, how=how)
            cap.expect("udp", rng, "tftp", variant=variant + "-data", server=SERVER, client=client, how=how,
                       side="any")
            cap.start()
            ctx.run(argv, timeout=15, cwd=os.path.dirname(up))
    ctx.stop(srv)
