"""XMPP client-to-server with and without STARTTLS: prosody (own config, data dir owned
by prosody); slixmpp and a raw stream-opening client."""

import os
import shutil
import subprocess
import sys

from . import servers
from .core import cmd, deb_version, pip_version

NAME = "xmpp"
PREFIXES = ("xmpp",)
MODES = ("random", "iana")

SERVER = ("prosody", deb_version("prosody"))
SLIX = f"slixmpp {pip_version('slixmpp')}"
PY = """
import asyncio, sys, slixmpp
port, tls = int(sys.argv[1]), sys.argv[2] == "tls"
class C(slixmpp.ClientXMPP):
    def __init__(s):
        super().__init__("alice@portlens.test/corpus", "wonderland")
        s.add_event_handler("session_start", s.start)
    async def start(s, ev):
        s.send_presence(); await s.get_roster()
        s.send_message(mto="bob@portlens.test", mbody="hello from the corpus", mtype="chat")
        await asyncio.sleep(0.5); s.disconnect()
async def main():
    c = C(); c.register_plugin("xep_0030"); c.register_plugin("xep_0199")
    c.enable_starttls = tls; c.enable_direct_tls = False
    import ssl; c.ssl_context.check_hostname = False; c.ssl_context.verify_mode = ssl.CERT_NONE
    c.connect("127.0.0.1", port); await c.disconnected
asyncio.run(main())
"""
# A clear-text session by hand (slixmpp would not log in without TLS): SASL PLAIN,
# stream restart, resource bind, one message.
SASL = """
import base64, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(5)
def until(tok):
    buf = b""
    while tok not in buf:
        d = s.recv(4096)
        if not d: raise SystemExit("closed before " + tok.decode())
        buf += d
    return buf
OPEN = (b"<?xml version='1.0'?><stream:stream to='portlens.test' xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
s.sendall(OPEN); until(b"</stream:features>")
cred = base64.b64encode(b"\\0alice\\0wonderland")
s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + cred + b"</auth>"); until(b"<success")
s.sendall(OPEN); until(b"</stream:features>")
s.sendall(b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>")
until(b"</iq>")
s.sendall(b"<message to='bob@portlens.test' type='chat'><body>clear-text corpus message</body></message>")
s.sendall(b"</stream:stream>")
try:
    until(b"</stream:stream>")
except (OSError, SystemExit):
    pass
"""
RAW = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(3)
s.sendall(b"<?xml version='1.0'?><stream:stream to='portlens.test' xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
print(s.recv(4096)); s.sendall(b"</stream:stream>")
try:
    while s.recv(4096): pass
except OSError: pass
"""


def run(ctx):
    crt, key = servers.cert(ctx)
    d = ctx.tmp("prosody")
    data = ctx.tmp("prosody", "data")
    for f in (crt, key):
        shutil.copy(f, d)
    port = ctx.port(5222)
    conf = ctx.write(os.path.join(d, "prosody.cfg.lua"), f"""
pidfile = "{d}/prosody.pid"
data_path = "{data}"
log = {{ debug = "{d}/prosody.log" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ }}
component_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_direct_tls_ports = {{ }}
s2s_direct_tls_ports = {{ }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "iq" }}
modules_disabled = {{ "s2s"; "posix" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
ssl = {{ certificate = "{d}/portlens.test.crt"; key = "{d}/portlens.test.key" }}
VirtualHost "portlens.test"
""")
    for p in (d, data, *[os.path.join(d, f) for f in os.listdir(d)]):
        shutil.chown(p, "prosody", "prosody")
    subprocess.run(["prosodyctl", "--config", conf, "register", "alice", "portlens.test", "wonderland"],
                   check=True, capture_output=True, user="prosody")
    srv = ctx.start("prosody", ["prosody", "-F", "--config", conf], wait=("tcp", port), user="prosody")
    cases = [
        ("c2s-starttls", SLIX, [sys.executable, "-W", "ignore", "-c", PY, str(port), "tls"]),
        ("c2s-plain-sasl-plain", f"python-socket {sys.version.split()[0]}", [sys.executable, "-c", SASL, str(port)]),
        ("c2s-stream-open", f"python-socket {sys.version.split()[0]}", [sys.executable, "-c", RAW, str(port)]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("xmpp") as cap:
            cap.expect("tcp", port, "xmpp", variant=variant, server=SERVER, client=client,
                       how=f"python3 {'slixmpp client' if client == SLIX else 'raw socket client'} ({variant}) against prosody -F")
            cap.start()
            ctx.run(argv, timeout=20)
    ctx.stop(srv)
