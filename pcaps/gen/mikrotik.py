"""MikroTik Neighbor Discovery Protocol (MNDP): no speaker of it is installable here
(RouterOS is not packaged; neither Debian nor PyPI has an MNDP announcer), so the
announcements are built from the public description (Wireshark's packet-mndp.c: a
4-byte header, then big-endian 2-byte type / 2-byte length TLVs; the TLV types of
MikroTik's Neighbor discovery manual) and pcaps/gen/peers/spec_peer.py sends them on
loopback; the manifest says "spec-built-python".  A real device broadcasts them to port
5678 and nobody answers; here two announcements (sequence numbers 1 and 2) go to the
peer's port and it stays silent."""

import struct

from .core import spec_exchange

NAME = "mikrotik"
PREFIXES = ("mikrotik",)            # its captures: pcaps/corpus/mikrotik-<n>.pcap
MODES = ("random", "iana")
IANA_PORT = 5678                    # MNDP's conventional port (IANA lists rrac there)


def _tlv(t: int, value: bytes) -> bytes:
    return struct.pack(">HH", t, len(value)) + value


def announcement(seq: int) -> bytes:
    """An announcement as a RouterOS router sends it: header (2 unknown bytes, zero
    here, and the sequence number), then MAC-Address (1), Identity (5), Version (7),
    Platform (8), Uptime (10, 4 bytes), Software-ID (11), Board (12), Unpack (14, 1
    byte), Interface name (16), IPv4-Address (17)."""
    return (struct.pack(">HH", 0, seq)
            + _tlv(1, bytes.fromhex("020000a1b2c3"))          # a locally administered MAC
            + _tlv(5, b"portlens-router")
            + _tlv(7, b"7.15.3 (stable)")
            + _tlv(8, b"MikroTik")
            + _tlv(10, struct.pack("<I", 3600 + 30 * seq))    # uptime, seconds
            + _tlv(11, b"ABCD-1234")
            + _tlv(12, b"RB5009UG+S+")
            + _tlv(14, b"\x01")                               # unpack: none
            + _tlv(16, b"ether1")
            + _tlv(17, bytes([127, 0, 0, 1])))


def exchange():
    """Two announcements from the client; MNDP has no answer."""
    return [("c", announcement(1)), ("c", announcement(2))]


def run(ctx):
    spec_exchange(ctx, "mikrotik", "udp", ctx.port(IANA_PORT, "udp"), exchange(), "mikrotik.json",
                  "spec-built: two router announcements (MAC, identity, version, platform, uptime, "
                  "software id, board, unpack, interface, IPv4), unanswered", against="")
