"""TCP protocols of issue 14 that had fixture tests only: raw Protocol Buffers messages,
Tencent games' TGCP, Path of Exile's login, StarCraft II's Battle.net login.

* protobuf: real software runs here.  The messages are serialized by the protobuf
  library from PyPI (google.protobuf, its version in the manifest): message classes
  built at run time from a FileDescriptorProto (descriptor_pool + message_factory), and
  the well-known types Any, Timestamp and Struct.  Nothing installable here writes raw
  messages on a TCP connection without a framing of its own (gRPC adds HTTP/2, most
  RPC stacks a length prefix), so the framing is spec-built: pcaps/gen/peers/spec_peer.py
  writes one message per TCP write, request and answer in turn (the detector's
  "message boundaries at segment ends"), or each message followed by a newline.  The
  manifest names the library and says the framing is spec-built.
* tencentgame, pathofexile, starcraft: nothing installable here speaks them (closed
  games and services), so each exchange carries the fields and constants the detector
  modules cite (lsj9383's TSF4G notes and nDPI's tencent_games.c for TGCP; nDPI's
  path_of_exile.c; nDPI's starcraft.c) at the sizes and places they name, with seeded
  random bytes where the protocol is opaque (encrypted bodies, undescribed fields),
  and spec_peer.py plays both sides on loopback.  The manifest says "spec-built-python"
  for both sides; the variant names what the exchange shows.

None of these has an IANA port of its own (classifier/protocols.py says why for each),
so every capture comes from the random-port run, one per variant.
``pcaps/generate --only tcpsigs`` rewrites all of them.
"""

from __future__ import annotations

import random
import struct

from .core import SPEC_SOFTWARE, pip_version, spec_exchange

NAME = "tcpsigs"
MODES = ("random",)
PYPI_PACKAGES = ("protobuf",)       # pcaps/generate --install adds it to its list
RNG = random.Random(1914)


def rb(n: int) -> bytes:
    return bytes(RNG.randrange(256) for _ in range(n))


# ------------------------------------------------------------------- protobuf
def _telemetry_classes():
    """Query and Reading message classes from a .proto schema built at run time:

        message Location { float lat = 1; float lon = 2; }
        message Query    { string sensor = 1; uint32 count = 2; }
        message Reading  { string sensor = 1; uint64 at_ms = 2; double value = 3;
                           fixed32 flags = 4; repeated sint32 deltas = 5 [packed];
                           Location where = 6; bool ok = 7; }
    """
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="portlens_telemetry.proto",
                                             package="portlens.telemetry", syntax="proto3")

    def message(name, *fields):
        m = fdp.message_type.add(name=name)
        for number, fname, ftype, extra in fields:
            f = m.field.add(name=fname, number=number, type=ftype, **extra)
            if not extra.get("label"):
                f.label = F.LABEL_OPTIONAL

    message("Location", (1, "lat", F.TYPE_FLOAT, {}), (2, "lon", F.TYPE_FLOAT, {}))
    message("Query", (1, "sensor", F.TYPE_STRING, {}), (2, "count", F.TYPE_UINT32, {}))
    message("Reading", (1, "sensor", F.TYPE_STRING, {}), (2, "at_ms", F.TYPE_UINT64, {}),
            (3, "value", F.TYPE_DOUBLE, {}), (4, "flags", F.TYPE_FIXED32, {}),
            (5, "deltas", F.TYPE_SINT32, {"label": F.LABEL_REPEATED}),   # proto3: packed
            (6, "where", F.TYPE_MESSAGE, {"type_name": ".portlens.telemetry.Location"}),
            (7, "ok", F.TYPE_BOOL, {}))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return tuple(message_factory.GetMessageClass(pool.FindMessageTypeByName(f"portlens.telemetry.{n}"))
                 for n in ("Query", "Reading"))


