"""EtherNet/IP encapsulation (ODVA, The CIP Networks Library vol. 2, chapter 2): every
message, on TCP (44818) and UDP (44818, ListIdentity and friends), starts with a 24-byte
little-endian header: command (2), length (2) of the data after the header, session
handle (4), status (4), sender context (8), options (4, always 0).  Commands: NOP 0x00,
ListServices 0x04, ListIdentity 0x63, ListInterfaces 0x64, RegisterSession 0x65,
UnRegisterSession 0x66, SendRRData 0x6F, SendUnitData 0x70, IndicateStatus 0x72,
Cancel 0x73.  SendRRData/SendUnitData carry an interface handle (4), a timeout (2) and
a Common Packet Format item list (count, then type/length items) that must fill the
data exactly; RegisterSession carries protocol version 1 and options 0.

The detector relies on the command, the zero options, the length agreeing with the
message (messages tiling the stream or the datagram) and, where there is one, the CPF
item list.  Metadata: command (name of the first message's command).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

COMMANDS = {0x00: "NOP", 0x04: "ListServices", 0x63: "ListIdentity", 0x64: "ListInterfaces",
            0x65: "RegisterSession", 0x66: "UnRegisterSession", 0x6F: "SendRRData",
            0x70: "SendUnitData", 0x72: "IndicateStatus", 0x73: "Cancel"}
STATUSES = frozenset((0x0000, 0x0001, 0x0002, 0x0003, 0x0064, 0x0065, 0x0069))


def _cpf(data: bytes) -> bool:
    """A Common Packet Format item list filling `data` exactly (item count, items)."""
    if len(data) < 2:
        return False
    count, pos = int.from_bytes(data[:2], "little"), 2
    if count == 0 or count > 8:
        return False
    for _ in range(count):
        if pos + 4 > len(data):
            return False
        pos += 4 + int.from_bytes(data[pos + 2:pos + 4], "little")
    return pos == len(data)


def messages(data: bytes, whole: bool):
    """[(command, strong)] of the encapsulation messages tiling `data`; MORE for a valid
    prefix (a TCP stream cut short); None.  `strong`: a body structure was verified, or
    a session-bound command carries a session handle (a zero-filled stream never does)."""
    out, pos = [], 0
    while pos < len(data) and len(out) < 4:
        head = data[pos:pos + 24]
        if len(head) >= 2 and (head[1] != 0 or head[0] not in COMMANDS):
            return None
        if len(head) < 24:
            if whole:
                return None
            return out or MORE
        cmd, n = head[0], int.from_bytes(head[2:4], "little")
        status = int.from_bytes(head[8:12], "little")
        if head[20:24] != b"\x00\x00\x00\x00" or status not in STATUSES:
            return None                  # options are 0; status from the spec's table
        body = data[pos + 24:pos + 24 + n]
        if len(body) < n:
            if whole:
                return None
            return out or MORE
        strong = False
        if cmd in (0x6F, 0x70) and n:
            if not _cpf(body[6:]):
                return None              # interface handle, timeout, then the items
            strong = True
        elif cmd == 0x65:
            if n != 4 or body != b"\x01\x00\x00\x00":
                return None              # protocol version 1, option flags 0
            strong = True
        elif cmd in (0x63, 0x64, 0x04) and n:
            strong = status == 0 and _cpf(body)    # a reply: its item list
            if not strong:
                return None
        out.append((cmd, strong or (cmd in (0x66, 0x6F, 0x70) and head[4:8] != b"\x00\x00\x00\x00")))
        pos += 24 + n
    return out


def probe(view, state):
    found = []
    more = False
    units = _units.units(view, SPEC.max_bytes)
    for data, whole in units:
        r = messages(data, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.extend(r)
    if not found:
        return MORE if more else NO
    if not any(strong for _, strong in found):
        # A ListIdentity request or a NOP is 24 bytes, mostly zero: wait for more.
        return MORE
    return claim("ethernetip", 0.95, command=COMMANDS[found[0][0]])


# Sessions open with RegisterSession, ListIdentity or ListServices and carry SendRRData/
# SendUnitData; a flow (or a capture cut mid-stream) starting with a NOP is left out of
# the hint so that zero-led flows of every other protocol do not probe this one.
FIRST = frozenset(COMMANDS) - {0x00}
# The gate (compiled, UDP): a whole datagram holds whole messages, so each direction's
# first one is at least a 24-byte header with the command's high byte 0, a status from
# the table (below 0x100: bytes 9-11 zero) and zero options (bytes 20-23).
_GATE = Gate(whole=True, min_len=24, bytes=((1, 0xff, 0, 0), (9, 0xff, 0, 0), (10, 0xff, 0, 0),
                                             (11, 0xff, 0, 0), (20, 0xff, 0, 0), (21, 0xff, 0, 0),
                                             (22, 0xff, 0, 0), (23, 0xff, 0, 0)))
SPEC = DetectorSpec(name="ethernetip", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=FIRST, s2c=FIRST),
                    max_confidence=0.95, gate=_GATE)
