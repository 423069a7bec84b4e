"""Spec-built peers for the automation, time-sync and management protocols of
pcaps/gen/automation.py (issue 14, "Breadth").

    python3 automation_peer.py server PROTOCOL VARIANT PORT
    python3 automation_peer.py client PROTOCOL VARIANT PORT

None of these has a server and client installable here that speaks it on loopback
without the device (a PLC, a KNX router, a BMC, a Xiaomi appliance, a PTP grandmaster,
an LAC/LNS pair), so each exchange is built field by field from the public
specification cited per builder and played by two plain sockets, as industrial_peer.py
does: the client sends each request of the script, the server answers with the scripted
reply.  Values (names, ids, data) are made up; lengths and checksums are computed.
"""
from __future__ import annotations

import socket
import struct
import sys

from industrial_peer import client as _client, server as _server, filler  # noqa: F401
import industrial_peer


# ----------------------------------------------------------------------------- OPC UA
# OPC 10000-6 7.1.2: Hello / Acknowledge / Error; 6.7.2 secure conversation headers.

def ua_string(s: bytes | None) -> bytes:
    return struct.pack("<i", -1) if s is None else struct.pack("<i", len(s)) + s


def ua_msg(mtype: bytes, body: bytes, chunk: bytes = b"F") -> bytes:
    return mtype + chunk + struct.pack("<I", 8 + len(body)) + body


def opc_ua(variant):
    url = b"opc.tcp://127.0.0.1:4840/portlens"
    hel = ua_msg(b"HEL", struct.pack("<5I", 0, 65536, 65536, 0, 0) + ua_string(url))
    if variant == "reverse-hello":
        # 7.1.2.6: the UA server dials the UA client and sends ReverseHello (ServerUri,
        # EndpointUrl); the UA client answers Hello, the UA server Acknowledge.
        rhe = ua_msg(b"RHE", ua_string(b"urn:portlens:server") + ua_string(url))
        ack = ua_msg(b"ACK", struct.pack("<5I", 0, 65536, 65536, 16777216, 5000))
        return "tcp", [(rhe, hel), (ack, None)]
    if variant == "hello-error":
        err = ua_msg(b"ERR", struct.pack("<I", 0x80830000) + ua_string(b"BadTcpEndpointUrlInvalid"))
        return "tcp", [(hel, err)]
    ack = ua_msg(b"ACK", struct.pack("<5I", 0, 65536, 65536, 16777216, 5000))
    policy = ua_string(b"http://opcfoundation.org/UA/SecurityPolicy#None")
    asym = policy + ua_string(None) + ua_string(None)
    req_header = b"\x00\x00" + bytes(8) + struct.pack("<II", 1, 0) + ua_string(None) + struct.pack("<I", 10000) + b"\x00\x00\x00"
    opn_req = ua_msg(b"OPN", struct.pack("<I", 0) + asym + struct.pack("<II", 51, 1) + b"\x01\x00\xbe\x01" + req_header +
                     struct.pack("<III", 0, 0, 1) + ua_string(b"") + struct.pack("<I", 3600000))
    resp_header = bytes(8) + struct.pack("<II", 1, 0) + b"\x00" + struct.pack("<i", -1) + b"\x00\x00\x00"
    opn_resp = ua_msg(b"OPN", struct.pack("<I", 7) + asym + struct.pack("<II", 51, 1) + b"\x01\x00\xc1\x01" + resp_header +
                      struct.pack("<IIIIQI", 0, 7, 1, 0, 0, 3600000) + ua_string(b""))
    clo = ua_msg(b"CLO", struct.pack("<IIII", 7, 1, 52, 2) + b"\x01\x00\xc4\x01" + req_header)
    return "tcp", [(hel, ack), (opn_req, opn_resp), (clo, None)]


# ----------------------------------------------------------------------------- KNXnet/IP
# KNX Standard 03.08.02 (Core) and 03.08.04 (Tunnelling): 6-byte header, HPAI, DIBs.

def knx(service: int, body: bytes) -> bytes:
    return struct.pack(">BBHH", 6, 0x10, service, 6 + len(body)) + body


def hpai(port: int) -> bytes:
    return struct.pack(">BB4sH", 8, 1, bytes([127, 0, 0, 1]), port)


