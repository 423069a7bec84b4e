"""NTP: chronyd as a server (``-x``: never touches the clock); ntplib v2-v4, chronyd -Q."""

import os
import sys

from .core import cmd, deb_version, pip_version

NAME = "ntp"
PREFIXES = ("ntp",)
MODES = ("random", "iana")

SERVER = ("chrony", deb_version("chrony"))
NTPLIB = f"python-ntplib {pip_version('ntplib')}"
PY = "import ntplib, sys; ntplib.NTPClient().request('127.0.0.1', port=int(sys.argv[1]), version=int(sys.argv[2]), timeout=3)"


def run(ctx):
    d = ctx.tmp("chrony")
    port = ctx.port(123)
    conf = ctx.write(os.path.join(d, "chrony.conf"), "\n".join([
        f"port {port}", "bindaddress 127.0.0.1", "allow 127.0.0.1", "local stratum 8", "cmdport 0",
        f"pidfile {d}/chronyd.pid", f"driftfile {d}/drift", ""]))
    srv = ctx.start("chronyd", ["chronyd", "-d", "-x", "-U", "-u", "root", "-f", conf], wait=("udp", port), delay=0.5)
    cases = [
        ("ntpv4-client", NTPLIB, [sys.executable, "-c", PY, str(port), "4"]),
        ("ntpv3-client", NTPLIB, [sys.executable, "-c", PY, str(port), "3"]),
        ("ntpv2-client", NTPLIB, [sys.executable, "-c", PY, str(port), "2"]),
    ]
    qconf = ctx.write(os.path.join(d, "query.conf"), f"server 127.0.0.1 port {port} iburst maxsamples 4\n"
                                                     f"pidfile {d}/query.pid\ncmdport 0\n")
    cases.append(("ntpv4-chronyd-query", f"chronyd {deb_version('chrony')}",
                  ["chronyd", "-Q", "-U", "-u", "root", "-t", "8", "-f", qconf]))
    for variant, client, argv in cases:
        with ctx.capture("ntp") as cap:
            cap.expect("udp", port, "ntp", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against chronyd -d -x")
            cap.start()
            ctx.run(argv, timeout=15)
    ctx.stop(srv)
