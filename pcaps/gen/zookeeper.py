"""ZooKeeper: ZooKeeperServerMain (Debian's zookeeper jar); kazoo, zkCli.sh and 4lw commands."""

import os
import sys

from .core import cmd, deb_version, pip_version

NAME = "zookeeper"
PREFIXES = ("zookeeper",)
MODES = ("random", "iana")

SERVER = ("zookeeper", deb_version("zookeeper"))
KAZOO = f"kazoo {pip_version('kazoo')}"
PY = """
import sys, logging
from kazoo.client import KazooClient
zk = KazooClient(hosts=f"127.0.0.1:{sys.argv[1]}", timeout=10); zk.start(timeout=10)
zk.ensure_path("/portlens"); zk.create("/portlens/n", b"corpus", ephemeral=True, sequence=True)
zk.get_children("/portlens"); zk.get("/portlens"); zk.stop(); zk.close()
"""
FOUR = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.argv[2].encode())
while s.recv(4096): pass
"""


def run(ctx):
    d = ctx.tmp("zookeeper")
    port = ctx.port(2181)
    cfg = ctx.write(os.path.join(d, "zoo.cfg"), f"tickTime=2000\ndataDir={d}/data\nclientPort={port}\n"
                                                "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                                                "4lw.commands.whitelist=srvr,ruok,stat\n")
    cp = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
    srv = ctx.start("zookeeper", ["java", "-Xmx128m", "-cp", cp, "-Dzookeeper.log.dir=" + d,
                                  "-Dzookeeper.root.logger=INFO,CONSOLE",
                                  "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
                    wait=("tcp", port), timeout=60, delay=1)
    cases = [
        ("session-create-get", KAZOO, [sys.executable, "-c", PY, str(port)]),
        ("session-create-get", KAZOO, [sys.executable, "-c", PY, str(port)]),
        ("zkcli-ls", f"zkCli.sh {SERVER[1]}", ["/usr/share/zookeeper/bin/zkCli.sh", "-server", f"127.0.0.1:{port}",
                                              "ls", "/"]),
        ("4lw-srvr", f"python-socket {sys.version.split()[0]}", [sys.executable, "-c", FOUR, str(port), "srvr"]),
        ("4lw-ruok", f"python-socket {sys.version.split()[0]}", [sys.executable, "-c", FOUR, str(port), "ruok"]),
    ]
    for i, (variant, client, argv) in enumerate(cases):
        if i == 1 and ctx.mode == "iana":
            continue
        with ctx.capture("zookeeper") as cap:
            cap.expect("tcp", port, "zookeeper", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against ZooKeeperServerMain")
            cap.start()
            ctx.run(argv, timeout=30, env={"ZOO_LOG_DIR": d, "JVMFLAGS": "-Xmx64m"})
    ctx.stop(srv)