def knxnet_ip(variant):
    if variant == "search":
        name = b"portlens KNX router".ljust(30, b"\x00")
        device = struct.pack(">BBBBHH", 54, 1, 0x20, 0, 0x1101, 0) + b"\x00\x01\x02\x03\x04\x05" + \
            bytes([224, 0, 23, 12]) + b"\x00\x24\x6d\x01\x02\x03" + name
        families = bytes([8, 2, 2, 1, 3, 1, 4, 1])
        return "udp", [(knx(0x0201, hpai(40000)), knx(0x0202, hpai(3671) + device + families))]
    if variant == "tcp-connect-feature":
        # KNXnet/IP tunnelling v2 over TCP (03.08.04 v2): HPAIs with host protocol 0x02 and
        # address/port 0 ("route back"), then a feature get (0x0422) and its response.
        tcp_hpai = struct.pack(">BB4sH", 8, 2, bytes(4), 0)
        conn_req = knx(0x0205, tcp_hpai + tcp_hpai + bytes([4, 4, 2, 0]))
        conn_resp = knx(0x0206, bytes([7, 0]) + tcp_hpai + bytes([4, 4, 0x11, 0x0A]))
        get = knx(0x0422, bytes([4, 7, 0, 0]) + bytes([3, 0]))              # BusStatus
        resp = knx(0x0423, bytes([4, 7, 0, 0]) + bytes([3, 0, 1]))          # return code 0, value 1
        return "tcp", [(conn_req, conn_resp), (get, resp)]
    conn_req = knx(0x0205, hpai(40001) + hpai(40001) + bytes([4, 4, 2, 0]))
    conn_resp = knx(0x0206, bytes([21, 0]) + hpai(3671) + bytes([4, 4, 0x11, 0x0A]))
    state_req = knx(0x0207, bytes([21, 0]) + hpai(40001))
    state_resp = knx(0x0208, bytes([21, 0]))
    disc_req = knx(0x0209, bytes([21, 0]) + hpai(40001))
    disc_resp = knx(0x020A, bytes([21, 0]))
    return "udp", [(conn_req, conn_resp), (state_req, state_resp), (disc_req, disc_resp)]


# ----------------------------------------------------------------------------- FINS
# Omron W227 section 3: 10-byte header, command code, parameters; responses add an end code.

def fins_hdr(icf, sid, dst=(0, 0x0A, 0), src=(0, 0x64, 0)):
    return bytes([icf, 0, 2, *dst, *src, sid])


def fins(variant):
    if variant == "memory-area-read":
        script = []
        for sid, addr in ((1, 100), (2, 200)):
            req = fins_hdr(0x80, sid) + b"\x01\x01" + b"\x82" + struct.pack(">HB", addr, 0) + struct.pack(">H", 10)
            resp = fins_hdr(0xC0, sid, (0, 0x64, 0), (0, 0x0A, 0)) + b"\x01\x01\x00\x00" + \
                b"".join(struct.pack(">H", addr + k) for k in range(10))
            script.append((req, resp))
        return "udp", script
    if variant == "tcp-node-address-read":
        # FINS/TCP (Omron W421 7.4): node address exchange, then a frame in a FINS frame send.
        def fins_tcp(cmd, data):
            return b"FINS" + struct.pack(">III", 8 + len(data), cmd, 0) + data
        req = fins_hdr(0x80, 3) + b"\x01\x01" + b"\x82" + struct.pack(">HB", 300, 0) + struct.pack(">H", 4)
        resp = fins_hdr(0xC0, 3, (0, 0x64, 0), (0, 0x0A, 0)) + b"\x01\x01\x00\x00" + \
            b"".join(struct.pack(">H", 300 + k) for k in range(4))
        return "tcp", [(fins_tcp(0, struct.pack(">I", 0)), fins_tcp(1, struct.pack(">II", 0x64, 0x0A))),
                       (fins_tcp(2, req), fins_tcp(2, resp))]
    req = fins_hdr(0x80, 7) + b"\x05\x01"
    model = b"CJ2M-CPU31".ljust(20, b" ") + b"02.01".ljust(20, b" ") + bytes(40)
    resp = fins_hdr(0xC0, 7, (0, 0x64, 0), (0, 0x0A, 0)) + b"\x05\x01\x00\x00" + model
    st_req = fins_hdr(0x80, 8) + b"\x06\x01"
    st_resp = fins_hdr(0xC0, 8, (0, 0x64, 0), (0, 0x0A, 0)) + b"\x06\x01\x00\x00" + b"\x01\x04\x00\x00" + bytes(4) + bytes(16)
    return "udp", [(req, resp), (st_req, st_resp)]


# ----------------------------------------------------------------------------- MQTT-SN
# MQTT-SN 1.2 section 5: length, type, fields.

def sn(mtype: int, body: bytes = b"") -> bytes:
    return bytes([2 + len(body), mtype]) + body