def _protobuf_segments():
    """Four queries and their readings, one message per TCP write."""
    Query, Reading = _telemetry_classes()
    steps = []
    for i, sensor in enumerate(("boiler-3", "intake-7", "roof-12", "cellar-1")):
        q = Query(sensor=sensor, count=3 + i)
        r = Reading(sensor=sensor, at_ms=1_780_000_000_000 + 1500 * i, value=20.5 + RNG.random() * 10,
                    flags=0x80000001 | i << 4, deltas=[RNG.randrange(-300, 300) for _ in range(3 + i)],
                    ok=True)
        r.where.lat, r.where.lon = 48.85 + i / 100, 2.35 - i / 100
        steps += [("c", q.SerializeToString(deterministic=True)),
                  ("s", r.SerializeToString(deterministic=True))]
    return steps


def _protobuf_lines():
    """Well-known types, each message followed by a newline: the client sends an Any
    holding a Timestamp, the server answers a Struct."""
    from google.protobuf import any_pb2, struct_pb2, timestamp_pb2

    steps = []
    for i in range(4):
        ts = timestamp_pb2.Timestamp(seconds=1_780_000_000 + 60 * i, nanos=250_000_000 * (i + 1))
        wrapped = any_pb2.Any()
        wrapped.Pack(ts)                    # type_url (field 1), value (field 2)
        answer = struct_pb2.Struct()
        answer.update({"status": "ok", "seq": i + 1, "load": round(RNG.random(), 3), "final": i == 3})
        steps += [("c", wrapped.SerializeToString(deterministic=True) + b"\n"),
                  ("s", answer.SerializeToString(deterministic=True) + b"\n")]
    return steps


def protobuf(variant):
    return _protobuf_segments() if variant == 0 else _protobuf_lines()


# ------------------------------------------------------------ TGCP (tencentgame)
TGCP_MAGIC, TGCP_VERSION = 0x3366, 11           # nDPI: 33 66 00 0b 00 0b


def _gcp(cmd_: int, enc: int, seq: int, ext: int, body: int) -> bytes:
    """A GCP packet: HEAD.base (magic, head_version, body_version, command, encrypted,
    sequence, head_length, body_length; 21 bytes), the HEAD's command-specific
    extension and the BODY, both seeded random (the notes describe them, but the
    extension's contents and the encrypted body do not matter to the framing)."""
    return (struct.pack(">HHHHBIII", TGCP_MAGIC, TGCP_VERSION, TGCP_VERSION, cmd_, enc, seq,
                        21 + ext, body) + rb(ext) + rb(body))


def _tlv_frame(cmd_: int, body: int, prefix: bytes = b"") -> bytes:
    """The tagged encoding (tag = field << 4 | type; type 0 a varint, type 5 a u32 length
    and bytes): 0xaa and the frame's u32 length, then field 1 (type 5) the HEAD, whose
    fields 1-4 are the magic 0x4366, head_version, body_version and the command
    (varints), the rest of the HEAD seeded random; then field 2 (type 5) the BODY."""
    def varint(v):
        out = b""
        while v > 0x7F:
            out += bytes([v & 0x7F | 0x80])
            v >>= 7
        return out + bytes([v])
    head = (b"\x10" + varint(0x4366) + b"\x20" + varint(TGCP_VERSION) + b"\x30" + varint(TGCP_VERSION)
            + b"\x40" + varint(cmd_) + rb(12))
    inner = b"\x15" + struct.pack(">I", len(head)) + head + b"\x25" + struct.pack(">I", body) + rb(body)
    return prefix + b"\xaa" + struct.pack(">I", 5 + len(inner)) + inner


