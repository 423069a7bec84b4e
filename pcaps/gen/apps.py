"""Messaging, consumer/cloud and remote-access apps, built from their public
descriptions (no Debian 12 or PyPI package speaks these protocols): pcaps/gen/peers/
apps_peer.py runs a small Python server and client on loopback for each, and the
manifest marks both ends `spec-built-python`.  Two captures per protocol, each a
different variant; ports are random (the port mode "iana" is run for dropbox only,
the one with an IANA registration: db-lsp-disc 17500/udp)."""

import os
import sys

from .core import cmd

NAME = "apps"
PROTOCOLS = ("dropbox", "oicq", "alicloud", "avast", "spotify", "syncthing", "roughtime", "ookla",
             "whatsapp", "softether", "tailscale", "teamviewer", "telegram")
PREFIXES = PROTOCOLS
MODES = ("random", "iana")

PEER = os.path.join(os.path.dirname(__file__), "peers", "apps_peer.py")
PY = sys.version.split()[0]
SPEC_BUILT = ("spec-built-python", PY)

# (protocol, transport, variant): what each capture shows
CASES = (
    ("dropbox", "udp", "lan-sync-discovery-v2"),
    ("dropbox", "udp", "lan-sync-discovery-v1.8"),
    ("oicq", "udp", "keepalive"),
    ("oicq", "udp", "login-request"),
    ("alicloud", "tcp", "header-body-split"),
    ("alicloud", "tcp", "frames-both-ways"),
    ("avast", "tcp", "one-exchange"),
    ("avast", "tcp", "two-exchanges"),
    ("spotify", "udp", "lan-discovery"),
    ("spotify", "tcp", "ap-handshake"),
    ("syncthing", "udp", "announce-tcp-address"),
    ("syncthing", "udp", "tcp-and-quic"),
    ("roughtime", "udp", "google-udp"),
    ("roughtime", "udp", "ietf-framed-udp"),
    ("roughtime", "tcp", "ietf-framed-tcp"),
    ("ookla", "tcp", "hi-guid-ping"),
    ("ookla", "tcp", "hi-getip"),
    ("whatsapp", "tcp", "funxmpp"),
    ("whatsapp", "tcp", "noise"),
    ("softether", "udp", "nat-traversal-probe"),
    ("softether", "udp", "probe-and-pack"),
    ("tailscale", "udp", "disco-ping-pong"),
    ("tailscale", "udp", "disco-then-wireguard"),
    ("teamviewer", "tcp", "tcp-identify"),
    ("teamviewer", "udp", "udp-ping"),
    ("telegram", "tcp", "intermediate"),
    ("telegram", "tcp", "abridged"),
    ("telegram", "tcp", "full"),
)
IANA = {"dropbox": 17500}


def run(ctx):
    for proto, transport, variant in CASES:
        if ctx.mode == "iana":
            if proto not in IANA:
                continue
            port = ctx.port(IANA[proto])
        else:
            port = ctx.port()
        argv = [sys.executable, PEER, proto, variant, str(port)]
        with ctx.capture(proto) as cap:
            cap.expect(transport, port, proto, variant=f"{variant} (spec-built)", server=SPEC_BUILT,
                       client=f"spec-built-python {PY}",
                       how=cmd(argv).replace(PEER, "pcaps/gen/peers/apps_peer.py"))
            cap.start()
            ctx.run(argv)
