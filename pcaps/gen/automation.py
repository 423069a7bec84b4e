"""Automation, time-sync and management protocols (issue 14, "Breadth"), spec-built:
OPC UA binary, KNXnet/IP, Omron FINS, MQTT-SN, Xiaomi miIO, PTPv2, RMCP/IPMI and the L2TP
control channel.  None has a server and client installable here that runs on loopback
without the device, so each exchange is built from the protocol's public specification
by pcaps/gen/peers/automation_peer.py (two plain sockets, a scripted client and a
scripted server, shared with industrial_peer.py) and marked as such in the manifest
(server and client software "spec-built-python", the variant names what the exchange
shows).

    sudo pcaps/generate --only automation
"""

import os
import sys

from .core import cmd

NAME = "automation"
# protocol -> (variants, IANA port or None); the first variant also runs on the IANA port.
PROTOCOLS = {
    "opc-ua": (("hello-open-close", "hello-error", "reverse-hello"), 4840),
    "knxnet-ip": (("search", "connect-tunnel", "tcp-connect-feature"), None),
    "fins": (("memory-area-read", "controller-data-read", "tcp-node-address-read"), None),
    "mqtt-sn": (("searchgw-connect", "connect-publish"), None),
    "miio": (("hello-command", "hello-only"), None),
    "ptpv2": (("delay-req-resp", "sync-followup"), 319),
    "rmcp": (("presence-ping", "ipmi-get-auth-caps"), 623),
    "l2tp": (("sccrq-sccrp", "hello", "v3-sccrq-sccrp"), 1701),
}
PREFIXES = tuple(PROTOCOLS)
MODES = ("random", "iana")

PEER = os.path.join(os.path.dirname(__file__), "peers", "automation_peer.py")
PY = sys.version.split()[0]
SOFTWARE = ("spec-built-python", PY)


def _transport(proto, variant):
    sys.path.insert(0, os.path.dirname(PEER))
    import automation_peer
    return automation_peer.SCRIPTS[proto](variant)[0]


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
                           how=f"{cmd(argv).replace(PEER, 'pcaps/gen/peers/automation_peer.py')} against its server role")
                cap.start()
                ctx.run(argv)
            ctx.stop(srv)
