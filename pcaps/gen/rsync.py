"""rsync daemon protocol (rsync://): rsync --daemon --no-detach; list, pull, push, old protocol."""

import os

from .core import cmd, deb_version

NAME = "rsync"
PREFIXES = ("rsync",)
MODES = ("random", "iana")

RSYNC = deb_version("rsync")


def run(ctx):
    d = ctx.tmp("rsyncd")
    data = ctx.tmp("rsyncd", "data")
    for i in range(3):
        ctx.write(os.path.join(data, f"f{i}.txt"), f"rsync corpus {i}\n" * 30)
    src = ctx.tmp("rsyncd", "src")
    ctx.write(os.path.join(src, "up.txt"), "pushed\n" * 10)
    conf = ctx.write(os.path.join(d, "rsyncd.conf"), f"""pid file = {d}/rsyncd.pid
use chroot = no
uid = root
gid = root
[corpus]
path = {data}
comment = portlens corpus
read only = false
""")
    port = ctx.port(873)
    srv = ctx.start("rsyncd", ["rsync", "--daemon", "--no-detach", f"--port={port}", "--address=127.0.0.1",
                               f"--config={conf}"], wait=("tcp", port))
    url = f"rsync://127.0.0.1:{port}"
    out = ctx.tmp("rsyncd", "out-" + ctx.mode)
    cases = [
        ("list-modules", ["rsync", f"{url}/"]),
        ("pull", ["rsync", "-a", f"{url}/corpus/", out + "/"]),
        ("push", ["rsync", "-a", src + "/", f"{url}/corpus/up-{ctx.mode}/"]),
        ("pull-protocol29", ["rsync", "-a", "--protocol=29", f"{url}/corpus/f0.txt", out + "/old.txt"]),
    ]
    for variant, argv in cases:
        with ctx.capture("rsync") as cap:
            cap.expect("tcp", port, "rsync", variant=variant, server=("rsync-daemon", RSYNC), client=f"rsync {RSYNC}",
                       how=f"{cmd(argv)} against rsync --daemon --no-detach")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