def mqtt_sn(variant):
    connect = sn(0x04, bytes([0x04, 0x01]) + struct.pack(">H", 60) + b"portlens-sensor-1")
    connack = sn(0x05, b"\x00")
    register = sn(0x0A, struct.pack(">HH", 0, 1) + b"portlens/temp")
    regack = sn(0x0B, struct.pack(">HHB", 5, 1, 0))
    publish = sn(0x0C, bytes([0x20]) + struct.pack(">HH", 5, 2) + b"21.5")
    puback = sn(0x0D, struct.pack(">HHB", 5, 2, 0))
    script = [(connect, connack), (register, regack), (publish, puback), (sn(0x18), sn(0x18))]
    if variant == "searchgw-connect":
        script.insert(0, (sn(0x01, b"\x01"), sn(0x02, b"\x07")))
    return "udp", script


# ----------------------------------------------------------------------------- miIO
# python-miio protocol.py / OpenMiHome: 32-byte header, magic 0x2131, AES-CBC body.

def miio_pkt(device: int, stamp: int, body_len: int, seed: int) -> bytes:
    return struct.pack(">HHIII", 0x2131, 32 + body_len, 0, device, stamp) + filler(16, seed) + filler(body_len, seed + 1)


def miio(variant):
    hello = b"\x21\x31\x00\x20" + b"\xff" * 28
    device, stamp = 0x0487A1C3, 0x00012F4A
    hello_reply = struct.pack(">HHIII", 0x2131, 32, 0, device, stamp) + filler(16, 99)
    script = [(hello, hello_reply)]
    if variant == "hello-command":
        script += [(miio_pkt(device, stamp + 1, 48, 1), miio_pkt(device, stamp + 1, 64, 2)),
                   (miio_pkt(device, stamp + 2, 48, 3), miio_pkt(device, stamp + 2, 32, 4))]
    return "udp", script


# ----------------------------------------------------------------------------- PTPv2
# IEEE 1588-2008 clause 13: 34-byte common header, per-type bodies.

CLOCK = bytes.fromhex("00246dfffe010203") + b"\x00\x01"


def ptp(mtype, control, seq, body, flags=0x0200, log=0):
    length = 34 + len(body)
    return struct.pack(">BBHBBHq4s10sHBb", mtype, 2, length, 0, 0, flags, 0, b"\x00" * 4, CLOCK, seq, control, log) + body


def ts(sec, ns):
    return struct.pack(">HII", 0, sec, ns)


def ptpv2(variant):
    if variant == "sync-followup":
        out = []
        for seq in (1, 2, 3):
            out.append((ptp(0x0, 0, seq, ts(0, 0)), None))
            out.append((ptp(0x8, 2, seq, ts(1767225600 + seq, 1000 * seq), flags=0), None))
        return "udp", out
    port_id = bytes.fromhex("00246dfffe0a0b0c") + b"\x00\x01"
    script = []
    for seq in (10, 11):
        req = ptp(0x1, 1, seq, ts(0, 0), flags=0, log=0x7F)
        resp = ptp(0x9, 3, seq, ts(1767225600 + seq, 500 * seq) + port_id, flags=0)
        script.append((req, resp))
    return "udp", script


# ----------------------------------------------------------------------------- RMCP
# DMTF DSP0136 3.2.2 (ASF presence ping/pong); IPMI v2.0 13.6 and 13.8 (session headers).

def rmcp_hdr(seq, cls):
    return bytes([6, 0, seq, cls])


def ipmi_msg(rs, netfn, rq, rqseq, cmd, data):
    def cs(b):
        return (-sum(b)) & 0xFF
    head = bytes([rs, netfn])
    tail = bytes([rq, rqseq, cmd]) + data
    return head + bytes([cs(head)]) + tail + bytes([cs(tail)])


def rmcp(variant):
    if variant == "presence-ping":
        ping = rmcp_hdr(0xFF, 6) + struct.pack(">IBBBB", 4542, 0x80, 0x21, 0, 0)
        pong = rmcp_hdr(0xFF, 6) + struct.pack(">IBBBB", 4542, 0x40, 0x21, 0, 16) + \
            struct.pack(">IIBB", 4542, 0, 0x81, 0) + bytes(6)
        return "udp", [(ping, pong)]
    req = ipmi_msg(0x20, 0x18, 0x81, 0x00, 0x38, b"\x0e\x04")
    resp = ipmi_msg(0x81, 0x1C, 0x20, 0x00, 0x38, b"\x00\x01\x97\x04\x03\x00\x00\x00\x00")
    v15 = lambda m: rmcp_hdr(0xFF, 7) + b"\x00" + bytes(8) + bytes([len(m)]) + m
    open_req = struct.pack("<BBIH", 0, 4, 0xA0A2A3A4, 0) + bytes.fromhex("0000000801000000" "0100000801000000" "0200000801000000")
    open_resp = struct.pack("<BBBBII", 0, 0, 4, 0, 0xA0A2A3A4, 0x02000500) + \
        bytes.fromhex("0000000801000000" "0100000801000000" "0200000801000000")
    plus = lambda ptype, p: rmcp_hdr(0xFF, 7) + struct.pack("<BBIIH", 6, ptype, 0, 0, len(p)) + p
    return "udp", [(v15(req), v15(resp)), (plus(0x10, open_req), plus(0x11, open_resp))]


