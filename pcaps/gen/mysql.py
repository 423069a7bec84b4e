"""MySQL protocol: MariaDB server (mariadb-install-db into a temp dir); mariadb clients."""

import os
import shutil

from . import servers
from .core import cmd, deb_version

NAME = "mysql"
PREFIXES = ("mysql",)
MODES = ("random", "iana")

SERVER = ("mariadb", deb_version("mariadb-server"))
CLIENT = f"mariadb-client {deb_version('mariadb-client')}"


def run(ctx):
    d = ctx.tmp("mariadb")
    data = os.path.join(d, "data")
    shutil.chown(d, "mysql", "mysql")
    if not os.path.exists(data):
        ctx.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=mysql",
                 "--auth-root-authentication-method=normal", "--skip-test-db"], timeout=120)
    crt, key = servers.cert(ctx)
    port = ctx.port(3306)
    sock = os.path.join(d, "mysqld.sock")
    srv = ctx.start("mariadbd", ["mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}",
                                 "--bind-address=127.0.0.1", f"--socket={sock}", "--user=mysql",
                                 f"--pid-file={d}/mariadbd.pid", "--skip-log-bin", f"--ssl-cert={crt}",
                                 f"--ssl-key={key}", "--innodb-buffer-pool-size=16M"],
                    wait=("tcp", port), timeout=60)
    ctx.run(["mariadb", f"--socket={sock}", "-u", "root", "-e",
             "CREATE USER IF NOT EXISTS 'pl'@'%' IDENTIFIED BY 'portlens'; GRANT ALL ON *.* TO 'pl'@'%'; "
             "CREATE DATABASE IF NOT EXISTS corpus"])
    base = ["-h", "127.0.0.1", f"--port={port}", "-u", "pl", "-pportlens"]
    cases = [
        ("plain", ["mariadb", *base, "--skip-ssl", "-e", "SELECT VERSION()"]),
        ("plain-query", ["mariadb", *base, "--skip-ssl", "corpus", "-e",
                         "CREATE TABLE IF NOT EXISTS t (id INT, v VARCHAR(20)); INSERT INTO t VALUES (1,'portlens'); SELECT * FROM t"]),
        ("ssl", ["mariadb", *base, "--ssl", "-e", "SHOW STATUS LIKE 'Ssl_version'"]),
        ("plain-compress", ["mariadb", *base, "--skip-ssl", "--compress", "-e", "SELECT 1"]),
        ("admin-ping", ["mariadb-admin", *base, "--skip-ssl", "ping"]),
    ]
    for variant, argv in cases:
        with ctx.capture("mysql") as cap:
            cap.expect("tcp", port, "mysql", variant=variant, server=SERVER, client=CLIENT,
                       how=f"{cmd(argv)} against mariadbd")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv, timeout=30)
