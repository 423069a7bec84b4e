"""Spec-built peers for the IoT, building and industrial protocols of pcaps/gen/industrial.py.

    python3 industrial_peer.py server PROTOCOL VARIANT PORT
    python3 industrial_peer.py client PROTOCOL VARIANT PORT

None of these protocols has a server and client installable here (Debian packages or
pip) that speaks them on loopback without hardware, so each exchange is built field by
field from the protocol's public specification (cited per builder) and played by two
plain sockets: the client sends each request of the script, the server answers with
the scripted reply.  Payloads are made up (tags, names, values), the framing is the
specification's: lengths, checksums and CRCs are computed, never copied.
"""
from __future__ import annotations

import socket
import struct
import sys
import zlib

# ----------------------------------------------------------------------------- helpers


def der(tag: int, *content: bytes) -> bytes:
    body = b"".join(content)
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    k = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | k]) + n.to_bytes(k, "big") + body


def crc16_ccitt(data: bytes, init: int) -> int:
    c = init
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def crc16_x25(data: bytes) -> int:
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    return c ^ 0xFFFF


def filler(n: int, seed: int) -> bytes:
    """Deterministic stand-in bytes (for ciphertext, tags, IVs)."""
    out, x = bytearray(), seed * 2654435761 & 0xFFFFFFFF
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append(x >> 16 & 0xFF)
    return bytes(out)


# ----------------------------------------------------------------------------- Tuya
# Tuya local protocol as tinytuya/tuyapi document it: 55AA frames (3.1-3.4) and 6699
# frames (3.5).  Discovery broadcasts are AES-encrypted JSON: here stand-in bytes of a
# block-multiple size.

def tuya55(seq, cmd, payload):
    head = struct.pack(">4I", 0x55AA, seq, cmd, len(payload) + 8)
    return head + payload + struct.pack(">2I", zlib.crc32(head + payload), 0xAA55)


def tuya66(seq, cmd, payload):
    iv, tag = filler(12, seq), filler(16, seq + 7)
    head = struct.pack(">IHIII", 0x6699, 0, seq, cmd, 12 + len(payload) + 16)
    return head + iv + payload + tag + struct.pack(">I", 0x9966)


def tuya(variant):
    if variant == "discovery-3.3":
        return "udp", [(tuya55(0, 0x13, filler(160, i)), None) for i in range(3)]
    return "udp", [(tuya66(i + 1, 0x13, filler(150, i)), None) for i in range(3)]


# ----------------------------------------------------------------------------- BACnet/IP
# ASHRAE 135 Annex J (BVLL) and clause 6 (NPDU), 20/21 (APDU encoding).

def bvll(function, body):
    return bytes([0x81, function]) + struct.pack(">H", 4 + len(body)) + body


def bacnet(variant):
    if variant == "who-is-i-am":
        who_is = b"\x01\x20\xff\xff\x00\xff" + b"\x10\x08"        # global broadcast, Who-Is
        i_am = b"\x01\x00" + b"\x10\x00" + b"\xc4\x02\x00\x00\x0a" + b"\x22\x05\xc4" + b"\x91\x03" + b"\x21\x0f"
        return "udp", [(bvll(0x0B, who_is), bvll(0x0A, i_am))]
    if variant == "read-property":
        req = b"\x01\x04" + b"\x00\x05\x01\x0c" + b"\x0c\x02\x00\x00\x0a" + b"\x19\x4b"
        ack = b"\x01\x00" + b"\x30\x01\x0c" + b"\x0c\x02\x00\x00\x0a" + b"\x19\x4b" + b"\x3e\xc4\x02\x00\x00\x0a\x3f"
        req2 = b"\x01\x04" + b"\x00\x05\x02\x0c" + b"\x0c\x00\x00\x00\x01" + b"\x19\x55"
        ack2 = b"\x01\x00" + b"\x30\x02\x0c" + b"\x0c\x00\x00\x00\x01" + b"\x19\x55" + b"\x3e\x44\x41\xb4\x00\x00\x3f"
        return "udp", [(bvll(0x0A, req), bvll(0x0A, ack)), (bvll(0x0A, req2), bvll(0x0A, ack2))]
    # Register-Foreign-Device (TTL 60 s) and its BVLC-Result (successful completion).
    return "udp", [(bvll(0x05, b"\x00\x3c"), bvll(0x00, b"\x00\x00"))]


