"""`portlens audit`: flows checked against an approved ports, protocols and services list.

The policy is "deny all, permit by exception": a flow is a violation unless an entry
permits its server port *and* the protocol its payload carries.

    # approved.toml
    [policy]
    name = "datacenter egress"        # optional, printed in the summary
    unidentified = "deny"             # default; "allow" lets unidentified payloads pass
                                      # on approved ports (see below)

    [[allow]]
    name = "web"                      # optional, names the entry in violations
    port = "443/tcp"                  # "443/tcp", a range "49152-65535/udp", or a list
    protocols = ["tls", "quic"]       # canonical names (docs/protocols.md), or "any"
    servers = ["203.0.113.0/24"]      # optional: only for these server addresses (CIDR)
    clients = ["10.0.0.0/8"]          # optional: only for these client addresses
    note = "public web front"         # optional

    [[allow]]
    name = "ping"
    port = "icmp"                     # transports without ports are named alone

A flow breaks the policy in one of three ways, each reported with what it broke:

* **port**: no entry covers its server port and transport (or none covers them for
  these addresses): "no entry permits 23/tcp";
* **protocol**: entries cover the port, but none permits the protocol found in the
  payload, e.g. SSH tunnelled over an approved 443/tcp:
  "443/tcp carries ssh; entry 'web' (line 7) permits tls, quic";
* **unidentified**: the payload was not identified on a port whose entries name
  protocols, so it cannot be shown to be permitted.  Flows that carried no payload at
  all (a SYN without answer, an empty UDP probe) are not protocol violations: nothing
  was carried.  `unidentified = "allow"` in [policy] waives this kind.

Protocols compare exactly: an entry permitting "http" does not permit "http-proxy"
(a proxy on the web port is a tunnel worth seeing).  The server port is the flow's
server side as the fast path determined it (SYN receiver; for UDP the receiver of the
first datagram).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .ports.canonical import PROTOCOLS
from .ports.spec import PortSpec, parse_port_spec
from .ports.tomlfile import ConfigError, entry_line, entry_where, load_toml, strings

PORTED = ("tcp", "udp")
# Transports without ports that an entry may name alone (classifier.flows.TRANSPORTS).
PORTLESS = ("icmp", "icmpv6", "igmp", "gre", "esp", "ah", "ipv6", "eigrp", "ospf", "pim",
            "vrrp", "pgm", "sctp", "udplite")

_ENTRY_KEYS = {"name", "port", "ports", "protocols", "protocol", "servers", "clients", "note"}
_POLICY_KEYS = {"name", "unidentified"}


@dataclass
class Entry:
    index: int
    name: str
    line: Optional[int]
    specs: Tuple[PortSpec, ...]
    portless: Tuple[str, ...]                   # transports named alone ("icmp")
    protocols: Optional[frozenset]              # None: any protocol
    servers: Tuple[Any, ...] = ()               # ip_network objects; () means any
    clients: Tuple[Any, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        where = f"line {self.line}" if self.line else f"entry {self.index + 1}"
        return f"entry {self.name!r} ({where})" if self.name else f"entry {self.index + 1} ({where})"

    @property
    def permits_text(self) -> str:
        return "any protocol" if self.protocols is None else ", ".join(sorted(self.protocols))

    def covers_port(self, port: int, transport: str) -> bool:
        if transport in PORTED:
            return any(s.covers(port, transport) for s in self.specs)
        return transport in self.portless

    def covers_addresses(self, client: str, server: str) -> bool:
        return _in(server, self.servers) and _in(client, self.clients)


def _in(addr: str, nets: Tuple[Any, ...]) -> bool:
    if not nets:
        return True
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in nets)


@dataclass
class Policy:
    path: str
    name: str = ""
    unidentified_allowed: bool = False
    entries: List[Entry] = field(default_factory=list)


def _strings(value: Any, what: str) -> List[str]:
    return strings(value, f"'{what}'")


def _entry(raw: Any, index: int, line: Optional[int]) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError("an entry must be a table")
    bad = sorted(set(raw) - _ENTRY_KEYS)
    if bad:
        raise ValueError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    if ("port" in raw) == ("ports" in raw):
        raise ValueError("give exactly one of 'port' or 'ports', e.g. port = \"443/tcp\"")
    specs, portless = [], []
    for text in _strings(raw.get("port", raw.get("ports")), "port"):
        t = text.strip().lower()
        if t in PORTLESS or (t.startswith("ip-") and t[3:].isdigit()):
            portless.append(t)
        else:
            specs.append(parse_port_spec(text))
    if "protocols" in raw and "protocol" in raw:
        raise ValueError("give one of 'protocols' or 'protocol', not both")
    prot_raw = raw.get("protocols", raw.get("protocol"))
    if prot_raw is None:
        if specs:
            raise ValueError("missing 'protocols': the protocols permitted on the port, or \"any\"")
        protocols = None                    # a portless transport needs no protocol list
    else:
        names = [p.strip().lower() for p in _strings(prot_raw, "protocols")]
        if "any" in names:
            if len(names) > 1:
                raise ValueError("\"any\" cannot be combined with named protocols")
            protocols = None
        else:
            for p in names:
                if p not in PROTOCOLS:
                    raise ValueError(f"unknown protocol {p!r}; use the canonical names of "
                                     f"docs/protocols.md (e.g. tls, ssh, dns) or \"any\"")
            protocols = frozenset(names)
    nets = {}
    for key in ("servers", "clients"):
        out = []
        if key in raw:
            for text in _strings(raw[key], key):
                try:
                    out.append(ipaddress.ip_network(text.strip(), strict=False))
                except ValueError:
                    raise ValueError(f"'{key}': not an address or network: {text!r}") from None
        nets[key] = tuple(out)
    name = raw.get("name", "")
    note = raw.get("note", "")
    if not isinstance(name, str) or not isinstance(note, str):
        raise ValueError("'name' and 'note' must be strings")
    return Entry(index, name, line, tuple(specs), tuple(portless), protocols,
                 nets["servers"], nets["clients"], note)


def load_policy(path: str) -> Policy:
    """Read and check a policy file; ConfigError names the file, entry and line."""
    doc = load_toml(path)
    unknown = [k for k in doc if k not in ("policy", "allow", "__lines__")]
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; a policy holds an "
                          f"optional [policy] table and [[allow]] entries")
    head = doc.get("policy", {})
    if not isinstance(head, dict):
        raise ConfigError(f"{path}: 'policy' must be a table, written [policy]")
    bad = sorted(set(head) - _POLICY_KEYS)
    if bad:
        raise ConfigError(f"{path}: [policy]: unknown key {bad[0]!r} (allowed: {', '.join(sorted(_POLICY_KEYS))})")
    unid = head.get("unidentified", "deny")
    if unid not in ("deny", "allow"):
        raise ConfigError(f"{path}: [policy]: unidentified must be \"deny\" or \"allow\", not {unid!r}")
    name = head.get("name", "")
    if not isinstance(name, str):
        raise ConfigError(f"{path}: [policy]: name must be a string")
    raw_entries = doc.get("allow", [])
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{path}: 'allow' must be an array of tables, written [[allow]]")
    if not raw_entries:
        raise ConfigError(f"{path}: no [[allow]] entries: every flow would be a violation "
                          f"(write at least one entry)")
    policy = Policy(path, name, unid == "allow")
    for i, raw in enumerate(raw_entries):
        try:
            policy.entries.append(_entry(raw, i, entry_line(doc, "allow", i)))
        except ValueError as e:
            raise ConfigError(f"{entry_where(path, doc, 'allow', i, raw)}: {e}") from None
    return policy


def _flow_port(rec: Dict[str, Any]) -> str:
    t = rec.get("transport")
    return f"{rec.get('server_port')}/{t}" if t in PORTED else str(t)


def check(policy: Policy, rec: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The violation a flow commits, or None when an entry permits it."""
    transport = rec.get("transport")
    port = rec.get("server_port")
    on_port = [e for e in policy.entries if e.covers_port(port, transport)]
    where = _flow_port(rec)
    if not on_port:
        return _violation(rec, "port", f"no entry permits {where}", [])
    scoped = [e for e in on_port if e.covers_addresses(rec.get("client", ""), rec.get("server", ""))]
    if not scoped:
        return _violation(rec, "port", f"no entry permits {where} between these addresses "
                                       f"({_labels(on_port)} cover{'s' if len(on_port) == 1 else ''} "
                                       f"{where} for other addresses)", on_port)
    if any(e.protocols is None for e in scoped):
        return None
    protocol = rec.get("protocol") or "unknown"
    permitted = sorted(set().union(*(e.protocols for e in scoped)))
    if protocol == "unknown":
        pay = rec.get("payload") or {}
        if not (pay.get("c2s") or pay.get("s2c")) or policy.unidentified_allowed:
            return None
        return _violation(rec, "unidentified", f"{where} carries an unidentified payload; "
                                               f"{_labels(scoped)} permit{'s' if len(scoped) == 1 else ''} "
                                               f"{', '.join(permitted)}", scoped)
    if protocol in permitted:
        return None
    return _violation(rec, "protocol", f"{where} carries {protocol}; {_labels(scoped)} "
                                       f"permit{'s' if len(scoped) == 1 else ''} {', '.join(permitted)}", scoped)


