"""Message-queue, job-queue, database, messaging-gateway and printing protocols of issue
14 (Kafka, Cassandra CQL, Oracle TNS, ZeroMQ ZMTP, Beanstalkd, Gearman, SMPP, LPD), built
from their specifications (none of these servers is installed here):
pcaps/gen/peers/spec_peer.py plays each side of a scripted exchange on loopback, the
messages built below field by field from the documents the detector modules cite.  The
manifest says so: the server and client software is "spec-built-python" and the variant
names what the exchange shows.

Two captures per protocol: the random-port run shows the first variant, the IANA (or
conventional) port run the second.  ``pcaps/generate --only queues`` rewrites all of them.
"""

from __future__ import annotations

import struct

from .core import spec_exchange

NAME = "queues"
MODES = ("random", "iana")


# --------------------------------------------------------------------- Kafka
def _kstr(s: bytes) -> bytes:
    return struct.pack(">h", len(s)) + s


def _ksized(b: bytes) -> bytes:
    return struct.pack(">i", len(b)) + b


def kafka(variant):
    def req(key, ver, corr, body=b""):
        return _ksized(struct.pack(">hhi", key, ver, corr) + _kstr(b"portlens-producer") + body)

    def resp(corr, body):
        return _ksized(struct.pack(">i", corr) + body)
    # ApiVersions v0 (api_key 18): error_code, [api_key, min, max]
    apis = [(0, 0, 9), (1, 0, 13), (3, 0, 12), (18, 0, 3)]
    api_resp = struct.pack(">hi", 0, len(apis)) + b"".join(struct.pack(">hhh", *a) for a in apis)
    # Metadata v1 (api_key 3): topics [string]; answer: brokers [node_id, host, port, rack],
    # controller_id, topics [error, name, is_internal, partitions []]
    meta_req = struct.pack(">i", 1) + _kstr(b"events")
    meta_resp = (struct.pack(">i", 1) + struct.pack(">i", 1) + _kstr(b"127.0.0.1") + struct.pack(">i", 9092)
                 + struct.pack(">h", -1) + struct.pack(">i", 1) + struct.pack(">i", 1)
                 + struct.pack(">h", 0) + _kstr(b"events") + b"\x00" + struct.pack(">i", 0))
    if variant == 0:
        return [("c", req(18, 0, 1)), ("s", resp(1, api_resp)),
                ("c", req(3, 1, 2, meta_req)), ("s", resp(2, meta_resp))]
    return [("c", req(3, 1, 7, meta_req)), ("s", resp(7, meta_resp))]


# --------------------------------------------------------------------- Cassandra CQL
def _cql_frame(version, stream, opcode, body=b""):
    return struct.pack(">BBhBI", version, 0, stream, opcode, len(body)) + body


def _cql_string(s: bytes) -> bytes:
    return struct.pack(">H", len(s)) + s


def _cql_map(pairs) -> bytes:
    return struct.pack(">H", len(pairs)) + b"".join(_cql_string(k) + _cql_string(v) for k, v in pairs)


def _cql_multimap(pairs) -> bytes:
    out = struct.pack(">H", len(pairs))
    for k, vs in pairs:
        out += _cql_string(k) + struct.pack(">H", len(vs)) + b"".join(_cql_string(v) for v in vs)
    return out


def cassandra(variant):
    startup = _cql_frame(4, 0, 0x01, _cql_map([(b"CQL_VERSION", b"3.0.0"), (b"DRIVER_NAME", b"portlens")]))
    ready = _cql_frame(0x84, 0, 0x02)
    if variant == 0:
        options = _cql_frame(4, 0, 0x05)
        supported = _cql_frame(0x84, 0, 0x06, _cql_multimap([(b"CQL_VERSION", [b"3.4.5"]),
                                                              (b"COMPRESSION", [b"lz4", b"snappy"])]))
        return [("c", options), ("s", supported), ("c", startup), ("s", ready)]
    # STARTUP answered by AUTHENTICATE (PasswordAuthenticator), then AUTH_RESPONSE / AUTH_SUCCESS
    auth = _cql_frame(0x84, 0, 0x03, _cql_string(b"org.apache.cassandra.auth.PasswordAuthenticator"))
    token = b"\x00cassandra\x00cassandra"
    auth_resp = _cql_frame(4, 0, 0x0F, struct.pack(">i", len(token)) + token)
    success = _cql_frame(0x84, 0, 0x10, struct.pack(">i", -1))
    return [("c", startup), ("s", auth), ("c", auth_resp), ("s", success)]