# ----------------------------------------------------------------------------- BJNP
# Canon BJNP as the SANE pixma backend and cups-bjnp implement it: 16-byte header.

def bjnp_msg(magic, dev, cmd, seq, payload=b""):
    return magic + bytes([dev, cmd]) + struct.pack(">HHHI", 0, seq, 0, len(payload)) + payload


def bjnp(variant):
    if variant == "discover":
        reply = b"\x00\x01\x08\x00\x06\x04" + bytes.fromhex("00bbc1a2d4e6") + bytes([127, 0, 0, 1])
        return "udp", [(bjnp_msg(b"BJNP", 0x01, 0x01, 1), bjnp_msg(b"BJNP", 0x81, 0x01, 1, reply))]
    ident = b"MFG:Canon;CMD:BJL,BJRaster3,NCCe;MDL:TS5000 series;CLS:PRINTER;DES:Canon TS5000 series;"
    return "udp", [(bjnp_msg(b"BJNP", 0x01, 0x30, 2), bjnp_msg(b"BJNP", 0x81, 0x30, 2, struct.pack(">H", len(ident) + 2) + ident)),
                   (bjnp_msg(b"BJNB", 0x02, 0x30, 3), bjnp_msg(b"BJNB", 0x82, 0x30, 3, struct.pack(">H", len(ident) + 2) + ident))]


# ----------------------------------------------------------------------------- CAN-ETH
# proconx canframe.pdf: "ISO11898", version 1, count, 15-byte frames.

def can_frame(ident, data, ext=0, rtr=0):
    return struct.pack("<I", ident) + bytes([len(data)]) + data.ljust(8, b"\x00") + bytes([ext, rtr])


def caneth(variant):
    if variant == "two-frames":
        frames = [can_frame(0x123, b"\x11\x22\x33\x44"), can_frame(0x124, b"\x01\x02\x03\x04\x05\x06\x07\x08")]
        msgs = [b"ISO11898\x01\x02" + b"".join(frames) for _ in range(3)]
    else:
        msgs = [b"ISO11898\x01\x01" + can_frame(0x18FF50E5, b"", ext=1, rtr=1) for _ in range(2)]
    return "udp", [(m, None) for m in msgs]


# ----------------------------------------------------------------------------- EtherNet/IP
# ODVA CIP Networks Library vol. 2, chapter 2 (encapsulation) and 2-6 (CPF).

def enip(cmd, session=0, data=b"", ctx=b"portlens"):
    return struct.pack("<HHII8sI", cmd, len(data), session, 0, ctx, 0) + data


def cpf(*items):
    return struct.pack("<H", len(items)) + b"".join(struct.pack("<HH", t, len(d)) + d for t, d in items)


def ethernetip(variant):
    s = 0x6A1B3C4D
    if variant == "list-identity":
        sockaddr = struct.pack(">HH4s8s", 2, 44818, bytes([127, 0, 0, 1]), b"")
        name = b"1756-L61/B LOGIX5561"
        ident = struct.pack("<H", 1) + sockaddr + struct.pack("<HHHBBHI", 1, 0x0E, 0x36, 20, 11, 0x0060, 0x00C0FFEE) + \
            bytes([len(name)]) + name + b"\x03"
        return "udp", [(enip(0x63), enip(0x63, data=cpf((0x0C, ident))))]
    read_tag = b"\x4c\x03\x91\x04TAG1\x01\x00"                     # Read Tag Service, symbolic "TAG1"
    reply = b"\xcc\x00\x00\x00\xc4\x00\x2a\x00\x00\x00"             # DINT 42
    rr = lambda cip: struct.pack("<IH", 0, 10) + cpf((0x00, b""), (0xB2, cip))
    script = [(enip(0x65, data=b"\x01\x00\x00\x00"), enip(0x65, s, b"\x01\x00\x00\x00")),
              (enip(0x6F, s, rr(read_tag)), enip(0x6F, s, rr(reply)))]
    if variant == "register-read-tag":
        script.append((enip(0x66, s), None))
    else:
        script.insert(1, (enip(0x04), enip(0x04, data=cpf((0x100, struct.pack("<HH", 1, 0x120) + b"Communications\x00\x00")))))
    return "tcp", script


