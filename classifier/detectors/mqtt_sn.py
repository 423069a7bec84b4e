"""MQTT-SN 1.2 (MQTT For Sensor Networks, IBM/OASIS specification 1.2, 5.2), UDP: every
datagram is one message, a length (1 byte, or 0x01 then 2 bytes for longer messages;
the whole message, equal to the datagram), a message type and its fields.  A client
opens with SEARCHGW (0x01, length 3: radius) or CONNECT (0x04: flags, protocol id 0x01,
duration (2), client id of 1-23 characters); a gateway advertises (ADVERTISE 0x00,
length 5), answers GWINFO (0x02) and CONNACK (0x05, length 3, return code 0-3).

The detector relies on the length agreeing with the datagram, the type's fixed size
and, for CONNECT, the protocol id and a printable client id; only these opening
messages are claimed (a lone PUBLISH is a length and a type, too few bits).  A CONNECT
answered by a CONNACK, or a SEARCHGW by a GWINFO, lifts the confidence.
Metadata: message (the first message's type), client_id.

Checked against: the MQTT-SN 1.2 specification (5.2.1 the 1- or 3-octet Length, 5.2.2
Table 3 the message types, 5.3.4 Flags, 5.4.4 CONNECT, 5.4.5 CONNACK return codes),
Wireshark epan/dissectors/packet-mqtt-sn.c, Eclipse Paho's MQTTSNPacket message type
enum.  Our first list lacked PUBCOMP, PUBREC, PUBREL, UNSUBSCRIBE, UNSUBACK, the
will-update messages and the encapsulated message (0xFE), and refused the 3-octet
length: a QoS 2 publish or a long PUBLISH among the first datagrams made the flow NO.
nDPI has no MQTT-SN dissector (its mqtt.c is MQTT over TCP): no nDPI name.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

NAMES = {0x00: "advertise", 0x01: "searchgw", 0x02: "gwinfo", 0x04: "connect", 0x05: "connack",
         0x06: "willtopicreq", 0x07: "willtopic", 0x08: "willmsgreq", 0x09: "willmsg", 0x0A: "register",
         0x0B: "regack", 0x0C: "publish", 0x0D: "puback", 0x0E: "pubcomp", 0x0F: "pubrec",
         0x10: "pubrel", 0x12: "subscribe", 0x13: "suback", 0x14: "unsubscribe", 0x15: "unsuback",
         0x16: "pingreq", 0x17: "pingresp", 0x18: "disconnect", 0x1A: "willtopicupd",
         0x1B: "willtopicresp", 0x1C: "willmsgupd", 0x1D: "willmsgresp", 0xFE: "encapsulated"}
# The opening messages (claimed first) are all short.
OPENING = (0x00, 0x01, 0x02, 0x04, 0x05)
# Answers that complete an opening exchange.
ANSWERS = {0x01: 0x02, 0x04: 0x05}


def message(d: bytes, whole: bool):
    """(type, client id or None) / MORE / None."""
    if len(d) < 2:
        return MORE                  # a valid prefix
    if d[0] == 0x01:
        # 3-octet Length (5.2.1): 0x01, then the length on two octets, for messages
        # of 256 bytes or more; only the later messages of a flow are that long.
        if len(d) < 4:
            return MORE
        n, t = int.from_bytes(d[1:3], "big"), d[3]
        if n < 4 or (n != len(d) if whole else n < len(d)) or t not in NAMES or t in OPENING:
            return None
        return t, None
    n, t = d[0], d[1]
    if n < 2 or (n != len(d) if whole else n < len(d)) or t not in NAMES:
        return None                      # the length is the datagram's
    if t == 0x00 and n != 5 or t in (0x01, 0x05) and n != 3 or t == 0x02 and n < 3:
        return None                      # fixed sizes of the opening messages
    if t == 0x05 and len(d) >= 3 and d[2] > 3:
        return None                      # CONNACK return code
    if t == 0x04:
        if n < 7 or n > 6 + 23:
            return None                  # a 1-23 character client id (5.4.4)
        if len(d) < 7:
            return MORE
        if d[2] & 0x63 or d[3] != 0x01:
            return None                  # flags: only Will and CleanSession; protocol id 0x01
        cid = d[6:n]
        if not all(0x21 <= b < 0x7F for b in cid):
            return None
        return t, dec(cid)
    return t, None


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = message(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.append(r)
    if not found:
        return MORE if more else NO
    first = found[0][0]
    if first not in (0x00, 0x01, 0x02, 0x04):
        return NO                        # only an opening message is claimed
    answered = ANSWERS.get(first) in [f[0] for f in found[1:]]
    if first in (0x00, 0x01, 0x02) and not answered and len(found) < 2:
        return MORE                      # 3-5 bytes, a length and a type: wait for more
    conf = 0.9 if answered else 0.8 if first == 0x04 else 0.7   # repeated discovery only
    cid = next((f[1] for f in found if f[1] is not None), None)
    return claim("mqtt-sn", conf, message=NAMES[first], client_id=cid)


SPEC = DetectorSpec(name="mqtt-sn", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4,
                    # The first byte is the length: 3 (SEARCHGW, GWINFO), 5 (ADVERTISE) or a
                    # CONNECT's 7-29; the answers 3 (CONNACK, GWINFO).
                    prefilter=Prefilter(c2s=frozenset((3, 5, *range(7, 30))), s2c=frozenset((3,))),
                    max_confidence=0.9,
                    # A lone datagram is claimed only as a CONNECT: its length byte is the
                    # datagram's, type 0x04, flags without bits 0x63, protocol id 0x01.
                    gate=Gate(lone=True, min_len=7, length=(0, 1, 0),
                              bytes=((1, 0xFF, 0x04, 0x04), (2, 0x63, 0, 0), (3, 0xFF, 0x01, 0x01))))