# --------------------------------------------------------------------- Oracle TNS
def _tns(ptype, body):
    return struct.pack(">HHBBH", 8 + len(body), 0, ptype, 0, 0) + body


def oracle(variant):
    desc = (b"(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=ORCL)(CID=(PROGRAM=portlens)(HOST=client)"
            b"(USER=test)))(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=1521)))")
    # version 314, compatible 300, service options, SDU 8192, TDU 32767, NT characteristics,
    # line turnaround 0, value of 1 in hardware, data length, data offset 58, max receivable,
    # connect flags 0 and 1, trace items, unique connection id
    layout = ">HHHHHHHHHHIBBII8s"
    fields = struct.pack(layout, 314, 300, 0x0c41, 8192, 32767, 0x4f98, 0, 0x0001,
                         len(desc), 8 + struct.calcsize(layout), 2048, 0x41, 0x41, 0, 0, bytes(8))
    connect = _tns(1, fields + desc)
    accept = _tns(2, struct.pack(">HHHHHHHBB", 314, 0x0001, 8192, 32767, 0x0100, 0, 32, 0x41, 0x01)
                  + bytes(8))
    if variant == 0:
        return [("c", connect), ("s", accept)]
    err = b"(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR=12514)(ERROR_STACK=(ERROR=(CODE=12514)(EMFI=4))))"
    refuse = _tns(4, struct.pack(">BBH", 0x22, 0, len(err)) + err)
    return [("c", connect), ("s", refuse)]


# --------------------------------------------------------------------- ZeroMQ ZMTP 3
def zeromq(variant):
    def greeting(minor, mech, as_server):
        return (b"\xff" + bytes(7) + b"\x01" + b"\x7f" + bytes([3, minor]) + mech.ljust(20, b"\x00")
                + bytes([as_server]) + bytes(31))

    def command(name, body):
        b = bytes([len(name)]) + name + body
        return bytes([0x04, len(b)]) + b

    def prop(k, v):
        return bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
    minor = 1 if variant == 0 else 0
    c, s = greeting(minor, b"NULL", 0), greeting(minor, b"NULL", 1)
    ready_c = command(b"READY", prop(b"Socket-Type", b"REQ") + prop(b"Identity", b""))
    ready_s = command(b"READY", prop(b"Socket-Type", b"REP"))
    # the signature goes first, the rest once the peer's signature is seen (23/ZMTP)
    steps = [("c", c[:10]), ("s", s[:10]), ("c", c[10:]), ("s", s[10:]), ("c", ready_c), ("s", ready_s)]
    if variant == 0:
        steps += [("c", b"\x01\x00" + b"\x00\x05hello"), ("s", b"\x01\x00" + b"\x00\x05world")]
    return steps


# --------------------------------------------------------------------- Beanstalkd
def beanstalkd(variant):
    if variant == 0:
        job = b'{"task": "resize", "id": 42}'
        return [("c", b"use thumbnails\r\n"), ("s", b"USING thumbnails\r\n"),
                ("c", b"put 1024 0 60 %d\r\n%s\r\n" % (len(job), job)), ("s", b"INSERTED 7\r\n")]
    job = b"hello"
    return [("c", b"watch thumbnails\r\n"), ("s", b"WATCHING 2\r\n"),
            ("c", b"reserve-with-timeout 5\r\n"), ("s", b"RESERVED 7 %d\r\n%s\r\n" % (len(job), job)),
            ("c", b"delete 7\r\n"), ("s", b"DELETED\r\n")]


# --------------------------------------------------------------------- Gearman
def _gm(magic, ptype, *args):
    data = b"\x00".join(args)
    return magic + struct.pack(">II", ptype, len(data)) + data


def gearman(variant):
    req, res = b"\x00REQ", b"\x00RES"
    if variant == 0:
        # a client: SUBMIT_JOB (function, unique id, workload) -> JOB_CREATED, WORK_COMPLETE
        return [("c", _gm(req, 7, b"reverse", b"", b"hello gearman")), ("s", _gm(res, 8, b"H:lap:1")),
                ("s", _gm(res, 13, b"H:lap:1", b"namraeg olleh"))]
    # a worker: CAN_DO (unanswered), GRAB_JOB -> NO_JOB, PRE_SLEEP, NOOP
    return [("c", _gm(req, 1, b"reverse")), ("c", _gm(req, 9)), ("s", _gm(res, 10)),
            ("c", _gm(req, 4)), ("s", _gm(res, 6))]


