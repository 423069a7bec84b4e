"""Syslog over UDP and TCP: rsyslogd -n with imudp/imtcp; logger (RFC 3164, 5424) and Python."""

import os
import sys

from .core import cmd, deb_version

NAME = "syslog"
PREFIXES = ("syslog",)
MODES = ("random", "iana")

SERVER = ("rsyslog", deb_version("rsyslog"))
LOGGER = f"logger {deb_version('bsdutils')}"
PY = ("import logging, logging.handlers, sys; h = logging.handlers.SysLogHandler(('127.0.0.1', int(sys.argv[1])));"
      "l = logging.getLogger('portlens'); l.addHandler(h); l.warning('python syslog handler message'); l.error('second')")


def run(ctx):
    d = ctx.tmp("rsyslog")
    uport, tport = ctx.port(514, "udp"), ctx.port(601)
    conf = ctx.write(os.path.join(d, "rsyslog.conf"), f"""global(workDirectory="{d}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{uport}")
input(type="imtcp" address="127.0.0.1" port="{tport}")
*.* action(type="omfile" file="{d}/messages")
""")
    srv = ctx.start("rsyslogd", ["rsyslogd", "-n", "-f", conf, "-i", f"{d}/rsyslogd.pid"], wait=("tcp", tport))
    lg = ["logger", "-n", "127.0.0.1", "-t", "portlens"]
    cases = [
        ("udp", uport, "rfc3164", LOGGER, lg + ["-P", str(uport), "-d", "--rfc3164", "corpus message over udp"]),
        ("udp", uport, "rfc5424", LOGGER, lg + ["-P", str(uport), "-d", "--rfc5424", "-p", "local3.notice",
                                                "--sd-id", "portlens@32473", "--sd-param", 'run="corpus"', "structured"]),
        ("tcp", tport, "rfc5424-octet-count", LOGGER, lg + ["-P", str(tport), "-T", "--rfc5424", "--octet-count",
                                                            "corpus message over tcp"]),
        ("tcp", tport, "rfc3164-lf", LOGGER, lg + ["-P", str(tport), "-T", "--rfc3164", "-p", "auth.warning", "tcp 3164"]),
        ("udp", uport, "rfc3164-python", f"python-logging {sys.version.split()[0]}", [sys.executable, "-c", PY, str(uport)]),
    ]
    for transport, port, variant, client, argv in cases:
        with ctx.capture("syslog") as cap:
            cap.expect(transport, port, "syslog", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against rsyslogd -n (imudp/imtcp)")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