def _labels(entries: Sequence[Entry]) -> str:
    return ", ".join(e.label for e in entries)


def _violation(rec, kind: str, message: str, entries: Sequence[Entry]) -> Dict[str, Any]:
    return {
        "capture": rec.get("capture"), "ts_start": rec.get("ts_start"), "ts_end": rec.get("ts_end"),
        "transport": rec.get("transport"), "client": rec.get("client"),
        "client_port": rec.get("client_port"), "server": rec.get("server"),
        "server_port": rec.get("server_port"), "protocol": rec.get("protocol"),
        "source": rec.get("source"), "port_protocol": rec.get("port_protocol"),
        "violation": kind, "message": message,
        "entries": [{"name": e.name or None, "line": e.line, "index": e.index + 1,
                     "permits": None if e.protocols is None else sorted(e.protocols)} for e in entries],
        "bytes_c2s": rec.get("bytes_c2s"), "bytes_s2c": rec.get("bytes_s2c"),
        "metadata": rec.get("metadata") or {},
    }


class ViolationTable:
    """Violations as a terminal table, one line per flow."""
    COLUMNS = (("CLIENT", 24), ("SERVER", 24), ("PROTOCOL", 11), ("VIOLATION", 12), ("WHAT IT BROKE", 0))

    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        self.color = color
        self.n = 0

    @staticmethod
    def _ep(addr, port, transport):
        if transport not in PORTED:
            return str(addr)
        return f"[{addr}]:{port}" if ":" in str(addr) else f"{addr}:{port}"

    def _line(self, cells, paint=False):
        out = []
        for (name, width), cell in zip(self.COLUMNS, cells):
            cell = str(cell)
            if width and len(cell) > width:
                cell = cell[: width - 1] + "~"
            out.append(cell.ljust(width) if width else cell)
        text = " ".join(out).rstrip()
        if paint and self.color:
            text = "\033[31m" + text + "\033[0m"
        self.stream.write(text + "\n")

    def write(self, v):
        if not self.n:
            self._line([c[0] for c in self.COLUMNS])
        self.n += 1
        t = v["transport"]
        self._line([self._ep(v["client"], v["client_port"], t), self._ep(v["server"], v["server_port"], t),
                    v["protocol"], v["violation"], v["message"]], paint=True)

    def close(self):
        if not self.n:
            self.stream.write("(no violations)\n")


def summary(policy: Policy, flows: int, captures: int, groups: Dict[Tuple[str, str], int],
            kinds: Dict[str, int], top: int = 10) -> List[str]:
    total = sum(kinds.values())
    title = f"{policy.path}" + (f" ({policy.name})" if policy.name else "")
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) if kinds else ""
    lines = [f"portlens audit: {title}: {len(policy.entries)} entries; {flows} flows in {captures} "
             f"capture{'s' if captures != 1 else ''}; {total} violation{'s' if total != 1 else ''}"
             + (f" ({by_kind})" if by_kind else "")]
    for (kind, message), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        lines.append(f"  {n:>7} x {kind}: {message}")
    if len(groups) > top:
        lines.append(f"  ... and {len(groups) - top} more kinds of violation")
    return lines