# ----------------------------------------------------------------------------- L2TP
# RFC 2661 3.1 (header), 4.1 (AVPs), 6.1-6.4 (SCCRQ, SCCRP, SCCCN, StopCCN).

def avp(attr, value, mandatory=True):
    return struct.pack(">HHH", (0x8000 if mandatory else 0) | (6 + len(value)), 0, attr) + value


def l2tp_ctl(tunnel, ns, nr, avps=b""):
    return struct.pack(">BBHHHHH", 0xC8, 0x02, 12 + len(avps), tunnel, 0, ns, nr) + avps


def l2tp3_ctl(conn, ns, nr, avps=b""):
    return struct.pack(">BBHIHH", 0xC8, 0x03, 12 + len(avps), conn, ns, nr) + avps


def l2tp(variant):
    if variant == "v3-sccrq-sccrp":
        # RFC 3931 4.1.2.1 (UDP), 3.3 (SCCRQ/SCCRP/SCCCN), 5.4.1 (ACK 20); Assigned Control
        # Connection ID AVP 61, Host Name 7.
        sccrq = l2tp3_ctl(0, 0, 0, avp(0, b"\x00\x01") + avp(7, b"portlens-lcce1") + avp(61, b"\x0a\x0b\x0c\x0d"))
        sccrp = l2tp3_ctl(0x0A0B0C0D, 0, 1, avp(0, b"\x00\x02") + avp(7, b"portlens-lcce2") + avp(61, b"\x01\x02\x03\x04"))
        scccn = l2tp3_ctl(0x01020304, 1, 1, avp(0, b"\x00\x03"))
        ack = l2tp3_ctl(0x0A0B0C0D, 1, 2, avp(0, b"\x00\x14"))
        return "udp", [(sccrq, sccrp), (scccn, ack)]
    if variant == "sccrq-sccrp":
        sccrq = l2tp_ctl(0, 0, 0, avp(0, b"\x00\x01") + avp(2, b"\x01\x00") + avp(3, b"\x00\x00\x00\x03") +
                         avp(7, b"portlens-lac") + avp(8, b"portlens", False) + avp(9, b"\x1a\x2b") + avp(10, b"\x00\x04"))
        sccrp = l2tp_ctl(0x1A2B, 0, 1, avp(0, b"\x00\x02") + avp(2, b"\x01\x00") + avp(3, b"\x00\x00\x00\x03") +
                         avp(7, b"portlens-lns") + avp(9, b"\x3c\x4d") + avp(10, b"\x00\x04"))
        scccn = l2tp_ctl(0x3C4D, 1, 1, avp(0, b"\x00\x03"))
        zlb = l2tp_ctl(0x1A2B, 1, 2)
        stop = l2tp_ctl(0x3C4D, 2, 1, avp(0, b"\x00\x04") + avp(9, b"\x1a\x2b") + avp(1, b"\x00\x01"))
        zlb2 = l2tp_ctl(0x1A2B, 1, 3)
        return "udp", [(sccrq, sccrp), (scccn, zlb), (stop, zlb2)]
    return "udp", [(l2tp_ctl(0x3C4D, 5, 9, avp(0, b"\x00\x06")), l2tp_ctl(0x1A2B, 9, 6)),
                   (l2tp_ctl(0x3C4D, 6, 10, avp(0, b"\x00\x06")), l2tp_ctl(0x1A2B, 10, 7))]


SCRIPTS = {"opc-ua": opc_ua, "knxnet-ip": knxnet_ip, "fins": fins, "mqtt-sn": mqtt_sn, "miio": miio,
           "ptpv2": ptpv2, "rmcp": rmcp, "l2tp": l2tp}
# industrial_peer's two socket roles read their scripts from its SCRIPTS table.
industrial_peer.SCRIPTS = SCRIPTS


if __name__ == "__main__":
    role, proto, variant, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    (_server if role == "server" else _client)(proto, variant, port)