# ----------------------------------------------------------------------------- HART-IP
# HCF_SPEC-085: 8-byte header; token-passing PDUs per HCF_SPEC-081 (long frame).

def hart_hdr(mtype, mid, seq, body=b"", status=0):
    return struct.pack(">BBBBHH", 1, mtype, mid, status, seq, 8 + len(body)) + body


def hart_pdu(delim, addr, cmd, data):
    frame = bytes([delim]) + addr + bytes([cmd, len(data)]) + data
    x = 0
    for b in frame:
        x ^= b
    return frame + bytes([x])


def hart_ip(variant):
    addr = bytes.fromhex("264e0000d2")
    script = [(hart_hdr(0, 0, 1, b"\x01\x00\x00\x75\x30"), hart_hdr(1, 0, 1, b"\x01\x00\x00\x75\x30")),
              (hart_hdr(0, 3, 2, hart_pdu(0x82, addr, 0, b"")),
               hart_hdr(1, 3, 2, hart_pdu(0x86, addr, 0, b"\x00\x00\xfe\x26\x4e\x05\x07\x04\x01\x0e\x0c\x00\x00\xd2"))),
              (hart_hdr(0, 2, 3), hart_hdr(1, 2, 3)),
              (hart_hdr(0, 1, 4), hart_hdr(1, 1, 4))]
    return ("tcp" if variant == "session-tcp" else "udp"), script


# ----------------------------------------------------------------------------- TRDP
# IEC 61375-2-3 Annex A: PD header 40 bytes, MD header 116 bytes, CRC-32 FCS (LSB first).

def trdp_pd(seq, kind, comid, data):
    head = struct.pack(">IHHIIIIIII", seq, 0x0100, int.from_bytes(kind, "big"), comid, 0, 0, len(data), 0, 0, 0)
    return head + struct.pack("<I", zlib.crc32(head)) + data


def trdp_md(seq, kind, comid, data, session):
    head = struct.pack(">IHHIIIIi16sI32s32s", seq, 0x0100, int.from_bytes(kind, "big"), comid, 0, 0, len(data), 0,
                       session, 2_000_000, b"", b"")
    return head + struct.pack("<I", zlib.crc32(head)) + data


def trdp(variant):
    if variant == "pd-push":
        return "udp", [(trdp_pd(i, b"Pd", 1000, b"speed=%03d;doors=closed" % (80 + i)), None) for i in range(3)]
    sess = filler(16, 3)
    script = [(trdp_md(0, b"Mr", 1001, b"How are you?\x00", sess), trdp_md(0, b"Mp", 1001, b"I'm fine, thanks\x00", sess))]
    return ("tcp" if variant == "md-tcp" else "udp"), script


# ----------------------------------------------------------------------------- ATG
# Veeder-Root TLS serial interface: SOH, function code, ... ETX; computer-format checksum.

def atg(variant):
    if variant == "inventory-display":
        report = (b"\x01\r\nI20100\r\nDEC  6, 2026  2:30 PM\r\n\r\nPORTLENS FUEL\r\n\r\nIN-TANK INVENTORY\r\n\r\n"
                  b"TANK PRODUCT             VOLUME TC VOLUME   ULLAGE   HEIGHT    WATER     TEMP\r\n"
                  b"  1  UNLEADED             5123      5098     4877    48.12     0.00    56.23\r\n\r\n\x03")
        return "tcp", [(b"\x01I20100\r\n", report)]
    body = b"\x01i201002612061430" + b"01" + b"1" + b"07" + b"459F8000" * 7 + b"&&"
    checksum = (-sum(body)) & 0xFFFF
    return "tcp", [(b"\x01i20100", body + b"%04X" % checksum + b"\x03")]


