"""Games, peer-to-peer and real-time media, spec-built: no real software for these
protocols installs here (game clients and servers, Agora's SDK, TeamSpeak, eMule's
GUI), so pcaps/gen/peers/games_peer.py speaks each exchange from the protocol's public
description between two Python sockets on loopback.  The manifest says so:
server_software and client_software are "spec-built-python", and each variant names
the messages the capture shows."""

import os
import sys

from .core import cmd

NAME = "games"
PEER = os.path.join(os.path.dirname(__file__), "peers", "games_peer.py")
PY = sys.version.split()[0]

# protocol -> (transport, [(variant, what the capture shows)])
EXCHANGES = {
    "sd-rtn": ("udp", [("edge-a", "edge session request (0x21, SNI attribute) and answer"),
                       ("edge-b", "edge session request to another edge host and answer")]),
    "raknet": ("udp", [("ping-pong", "Unconnected Ping / Pong with a Bedrock-style server string"),
                       ("open-connection", "Open Connection Request/Reply 1 and 2, a frame set, an ACK")]),
    "photon": ("udp", [("connect", "connect, verify-connect + ack, ack"),
                       ("reliable", "send-reliable operation, ack + response, ack")]),
    "genshin": ("udp", [("handshake", "the 20-byte connect handshake and its accept"),
                               ("handshake-disconnect", "handshake, accept, then the disconnect message")]),
    "kcp": ("udp", [("push-ack", "PUSH segments and their ACKs, one conversation"),
                    ("fragments", "a two-fragment PUSH, ACKs, a window probe and its answer")]),
    "teamspeak": ("udp", [("init-a", "TS3INIT1 steps 0 to 3"), ("init-b", "TS3INIT1 steps 0 to 3, another version")]),
    "netcode": ("udp", [("request-a", "connection request (1078 bytes), encrypted challenge, response, keep-alive"),
                        ("request-b", "connection request for another protocol id, then encrypted packets")]),
    "zoom": ("udp", [("p2p", "the peer-to-peer hole-punching message (address, UUID) both ways"),
                     ("sfu-media", "SFU type-5 encapsulation carrying RTP audio (media type 15), both ways")]),
    "nano": ("tcp", [("live", "node_id_handshake query, query + response (v2), response, keepalive"),
                     ("beta", "the same handshake on the beta network")]),
    "bitcoin": ("tcp", [("mainnet", "version / version + verack, verack, sendcmpct + ping (mainnet magic)"),
                        ("regtest", "the same exchange with the regtest magic")]),
    "gnutella": ("tcp", [("v0.6", "GNUTELLA CONNECT/0.6 handshake (three steps), then a ping descriptor"),
                         ("v0.4", "GNUTELLA CONNECT/0.4, GNUTELLA OK, a descriptor")]),
    "a2s": ("udp", [("info", "A2S_INFO, S2C_CHALLENGE, A2S_INFO with the challenge, the info answer"),
                    ("player", "A2S_PLAYER challenge request, challenge, A2S_PLAYER, the player list")]),
    "stratum": ("tcp", [("subscribe", "mining.subscribe / result, mining.authorize / result + set_difficulty"),
                        ("configure", "mining.configure (version rolling) / result")]),
    "iax2": ("udp", [("call", "NEW (version, called number, caller) / ACCEPT / ACK"),
                     ("poke", "POKE / PONG / ACK")]),
    "mgcp": ("udp", [("crcx", "CRCX / 200 with SDP, DLCX / 250 (RFC 3435 examples' shape)"),
                     ("rqnt", "RQNT / 200")]),
    "discord": ("udp", [("ipv4", "IP discovery request / response, then two RTP-like media datagrams"),
                        ("ipv4-b", "IP discovery with another address")]),
    "multistream": ("tcp", [("noise", "/multistream/1.0.0 both ways, /noise proposed and accepted"),
                            ("na", "/multistream/1.0.0, /tls/1.0.0 refused (na), then /noise")]),
    "edonkey": ("tcp", [("client-hello", "client Hello (0x01) / Hello Answer (0x4c), then a file request"),
                        ("server-login", "Login (0x01), server message + id change, server list / status")]),
}
PREFIXES = tuple(EXCHANGES)
MODES = ("random", "iana")
# The few with an IANA registration also run once on it (their first variant); the
# others have none (classifier/protocols.py says why for each).
IANA = {"gnutella": 6346, "iax2": 4569, "mgcp": 2427}


def run(ctx):
    for proto, (transport, variants) in EXCHANGES.items():
        if ctx.mode == "iana":
            if proto not in IANA:
                continue
            variants = variants[:1]
        for variant, shows in variants:
            port = ctx.port(IANA.get(proto))
            argv = [sys.executable, PEER, proto, variant, str(port)]
            with ctx.capture(proto) as cap:
                cap.expect(transport, port, proto, variant=f"{variant}: {shows}",
                           server=("spec-built-python", PY), client=f"spec-built-python {PY}",
                           how=cmd(argv).replace(PEER, "pcaps/gen/peers/games_peer.py") + " (both peers, loopback)")
                cap.start()
                ctx.run(argv)