def tencentgame(variant):
    if variant == 0:
        # SYN / ACK, the authentication, then data both ways and a heartbeat
        return [("c", _gcp(0x1001, 0, 1, 27, 0)), ("s", _gcp(0x1002, 0, 1, 11, 16)),
                ("c", _gcp(0x2001, 1, 2, 9, 96)), ("s", _gcp(0x2002, 1, 2, 9, 48)),
                ("c", _gcp(0x4013, 1, 3, 5, 64)), ("s", _gcp(0x4013, 1, 3, 5, 112)),
                ("c", _gcp(0x9001, 0, 4, 0, 0))]
    if variant == 1:
        # the client's 43 66, then 0xaa frames: SYN / ACK, then data both ways
        return [("c", _tlv_frame(0x1001, 32, prefix=b"\x43\x66")), ("s", _tlv_frame(0x1002, 48)),
                ("c", _tlv_frame(0x4013, 80)), ("s", _tlv_frame(0x4013, 144))]
    # nDPI's 42 15 f7 87, two bytes, two zero bytes, on each side's first packet
    return [("c", b"\x42\x15\xf7\x87" + rb(2) + b"\0\0" + rb(56)),
            ("s", b"\x42\x15\xf7\x87" + rb(2) + b"\0\0" + rb(24)),
            ("c", rb(40)), ("s", rb(72))]


# ------------------------------------------------------ Path of Exile (path_of_exile.c)
def _poe_login(nickname: bytes) -> bytes:
    """00, 03 00, 3 bytes, 00, 02 00, the nickname's length and the nickname, 4 bytes,
    then 00 00 00 00 40 00 00 01: 22 + len(nickname) bytes."""
    return (b"\x00\x03\x00" + rb(3) + b"\x00\x02\x00" + bytes([len(nickname)]) + nickname + rb(4)
            + bytes.fromhex("0000000040000001"))


def pathofexile(variant):
    nickname = (b"Witch_of_Wraeclast", b"Duelist42")[variant]
    # the login in the client's first segment, then opaque game traffic
    return [("c", _poe_login(nickname)), ("s", rb(48)), ("c", rb(30)), ("s", rb(160))]


# ------------------------------------------------------------ StarCraft II (starcraft.c)
def starcraft(variant):
    first = (0x4A, 0x49)[variant]
    login = bytes([first]) + bytes.fromhex("00000a66020aed2d66") + rb(54)
    return [("c", login), ("s", rb(96)), ("c", rb(44)), ("s", rb(200))]


EXCHANGES = [
    ("protobuf", protobuf, (
        "four Query / Reading messages from a schema built at run time (descriptor_pb2, message_factory), "
        "one message per TCP write, request and answer in turn",
        "well-known types: four Any(Timestamp) messages and their Struct answers, each followed by a newline")),
    ("tencentgame", tencentgame, (
        "spec-built: TGCP fixed heads (magic 0x3366, versions 11): SYN / ACK, AUTH_REQ / AUTH_RSP, DATA both ways, "
        "HEART_BEAT; seeded random extensions and bodies",
        "spec-built: TGCP tagged heads: the client's 43 66, then 0xaa frames (magic 0x4366): SYN / ACK, DATA both ways",
        "spec-built: nDPI's 42 15 f7 87 opening on each side's first packet, seeded random after it")),
    ("pathofexile", pathofexile, (
        "spec-built: the client's login naming an 18-character nickname, then seeded random game traffic",
        "spec-built: the client's login naming a 9-character nickname, then seeded random game traffic")),
    ("starcraft", starcraft, (
        "spec-built: the client's first packet opens 4a 00 00 0a 66 02 0a ed 2d 66, seeded random after it",
        "spec-built: the client's first packet opens 49 00 00 0a 66 02 0a ed 2d 66, seeded random after it")),
]
PREFIXES = tuple(p for p, *_ in EXCHANGES)


def run(ctx):
    pb = pip_version("protobuf")
    for proto, build, what in EXCHANGES:
        if proto == "protobuf":
            # the messages are the protobuf library's; only the framing is spec-built
            server, client = ("python-protobuf", pb), f"python-protobuf {pb} (spec-built-python framing)"
            prefix = f"protobuf {pb} serialized, spec-built framing: "
        else:
            server, client, prefix = SPEC_SOFTWARE, "spec-built-python", ""
        for variant in range(len(what)):
            spec_exchange(ctx, proto, "tcp", ctx.port(None, "tcp"), build(variant), f"{proto}-{variant}.json",
                          prefix + what[variant], server=server, client=client)
