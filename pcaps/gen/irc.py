"""IRC: ngircd; a small Python client (registration, JOIN, PRIVMSG, CAP negotiation)."""

import os
import sys

from .core import cmd, deb_version

NAME = "irc"
PREFIXES = ("irc",)
MODES = ("random", "iana")

SERVER = ("ngircd", deb_version("ngircd"))
PY = """
import socket, sys, time
port, nick, cap = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "cap"
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(5)
def send(l): s.sendall(l.encode() + b"\\r\\n")
def wait(tok):
    buf = b""
    while tok.encode() not in buf:
        d = s.recv(4096)
        if not d: break
        buf += d
        for line in buf.split(b"\\r\\n"):
            if line.startswith(b"PING"): send("PONG" + line[4:].decode())
    return buf
if cap: send("CAP LS 302")
send(f"NICK {nick}"); send(f"USER {nick} 0 * :portlens corpus")
if cap: wait("CAP"); send("CAP END")
wait(" 376 ") if not cap else wait(" 001 ")
send("JOIN #portlens"); wait("JOIN")
send(f"PRIVMSG #portlens :hello from {nick}"); send("TOPIC #portlens"); send("WHO #portlens"); time.sleep(0.3)
send("QUIT :bye"); wait("ERROR")
"""


def run(ctx):
    d = ctx.tmp("ngircd")
    port = ctx.port(6667)
    conf = ctx.write(os.path.join(d, "ngircd.conf"), f"""[Global]
Name = irc.portlens.test
Info = portlens corpus
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = "portlens corpus server"
PidFile = {d}/ngircd.pid
[Limits]
PingTimeout = 120
[Options]
PAM = no
Ident = no
DNS = no
""")
    srv = ctx.start("ngircd", ["ngircd", "-n", "-f", conf], wait=("tcp", port))
    client = f"python-socket {sys.version.split()[0]}"
    for variant, nick, cap in (("rfc1459-register-join", "alice", "-"), ("ircv3-cap-ls", "bob", "cap")):
        argv = [sys.executable, "-c", PY, str(port), nick, cap]
        with ctx.capture("irc") as cap_:
            cap_.expect("tcp", port, "irc", variant=variant, server=SERVER, client=client,
                        how=f"python socket client ({variant}: NICK/USER/JOIN/PRIVMSG/QUIT) against ngircd -n")
            cap_.start()
            ctx.run(argv, timeout=15)
    ctx.stop(srv)
