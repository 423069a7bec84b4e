"""PostgreSQL: postgres (initdb into a temp dir); psql and pg_isready.

Variants: clear text with trust and SCRAM auth, and SSLRequest followed by TLS (the
flow still starts with the PostgreSQL SSLRequest, so it stays ``postgresql``).
"""

import os
import shutil

from . import servers
from .core import cmd, deb_version

NAME = "postgresql"
PREFIXES = ("postgresql",)
MODES = ("random", "iana")

BIN = "/usr/lib/postgresql/15/bin"
SERVER = ("postgresql", deb_version("postgresql-15"))
PSQL = f"psql {deb_version('postgresql-client-15')}"


def run(ctx):
    d = ctx.tmp("pg")
    data = os.path.join(d, "data")
    shutil.chown(d, "postgres", "postgres")
    if not os.path.exists(data):
        ctx.run([f"{BIN}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                user="postgres", timeout=60)
        crt, key = servers.cert(ctx)
        for src, dst in ((crt, "server.crt"), (key, "server.key")):
            shutil.copy(src, os.path.join(data, dst))
            shutil.chown(os.path.join(data, dst), "postgres", "postgres")
            os.chmod(os.path.join(data, dst), 0o600)
        with open(os.path.join(data, "pg_hba.conf"), "w") as fh:
            fh.write("local all all trust\nhost all scram 127.0.0.1/32 scram-sha-256\n"
                     "host all all 127.0.0.1/32 trust\n")
    port = ctx.port(5432)
    srv = ctx.start("postgres", [f"{BIN}/postgres", "-D", data, "-p", str(port), "-k", d,
                                 "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on", "-c", "fsync=off"],
                    wait=("tcp", port), user="postgres")
    ctx.run(["psql", "-h", d, "-p", str(port), "-U", "postgres", "-c",
             "CREATE ROLE scram LOGIN PASSWORD 'portlens'"], user="postgres", check=False)
    conn = f"host=127.0.0.1 port={port} dbname=postgres"
    cases = [
        ("plain-trust", PSQL, {}, ["psql", f"{conn} user=postgres sslmode=disable", "-c", "SELECT version()"]),
        ("plain-scram", PSQL, {"PGPASSWORD": "portlens"},
         ["psql", f"{conn} user=scram sslmode=disable", "-c", "SELECT 1 AS one, now()"]),
        ("sslrequest-tls", PSQL, {}, ["psql", f"{conn} user=postgres sslmode=require", "-c", "SELECT 42"]),
        ("plain-gssenc-probe", PSQL, {}, ["psql", f"{conn} user=postgres sslmode=prefer gssencmode=disable",
                                          "-c", "SELECT datname FROM pg_database"]),
        ("startup-only", f"pg_isready {deb_version('postgresql-client-15')}",
         {}, ["pg_isready", "-h", "127.0.0.1", "-p", str(port)]),
    ]
    for variant, client, env, argv in cases:
        with ctx.capture("postgresql") as cap:
            cap.expect("tcp", port, "postgresql", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against postgres")
            cap.start()
            ctx.run(argv, env=env)
    ctx.stop(srv)
