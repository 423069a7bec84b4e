"""Ether-S-Bus (Saia-Burgess PCD controllers' S-Bus over UDP), spec-built: nothing
installable here speaks it (the PCDs' firmware and Saia's PG5 tools are not packaged;
no Debian or PyPI package is an Ether-S-Bus server), so the telegrams are built from
the public description of the protocol (the layout classifier/detectors/ether_s_bus.py
documents, as Wireshark's packet-sbus.c and nDPI's ethersbus.c read it) and
pcaps/gen/peers/spec_peer.py plays both sides on loopback.  The manifest says so:
server and client software "spec-built-python", the variant names what the exchange
shows.

Each datagram is one telegram: length (u32, the whole telegram) | version 1 | protocol
type 0 (S-Bus) | sequence number (u16) | telegram attribute (0 request, 1 response,
2 ACK/NAK) | S-Bus data | CRC-16 (CRC-CCITT, polynomial 0x1021, initial value 0, over
everything before it).  A request's data is the destination station, the command code
and its arguments; the PCD answers a read with the values, a write with an ACK.
Saia's PCDs listen on UDP 5050, which IANA registers to "mmcc": both captures come
from the random-port run.  ``pcaps/generate --only ethersbus`` rewrites them.
"""

from __future__ import annotations

import struct
from binascii import crc_hqx

from .core import spec_exchange

NAME = "ethersbus"
PREFIXES = ("ether-s-bus",)         # its captures: pcaps/corpus/ether-s-bus-<n>.pcap
MODES = ("random",)

REQUEST, RESPONSE, ACK_NAK = 0, 1, 2
READ_FLAGS, READ_REGISTERS, WRITE_REGISTERS = 0x02, 0x06, 0x0E
STATION = 10                        # the PCD's S-Bus station number


def telegram(seq: int, attribute: int, data: bytes) -> bytes:
    """One Ether-S-Bus telegram around ``data``: the 9-byte header, the CRC after it."""
    body = struct.pack(">IBBHB", 9 + len(data) + 2, 1, 0, seq, attribute) + data
    return body + struct.pack(">H", crc_hqx(body, 0))


def read_registers(seq: int, address: int, values: list[int]):
    """Read len(values) registers from ``address``: the request carries the station,
    the command, the count minus one and the address; the response the values (u32)."""
    ask = telegram(seq, REQUEST, struct.pack(">BBBH", STATION, READ_REGISTERS, len(values) - 1, address))
    return [("c", ask), ("s", telegram(seq, RESPONSE, b"".join(struct.pack(">I", v) for v in values)))]


def read_flags(seq: int, address: int, flags: list[int]):
    """Read len(flags) flags from ``address``: the response packs them 8 to a byte."""
    ask = telegram(seq, REQUEST, struct.pack(">BBBH", STATION, READ_FLAGS, len(flags) - 1, address))
    packed = bytearray((len(flags) + 7) // 8)
    for i, f in enumerate(flags):
        packed[i // 8] |= (f & 1) << (i % 8)
    return [("c", ask), ("s", telegram(seq, RESPONSE, bytes(packed)))]


def write_registers(seq: int, address: int, values: list[int]):
    """Write values from ``address``: the request carries the station, the command, the
    write count (4 bytes a register, plus one: packet-sbus.c reads (count - 1) / 4
    registers), the address and the values; the PCD answers with an ACK telegram (ACK
    code 0)."""
    data = b"".join(struct.pack(">I", v) for v in values)
    ask = telegram(seq, REQUEST, struct.pack(">BBBH", STATION, WRITE_REGISTERS, len(data) + 1, address) + data)
    return [("c", ask), ("s", telegram(seq, ACK_NAK, struct.pack(">H", 0)))]


def exchange(variant: int):
    if variant == 0:
        return read_registers(0x1201, 100, [4711, 0, 230, 65536]) + read_flags(0x1202, 2000, [1, 0, 1, 1, 0, 0, 0, 1, 1, 0])
    return write_registers(0x0031, 200, [1500, 21]) + read_registers(0x0032, 200, [1500, 21])


VARIANTS = ("a PG5-style poll: read 4 registers (command 06) and 10 flags (command 02), each answered by a response",
            "write 2 registers (command 0e) answered by an ACK, then read them back (command 06)")


def run(ctx):
    for variant, what in enumerate(VARIANTS):
        spec_exchange(ctx, "ether-s-bus", "udp", ctx.port(None, "udp"), exchange(variant),
                      f"ethersbus-{variant}.json", f"spec-built: {what}")
