"""Zeek `conn.log`: Zeek's own TSV log format, so that pipelines and tools built for
Zeek (zeek-cut, zat, Filebeat's zeek module, RITA, Security Onion) take portlens flows.

    #separator \\x09
    #set_separator	,
    #empty_field	(empty)
    #unset_field	-
    #path	conn
    #open	2026-01-01-10-00-00
    #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration ...
    #types	time	string	addr	port	addr	port	enum	string	interval ...
    1714557600.000000	CT2dcXLsXvPAZ6J6c	10.0.0.1	40000	10.0.0.2	53	tcp	http	3.250000 ...
    #close	2026-01-01-10-00-05

Zeek's columns first, in Zeek's order and with Zeek's types; what portlens knows goes
in them, what it does not know is the unset field "-" (never a guess):

* `ts`, `duration`: first packet, last minus first (seconds, 6 decimals).
* `uid`: "C" and 17 base62 characters of a hash of what EVE's flow_id hashes
  (capture, tuple, VLAN, first timestamp): the same flow always gets the same uid.
* `id.orig_*` is the client, `id.resp_*` the server; ports "-" for transports
  without ports (Zeek writes ICMP type/code there, which the records do not keep).
* `proto`: tcp, udp or icmp (icmpv6 too, as Zeek does), else unknown_transport.
* `service`: portlens' label (canonical names, docs/protocols.md), "-" when unknown.
* `orig_pkts`, `resp_pkts`: packets per direction.
* `orig_bytes`/`resp_bytes` (Zeek: payload bytes from TCP sequence numbers) and
  `orig_ip_bytes`/`resp_ip_bytes` (IP-level bytes) are "-": portlens counts frame
  bytes as captured, which are neither; they are in `orig_wire_bytes` and
  `resp_wire_bytes` below.  `conn_state`, `local_orig`, `local_resp`,
  `missed_bytes`, `history` and `tunnel_parents` are "-" too.

Then portlens' own columns: `community_id` (where Zeek's community-id package puts
it), `port_protocol`, `verdict`, `source`, `confidence`, `orig_wire_bytes`,
`resp_wire_bytes`, `tunnel`, and the fingerprints `ja4`, `ja3`, `ja3s`, `hassh`,
`hassh_server` (Zeek's ja3/hassh packages write them in ssl.log and ssh.log; here
they sit on the flow).  Text is escaped as Zeek escapes it: the separator, control
and non-ASCII bytes as \\xNN, an empty string as "(empty)", a lone "-" as \\x2d.
"""
from __future__ import annotations

import hashlib
import time

ZEEK_FIELDS = (
    ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
    ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("service", "string"),
    ("duration", "interval"), ("orig_bytes", "count"), ("resp_bytes", "count"),
    ("conn_state", "string"), ("local_orig", "bool"), ("local_resp", "bool"),
    ("missed_bytes", "count"), ("history", "string"), ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
)
PORTLENS_FIELDS = (
    ("community_id", "string"), ("port_protocol", "string"), ("verdict", "string"),
    ("source", "string"), ("confidence", "double"), ("orig_wire_bytes", "count"),
    ("resp_wire_bytes", "count"), ("tunnel", "string"),
    ("ja4", "string"), ("ja3", "string"), ("ja3s", "string"), ("hassh", "string"),
    ("hassh_server", "string"),
)
FIELDS = ZEEK_FIELDS + PORTLENS_FIELDS
FINGERPRINTS = ("ja4", "ja3", "ja3s", "hassh", "hassh_server")

UNSET = "-"
EMPTY = "(empty)"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PROTO = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmp"}
_PORTS = ("tcp", "udp", "sctp")
_UID_KEY = ("capture", "transport", "client", "client_port", "server", "server_port", "vlan", "ts_start")


def _escape_char(c: str) -> str:
    o = ord(c)
    if o < 0x20 or o == 0x7F or c == "\\" or o > 0x7E:
        return "".join(f"\\x{b:02x}" for b in c.encode("utf-8"))
    return c


def escape(value) -> str:
    """A value as Zeek's ASCII writer prints it: None unset, "" empty, text escaped."""
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.6f}"
    text = str(value)
    if text == "":
        return EMPTY
    if text == UNSET:
        return "\\x2d"
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape_char(c) for c in text)


def uid(rec: dict) -> str:
    """A Zeek-style connection uid: 96 bits of a BLAKE2b hash of what EVE's flow_id
    hashes (capture, tuple, VLAN, first timestamp), so a flow always gets the same."""
    key = "\x1f".join(str(rec.get(k)) for k in _UID_KEY)
    n = int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=12).digest(), "big")
    out = []
    for _ in range(17):
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "C" + "".join(out)


def row(rec: dict) -> list:
    """The conn.log columns of one record (values, before escaping)."""
    transport = rec.get("transport") or ""
    ports = transport in _PORTS
    meta = rec.get("metadata") if isinstance(rec.get("metadata"), dict) else {}
    protocol = rec.get("protocol")
    t0, t1 = rec.get("ts_start"), rec.get("ts_end")
    return [
        t0, uid(rec), rec.get("client"), rec.get("client_port") if ports else None,
        rec.get("server"), rec.get("server_port") if ports else None,
        _PROTO.get(transport, "unknown_transport"),
        protocol if protocol and protocol != "unknown" else None,
        (t1 - t0) if t0 is not None and t1 is not None else None,
        None, None, None, None, None, None, None,
        rec.get("packets_c2s"), None, rec.get("packets_s2c"), None, None,
        rec.get("community_id"), rec.get("port_protocol"), rec.get("verdict"), rec.get("source"),
        rec.get("confidence"), rec.get("bytes_c2s"), rec.get("bytes_s2c"), rec.get("tunnel"),
    ] + [meta.get(k) for k in FINGERPRINTS]


def _stamp() -> str:
    return time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime())


class ZeekWriter:
    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        stream.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                     "#unset_field\t-\n#path\tconn\n")
        stream.write(f"#open\t{_stamp()}\n")
        stream.write("#fields\t" + "\t".join(name for name, _ in FIELDS) + "\n")
        stream.write("#types\t" + "\t".join(kind for _, kind in FIELDS) + "\n")

    def write(self, rec):
        self.stream.write("\t".join(escape(v) for v in row(rec)))
        self.stream.write("\n")

    def close(self):
        self.stream.write(f"#close\t{_stamp()}\n")