# --------------------------------------------------------------------- SMPP
def _pdu(cid, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cid, status, seq) + body


def smpp(variant):
    cid = 0x00000009 if variant == 0 else 0x00000002
    bind = _pdu(cid, 0, 1, b"portlens\x00secret\x00SMPP\x00" + bytes([0x34, 1, 1]) + b"\x00")
    resp = _pdu(0x80000000 | cid, 0, 1, b"SMSC\x00" + struct.pack(">HHB", 0x0210, 1, 0x34))
    steps = [("c", bind), ("s", resp)]
    if variant == 0:
        steps += [("c", _pdu(0x15, 0, 2)), ("s", _pdu(0x80000015, 0, 2))]        # enquire_link
    else:
        # submit_sm: service_type, source ton/npi/addr, dest ton/npi/addr, esm_class,
        # protocol_id, priority, schedule, validity, registered_delivery, replace,
        # data_coding, sm_default_msg_id, sm_length, short_message
        msg = b"hello"
        body = (b"\x00" + b"\x01\x01" + b"15551230000\x00" + b"\x01\x01" + b"15559870000\x00"
                + bytes([0, 0, 0]) + b"\x00\x00" + bytes([1, 0, 0, 0, len(msg)]) + msg)
        steps += [("c", _pdu(0x04, 0, 2, body)), ("s", _pdu(0x80000004, 0, 2, b"msg-0001\x00")),
                  ("c", _pdu(0x06, 0, 3)), ("s", _pdu(0x80000006, 0, 3))]              # unbind
    return steps


# --------------------------------------------------------------------- LPD
def lpd(variant):
    if variant == 0:
        control = b"Hclient\nPtest\nJreport.txt\nldfA042client\nUdfA042client\nNreport.txt\n"
        data = b"portlens LPD test page\n"
        return [("c", b"\x02lp\n"), ("s", b"\x00"),
                ("c", b"\x02%d cfA042client\n" % len(control)), ("s", b"\x00"),
                ("c", control + b"\x00"), ("s", b"\x00"),
                ("c", b"\x03%d dfA042client\n" % len(data)), ("s", b"\x00"),
                ("c", data + b"\x00"), ("s", b"\x00")]
    return [("c", b"\x03lp\n"),
            ("s", b"lp is ready and printing\nRank   Owner   Job  Files          Total Size\n"
                  b"active test    42   report.txt     23 bytes\n")]


# protocol -> (IANA or conventional port, builder, what each variant shows)
EXCHANGES = [
    ("kafka", 9092, kafka, ("ApiVersions v0 and Metadata v1 requests / responses",
                            "a Metadata v1 request / response")),
    ("cassandra", 9042, cassandra, ("OPTIONS / SUPPORTED, STARTUP / READY (v4)",
                                    "STARTUP / AUTHENTICATE, AUTH_RESPONSE / AUTH_SUCCESS (v4)")),
    ("oracle", 1521, oracle, ("TNS CONNECT (version 314) / ACCEPT", "TNS CONNECT / REFUSE (ORA-12514)")),
    ("zeromq", 5555, zeromq, ("ZMTP 3.1 greetings (NULL), READY both ways, a REQ/REP message pair",
                              "ZMTP 3.0 greetings (NULL), READY both ways")),
    ("beanstalkd", 11300, beanstalkd, ("use / USING, put / INSERTED",
                                       "watch / WATCHING, reserve-with-timeout / RESERVED, delete / DELETED")),
    ("gearman", 4730, gearman, ("a client: SUBMIT_JOB / JOB_CREATED, WORK_COMPLETE",
                                "a worker: CAN_DO, GRAB_JOB / NO_JOB, PRE_SLEEP / NOOP")),
    ("smpp", 2775, smpp, ("bind_transceiver / resp, enquire_link / resp (v3.4)",
                          "bind_transmitter / resp, submit_sm / resp, unbind / resp (v3.4)")),
    ("lpd", 515, lpd, ("receive job: control and data files (RFC 1179)", "short queue state (RFC 1179)")),
]
PREFIXES = tuple(p for p, *_ in EXCHANGES)


def run(ctx):
    variant = 0 if ctx.mode == "random" else 1
    for proto, iana, build, what in EXCHANGES:
        spec_exchange(ctx, proto, "tcp", ctx.port(iana), build(variant), f"{proto}-{variant}.json",
                      f"spec-built: {what[variant]}")