# ----------------------------------------------------------------------------- ANSI C12.22
# ANSI C12.22 / IEEE 1703 clause 5.3: ACSE PDU 0x60; EPSEM in the user information.

def oid(dotted: str, relative=False) -> bytes:
    arcs = [int(x) for x in dotted.strip(".").split(".")]
    if not relative:
        arcs = [arcs[0] * 40 + arcs[1]] + arcs[2:]
    out = b""
    for a in arcs:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.insert(0, 0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(enc)
    return out


def c1222_msg(called, calling, invocation, epsem):
    return der(0x60,
               der(0xA2, der(0x06, oid(called))),
               der(0xA6, der(0x0D, oid(calling, relative=True))),
               der(0xA8, der(0x02, struct.pack(">H", invocation))),
               der(0xBE, der(0x28, der(0x81, epsem))))


def ansi_c1222(variant):
    meter, head = "2.16.124.113620.1.22.0.4", "2.16.124.113620.1.22.0.1"
    read = der(0x80, b"\x30\x00\x01")                       # EPSEM: full read of table 1
    data = b"PORTLENS" + b"METER-0001" + b"\x01\x02"
    reply = der(0x80, b"\x00" + struct.pack(">H", len(data)) + data + bytes([(-sum(data)) & 0xFF]))
    script = [(c1222_msg(meter, ".1.22.0.1", 0x0F89, read), c1222_msg(head, ".1.22.0.4", 0x0F89, reply))]
    return ("tcp" if variant == "read-tcp" else "udp"), script


# ----------------------------------------------------------------------------- DLMS/COSEM
# IEC 62056-46 HDLC frames (CRC-16/X.25) and IEC 62056-47 TCP wrapper; Green Book AARQ.

AARQ = der(0x60, der(0xA1, der(0x06, bytes.fromhex("60857405080101"))),
           der(0xBE, der(0x04, bytes.fromhex("01000000065f1f0400007e1fffff"))))
AARE = der(0x61, der(0xA1, der(0x06, bytes.fromhex("60857405080101"))), der(0xA2, der(0x02, b"\x00")),
           der(0xA3, der(0xA1, der(0x02, b"\x00"))),
           der(0xBE, der(0x04, bytes.fromhex("0800065f1f040000501f01f40007"))))
GET = bytes.fromhex("c001c100080000010000ff0200")                 # clock, attribute 2
GOT = bytes.fromhex("c401c1000009 0c07ea0c0607 0e1e0000800000".replace(" ", ""))


def hdlc(dst: bytes, src: bytes, control: int, info: bytes = b"") -> bytes:
    n = 2 + len(dst) + len(src) + 1 + (2 + len(info) if info else 0) + 2
    head = struct.pack(">H", 0xA000 | n) + dst + src + bytes([control])
    frame = head + (struct.pack("<H", crc16_x25(head)) + info if info else b"")
    return b"\x7e" + frame + struct.pack("<H", crc16_x25(frame)) + b"\x7e"


def wrapper(src, dst, apdu):
    return struct.pack(">HHHH", 1, src, dst, len(apdu)) + apdu


def iec62056(variant):
    if variant == "hdlc-associate":
        d, s = b"\x03", b"\x21"
        params = bytes.fromhex("818012050180060180070400000001080400000001")
        return "tcp", [(hdlc(d, s, 0x93), hdlc(s, d, 0x73, params)),
                       (hdlc(d, s, 0x10, b"\xe6\xe6\x00" + AARQ), hdlc(s, d, 0x30, b"\xe6\xe7\x00" + AARE)),
                       (hdlc(d, s, 0x32, b"\xe6\xe6\x00" + GET), hdlc(s, d, 0x52, b"\xe6\xe7\x00" + GOT)),
                       (hdlc(d, s, 0x53), hdlc(s, d, 0x73))]
    return "tcp", [(wrapper(0x10, 0x01, AARQ), wrapper(0x01, 0x10, AARE)), (wrapper(0x10, 0x01, GET), wrapper(0x01, 0x10, GOT))]


# ----------------------------------------------------------------------------- IEEE C37.118
# IEEE C37.118.2-2011 clause 6: SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC, ..., CHK.

def c37_frame(ftype, idcode, soc, fracsec, body):
    head = struct.pack(">BBHHII", 0xAA, (ftype << 4) | 1, 14 + len(body) + 2, idcode, soc, fracsec)
    frame = head + body
    return frame + struct.pack(">H", crc16_ccitt(frame, 0xFFFF))


def ieee_c37118(variant):
    idc, soc = 7734, 1796559000
    cfg = struct.pack(">IH", 1_000_000, 1) + b"PORTLENS PMU 1  " + struct.pack(">HHHHH", idc, 0x0000, 1, 0, 0) + \
        b"VA              " + struct.pack(">I", 0x00000001) + struct.pack(">HH", 0, 1) + struct.pack(">H", 30)
    data = lambda k: struct.pack(">HhhhH", 0, 1200 + k, -300, 12, 0)
    frames = [c37_frame(0, idc, soc, 33333 * k, data(k)) for k in range(3)]
    if variant == "data-udp":
        return "udp", [(f, None) for f in frames]
    return "tcp", [(c37_frame(4, idc, soc, 0, b"\x00\x05"), c37_frame(3, idc, soc, 0, cfg)),
                   (c37_frame(4, idc, soc, 0, b"\x00\x02"), b"".join(frames))]


# ----------------------------------------------------------------------------- SOME/IP
# AUTOSAR PRS_SOMEIP (header) and PRS_SOMEIPSD (service discovery).

def someip_msg(service, method, client, session, mtype, payload, rc=0, iface=1):
    return struct.pack(">HHIHHBBBB", service, method, 8 + len(payload), client, session, 1, iface, mtype, rc) + payload


def sd(session, entries, options=b""):
    body = b"\xc0\x00\x00\x00" + struct.pack(">I", len(entries)) + entries + struct.pack(">I", len(options)) + options
    return someip_msg(0xFFFF, 0x8100, 0, session, 0x02, body)


def sd_service_entry(etype, service, instance, nopts, ttl):
    return struct.pack(">BBBBHHB", etype, 0, 0, nopts << 4, service, instance, 1) + ttl.to_bytes(3, "big") + struct.pack(">I", 0)


def sd_eventgroup_entry(etype, service, instance, ttl, group):
    return struct.pack(">BBBBHHB", etype, 0, 0, 0, service, instance, 1) + ttl.to_bytes(3, "big") + struct.pack(">HH", 0, group)


def someip(variant):
    endpoint = struct.pack(">HBB4sBBH", 9, 0x04, 0, bytes([127, 0, 0, 1]), 0, 0x11, 30509)
    find = (sd(1, sd_service_entry(0x00, 0x1234, 0xFFFF, 0, 3)), sd(1, sd_service_entry(0x01, 0x1234, 1, 1, 3), endpoint))
    if variant == "sd-offer-subscribe":
        return "udp", [find, (sd(2, sd_eventgroup_entry(0x06, 0x1234, 1, 3, 0x0010), endpoint),
                              sd(2, sd_eventgroup_entry(0x07, 0x1234, 1, 3, 0x0010)))]
    if variant == "sd-find-offer":
        return "udp", [find]
    # Method calls on a service's own socket (not captured: the detector's hint is SD's 0xFF).
    script = [(someip_msg(0x1234, 0x0421, 0x0001, k, 0x00, b"\x00\x00\x00\x05" + b"\xab" * 5),
               someip_msg(0x1234, 0x0421, 0x0001, k, 0x80, b"\x00\x00\x00\x01")) for k in (1, 2)]
    return ("tcp" if variant == "method-call-tcp" else "udp"), script


# ----------------------------------------------------------------------------- EGD
# GE Ethernet Global Data: 32-byte little-endian header, type 13 version 1.

def egd(variant):
    exchange, size = (5, 24) if variant == "exchange-small" else (9, 120)
    out = []
    for k in range(4):
        head = struct.pack("<BBH4sIIIIII", 0x0D, 0x01, 0x2F10 + k, bytes([127, 0, 0, 1]), exchange,
                           1796559000, 250_000_000 * k, 0, 0x00811B2C, 0)
        out.append((head + filler(size, k), None))
    return "udp", out


# ----------------------------------------------------------------------------- Ether-S-I/O
# Saia Ether-S-I/O (Wireshark's ESIO): "ESIO", type, version, length, transaction id.

def esio(transaction, ttype, body):
    return b"ESIO" + struct.pack(">HHHH", ttype, 0, 12 + len(body), transaction) + body


def ethersio(variant):
    if variant == "transfer":
        out = []
        for k in range(3):
            transfers = struct.pack(">IIH", 0x5C, 1, 6) + filler(6, k) + struct.pack(">IIH", 0x5D, 2, 2) + b"\x00\x01"
            out.append((esio(100 + k, 1, struct.pack(">IIBB", 24 + k, 13, 2, 0) + transfers), None))
        return "udp", out
    return "udp", [(esio(200 + k, 2, struct.pack(">HHIBBBB", 1, 4, 13, 1, 0, 0, 0)), None) for k in range(2)]


# ----------------------------------------------------------------------------- ISO-on-TCP
# RFC 1006 TPKT + ISO 8073 class 0 (shared by S7comm and MMS).

def tpkt(tpdu: bytes) -> bytes:
    return struct.pack(">BBH", 3, 0, 4 + len(tpdu)) + tpdu


def cotp_cr(code, params):
    hdr = bytes([code]) + (b"\x00\x00\x00\x01\x00" if code == 0xE0 else b"\x00\x01\x00\x07\x00") + params
    return tpkt(bytes([len(hdr)]) + hdr)


def dt(user: bytes) -> bytes:
    return tpkt(b"\x02\xf0\x80" + user)


# S7comm (Siemens; the public Wireshark s7comm dissector's layout): header 0x32.
def s7(rosctr, ref, param, data=b""):
    head = struct.pack(">BBHHHH", 0x32, rosctr, 0, ref, len(param), len(data))
    if rosctr in (2, 3):
        head += b"\x00\x00"
    return dt(head + param + data)


def s7comm(variant):
    tsaps = b"\xc0\x01\x0a\xc1\x02\x01\x00\xc2\x02\x01\x02"
    setup = b"\xf0\x00\x00\x01\x00\x01\x01\xe0"
    item = b"\x12\x0a\x10\x02\x00\x02\x00\x01\x84\x00\x00\x00"          # DB1.DBW0, 2 bytes
    script = [(cotp_cr(0xE0, tsaps), cotp_cr(0xD0, tsaps)), (s7(1, 1, setup), s7(3, 1, setup))]
    if variant == "read-db":
        script.append((s7(1, 2, b"\x04\x01" + item), s7(3, 2, b"\x04\x01", b"\xff\x04\x00\x10\x12\x34")))
    else:
        script.append((s7(1, 3, b"\x05\x01" + item, b"\x00\x04\x00\x10\xbe\xef"), s7(3, 3, b"\x05\x01", b"\xff")))
    return "tcp", script


# MMS (ISO 9506) over ISO 8327 session, ISO 8823 presentation, ISO 8650 ACSE.
MMS_ABSTRACT = oid("1.0.9506.2.1")
MMS_CONTEXT = oid("1.0.9506.2.3")
BER = oid("2.1.1")
ACSE = oid("2.2.1.0.1")


def spdu(si, params):
    n = len(params)
    return bytes([si]) + (bytes([n]) if n < 255 else b"\xff" + struct.pack(">H", n)) + params


def session_param(code, value):
    return bytes([code]) + (bytes([len(value)]) if len(value) < 255 else b"\xff" + struct.pack(">H", len(value))) + value


def mms(variant):
    initiate_req = der(0xA8, der(0x80, b"\x7d\x00"), der(0x81, b"\x05"), der(0x82, b"\x05"), der(0x83, b"\x0a"),
                       der(0xA4, der(0x80, b"\x01"), der(0x81, b"\x05\xf1\x00"),
                           der(0x82, bytes.fromhex("03ee1c00000408000079ef18"))))
    initiate_rsp = der(0xA9, der(0x80, b"\x7d\x00"), der(0x81, b"\x05"), der(0x82, b"\x05"), der(0x83, b"\x0a"),
                       der(0xA4, der(0x80, b"\x01"), der(0x81, b"\x05\xf1\x00"),
                           der(0x82, bytes.fromhex("03ee1c00000408000079ef18"))))
    aarq = der(0x60, der(0xA1, der(0x06, MMS_CONTEXT)), der(0xA2, der(0x06, oid("1.1.999.1"))), der(0xA3, der(0x02, b"\x0c")),
               der(0xBE, der(0x28, der(0x02, b"\x03"), der(0xA0, initiate_req))))
    aare = der(0x61, der(0xA1, der(0x06, MMS_CONTEXT)), der(0xA2, der(0x02, b"\x00")), der(0xA3, der(0xA1, der(0x02, b"\x00"))),
               der(0xBE, der(0x28, der(0x02, b"\x03"), der(0xA0, initiate_rsp))))
    cp = der(0x31, der(0xA0, der(0x80, b"\x01")),
             der(0xA2, der(0x81, b"\x00\x00\x00\x01"), der(0x82, b"\x00\x00\x00\x01"),
                 der(0xA4, der(0x30, der(0x02, b"\x01"), der(0x06, ACSE), der(0x30, der(0x06, BER))),
                     der(0x30, der(0x02, b"\x03"), der(0x06, MMS_ABSTRACT), der(0x30, der(0x06, BER)))),
                 der(0x61, der(0x30, der(0x02, b"\x01"), der(0xA0, aarq)))))
    cpa = der(0x31, der(0xA0, der(0x80, b"\x01")),
              der(0xA2, der(0x83, b"\x00\x00\x00\x01"),
                  der(0xA5, der(0x30, der(0x80, b"\x00"), der(0x81, BER)), der(0x30, der(0x80, b"\x00"), der(0x81, BER))),
                  der(0x61, der(0x30, der(0x02, b"\x01"), der(0xA0, aare)))))
    items = b"\x05\x06\x13\x01\x00\x16\x01\x02" + b"\x14\x02\x00\x02"
    connect = spdu(0x0D, items + b"\x33\x02\x00\x01\x34\x02\x00\x01" + session_param(0xC1, cp))
    accept = spdu(0x0E, items + session_param(0xC1, cpa))

    def pdata(pdu):
        return b"\x01\x00\x01\x00" + der(0x61, der(0x30, der(0x02, b"\x03"), der(0xA0, pdu)))

    tsaps = b"\xc1\x02\x00\x01\xc2\x02\x00\x01\xc0\x01\x0a"
    script = [(cotp_cr(0xE0, tsaps), cotp_cr(0xD0, tsaps)), (dt(connect), dt(accept))]
    if variant == "get-name-list":
        req = der(0xA0, der(0x02, b"\x01"), der(0xA1, der(0xA0, der(0x80, b"\x09")), der(0xA1, der(0x80, b""))))
        rsp = der(0xA1, der(0x02, b"\x01"), der(0xA1, der(0xA0, der(0x1A, b"LD0"), der(0x1A, b"PROT")), der(0x81, b"\x00")))
    else:
        req = der(0xA0, der(0x02, b"\x02"), der(0xA4, der(0xA1, der(0xA0, der(0x30, der(0xA0, der(0xA1, der(0x1A, b"LD0"), der(0x1A, b"LLN0$ST$Mod$stVal"))))))))
        rsp = der(0xA1, der(0x02, b"\x02"), der(0xA4, der(0xA1, der(0x85, b"\x01"))))
    script.append((dt(pdata(req)), dt(pdata(rsp))))
    return "tcp", script


# ----------------------------------------------------------------------------- RTPS
# OMG DDSI-RTPS 2.3 clause 9.4: header, submessages (little-endian flag set).

def rtps_msg(prefix: bytes, *subs: bytes) -> bytes:
    return b"RTPS\x02\x03\x01\x0f" + prefix + b"".join(subs)


def sub(sid, flags, body):
    return bytes([sid, flags]) + struct.pack("<H", len(body)) + body


def rtps(variant):
    a, b = filler(12, 21), filler(12, 22)
    ts = sub(0x09, 0x01, struct.pack("<II", 1796559000, 0x40000000))
    if variant == "participant-announce":
        def announce(prefix, k):
            params = struct.pack("<HH", 0x0050, 16) + prefix + b"\x00\x00\x01\xc1" + struct.pack("<HHI", 0x0001, 0, 0)
            data = struct.pack("<HH4s4sII", 0, 16, b"\x00\x01\x00\xc7", b"\x00\x01\x00\xc2", 0, k) + b"\x00\x03\x00\x00" + params
            return rtps_msg(prefix, ts, sub(0x15, 0x05, data))
        return "udp", [(announce(a, k), announce(b, k)) for k in (1, 2)]
    hb = sub(0x07, 0x01, struct.pack("<4s4siIiIi", b"\x00\x00\x04\xc7", b"\x00\x00\x04\xc2", 0, 1, 0, 3, 1))
    ack = sub(0x06, 0x03, struct.pack("<4s4siIIi", b"\x00\x00\x04\xc7", b"\x00\x00\x04\xc2", 0, 4, 0, 1))
    dst = sub(0x0E, 0x01, a)
    return "udp", [(rtps_msg(a, hb), rtps_msg(b, dst, ack))]


SCRIPTS = {"tuya-lp": tuya, "bacnet": bacnet, "bjnp": bjnp, "caneth": caneth, "ethernetip": ethernetip,
           "hart-ip": hart_ip, "trdp": trdp, "atg": atg, "ansi-c1222": ansi_c1222, "iec62056": iec62056,
           "ieee-c37118": ieee_c37118, "someip": someip, "egd": egd, "ethersio": ethersio, "s7comm": s7comm, "iso9506-mms": mms,
           "rtps": rtps}


# ----------------------------------------------------------------------------- peers

def _recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def server(proto, variant, port):
    transport, script = SCRIPTS[proto](variant)
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.settimeout(20)
        for _, reply in script:
            _, peer = s.recvfrom(65535)
            if reply is not None:
                s.sendto(reply, peer)
        return
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    srv.settimeout(20)
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(10)
        for request, reply in script:
            _recv_exact(conn, len(request))
            if reply is not None:
                conn.sendall(reply)
        conn.recv(1)                     # wait for the client's close


def client(proto, variant, port):
    import time
    transport, script = SCRIPTS[proto](variant)
    if transport == "udp":
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(5)
        for request, reply in script:
            c.sendto(request, ("127.0.0.1", port))
            if reply is not None:
                c.recvfrom(65535)
            time.sleep(0.05)
        c.close()
        return
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        for request, reply in script:
            c.sendall(request)
            if reply is not None:
                _recv_exact(c, len(reply))
            time.sleep(0.05)


if __name__ == "__main__":
    role, proto, variant, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    (server if role == "server" else client)(proto, variant, port)
