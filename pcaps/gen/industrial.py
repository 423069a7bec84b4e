"""IoT, building-automation and industrial protocols (issue 14), spec-built: none has a
server and client installable here that run on loopback without the device, so each
exchange is built from the protocol's public specification by pcaps/gen/peers/
industrial_peer.py (two plain sockets: a scripted client and a scripted server) and
marked as such in the manifest (server and client software "spec-built-python", the
variant names what the exchange shows).

    sudo pcaps/generate --only industrial
"""

import os
import sys

from .core import cmd

NAME = "industrial"
# protocol -> (variants, IANA port or None); the first variant also runs on the IANA port.
PROTOCOLS = {
    "tuya-lp": (("discovery-3.3", "discovery-3.5"), None),
    "bacnet": (("who-is-i-am", "read-property", "register-foreign-device"), 47808),
    "bjnp": (("discover", "get-id"), 8612),
    "caneth": (("two-frames", "extended-rtr"), None),
    "ethernetip": (("register-read-tag", "list-services-read-tag", "list-identity"), 44818),
    "hart-ip": (("session-udp", "session-tcp"), 5094),
    "trdp": (("pd-push", "md-udp", "md-tcp"), None),
    "atg": (("inventory-display", "inventory-computer"), None),
    "ansi-c1222": (("read-udp", "read-tcp"), 1153),
    "iec62056": (("hdlc-associate", "wrapper-get"), 4059),
    "ieee-c37118": (("command-config-data", "data-udp"), None),
    "someip": (("sd-offer-subscribe", "sd-find-offer"), None),
    "egd": (("exchange-small", "exchange-large"), None),
    "ethersio": (("transfer", "status"), None),
    "s7comm": (("read-db", "write-db"), 102),
    "iso9506-mms": (("get-name-list", "read-variable"), 102),
    "rtps": (("participant-announce", "heartbeat-acknack"), 7400),
}
PREFIXES = tuple(PROTOCOLS)
MODES = ("random", "iana")

PEER = os.path.join(os.path.dirname(__file__), "peers", "industrial_peer.py")
PY = sys.version.split()[0]
SOFTWARE = ("spec-built-python", PY)


def _transport(proto, variant):
    sys.path.insert(0, os.path.dirname(PEER))
    import industrial_peer
    return industrial_peer.SCRIPTS[proto](variant)[0]


def run(ctx):
    for proto, (variants, iana) in PROTOCOLS.items():
        if ctx.mode == "iana":
            if iana is None:
                continue                 # no registered port: random ports only
            variants = variants[:1]
        for variant in variants:
            transport = _transport(proto, variant)
            port = ctx.port(iana, transport) if ctx.mode == "iana" else ctx.port(None, transport)
            srv = ctx.start(f"{proto}-server", [sys.executable, PEER, "server", proto, variant, str(port)],
                            wait=(transport, port))
            argv = [sys.executable, PEER, "client", proto, variant, str(port)]
            with ctx.capture(proto) as cap:
                cap.expect(transport, port, proto, variant=variant, server=SOFTWARE,
                           client=f"spec-built-python {PY}",
                           how=f"{cmd(argv).replace(PEER, 'pcaps/gen/peers/industrial_peer.py')} against its server role")
                cap.start()
                ctx.run(argv)
            ctx.stop(srv)
