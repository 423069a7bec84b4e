"""Telnet: inetutils telnetd run per connection by socat; inetutils telnet and telnetlib.

telnetd's login program is a small script (banner, login prompt, echo), so no real
account is involved; option negotiation is telnetd's own.
"""

import os
import sys

from .core import cmd, deb_version

NAME = "telnet"
PREFIXES = ("telnet",)
MODES = ("random", "iana")

SERVER = ("inetutils-telnetd", deb_version("inetutils-telnetd"))
PY = """
import telnetlib, sys, time
t = telnetlib.Telnet("127.0.0.1", int(sys.argv[1]), timeout=5)
t.read_until(b"login: ", 5); t.write(b"bob\\r\\n"); t.read_until(b"$ ", 5); t.write(b"exit\\r\\n"); time.sleep(0.5); t.close()
"""


def run(ctx):
    d = ctx.tmp("telnetd")
    login = ctx.write(os.path.join(d, "login.sh"),
                      '#!/bin/sh\necho "portlens telnet corpus"\nprintf "login: "\nread u\n'
                      'echo "welcome $u"\nprintf "$ "\nread c\necho "bye"\n', mode=0o755)
    port = ctx.port(23)
    srv = ctx.start("socat-telnetd", ["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
                                      f"EXEC:/usr/sbin/telnetd -h -E {login},nofork"], wait=("tcp", port))
    client = f"inetutils-telnet {deb_version('inetutils-telnet')}"
    cases = [
        ("login-script", client, f"(sleep 1; printf 'alice\\r\\n'; sleep 0.5; printf 'ls\\r\\n'; sleep 1) | telnet 127.0.0.1 {port}"),
        ("login-script-8bit", client, f"(sleep 1; printf 'carol\\r\\n'; sleep 0.5; printf 'exit\\r\\n'; sleep 1) | telnet -8 127.0.0.1 {port}"),
        ("telnetlib", f"python-telnetlib {sys.version.split()[0]}", [sys.executable, "-W", "ignore", "-c", PY, str(port)]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("telnet") as cap:
            how = (argv if isinstance(argv, str) else cmd(argv)) + " against socat-spawned telnetd"
            cap.expect("tcp", port, "telnet", variant=variant, server=SERVER, client=client, how=how)
            cap.start()
            ctx.run(argv, shell=isinstance(argv, str), check=False, timeout=15)
    ctx.stop(srv)
