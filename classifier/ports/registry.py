"""The port registry: what IANA (and the site) say a port and transport are for.

The table is derived from the IANA Service Name and Transport Protocol Port Number
Registry by tools/build_port_table.py and shipped as iana-ports.json.gz beside this
module, with the registry's date.  A lookup answers, for any port and transport:

* the registered services (name, description, canonical protocols they imply),
* the port class of RFC 6335 6: system 0-1023, user 1024-49151, dynamic 49152-65535,
* the status when nothing is registered: "unassigned", "reserved" (IANA holds it back),
  or "dynamic" (never assigned, RFC 6335 6).

Lookups go both ways: `lookup(443, "tcp")`, and `find("smallchat")` for the ports of a
service name or of a canonical protocol.  A site overrides file replaces or extends the
implication of ports (classifier/ports/site.py, which also holds `load_registry`: the
registry with site files applied; this module does not import it).
"""
from __future__ import annotations

import bisect
import gzip
import json
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .canonical import PROTOCOLS, canonical_for

TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "iana-ports.json.gz")

# Transports the registry has ports for; flows on any other carry no port-implied protocol.
PORT_TRANSPORTS = ("tcp", "udp", "sctp", "dccp")

SYSTEM, USER, DYNAMIC = "system", "user", "dynamic"

# Lookups of new ports before the assigned lines are indexed by port.
_INDEX_AFTER = 256


def port_class(port: int) -> str:
    """RFC 6335 6: system (well-known) 0-1023, user (registered) 1024-49151, dynamic 49152-65535."""
    if port < 1024:
        return SYSTEM
    if port < 49152:
        return USER
    return DYNAMIC


class Service(NamedTuple):
    """One registration of a port: an IANA line, or a site override."""
    name: str                       # IANA service name ("https"), or the site's label
    description: str
    protocols: Tuple[str, ...]      # canonical protocols implied; () when unmapped
    source: str = "iana"            # "iana" or "site:<file>"

    @property
    def implies(self) -> Tuple[str, ...]:
        """What this registration says the port carries: its canonical protocols, or
        its own service name when it maps to none."""
        return self.protocols or (self.name,)


@dataclass(frozen=True)
class PortInfo:
    port: int
    transport: str
    port_class: str
    services: Tuple[Service, ...]   # empty when nothing is registered
    status: str                     # "assigned", "site", "reserved", "unassigned" or "dynamic"
    note: str = ""                  # IANA's description of a reserved/unassigned line

    @property
    def registered(self) -> bool:
        return bool(self.services)

    @property
    def implied(self) -> Tuple[str, ...]:
        """Everything the port implies, canonical names first, without repeats."""
        seen: Dict[str, None] = {}
        for s in self.services:
            for p in s.protocols:
                seen.setdefault(p)
        for s in self.services:
            if not s.protocols:
                seen.setdefault(s.name)
        return tuple(seen)

    @property
    def spec(self) -> str:
        return f"{self.port}/{self.transport}"


@dataclass
class SiteOverride:
    """A site overrides file's entry for a port range (classifier/ports/site.py)."""
    lo: int
    hi: int
    transport: str
    service: Service
    extend: bool                    # True: add to IANA's services; False: replace them


class Registry:
    """Port lookups over the IANA table plus optional site overrides."""

    def __init__(self, table: dict, overrides: Sequence[SiteOverride] = ()):
        self.source = table.get("source", "")
        self.url = table.get("url", "")
        self.date = table.get("date", "")
        self.csv_sha256 = table.get("csv_sha256", "")
        self.site_files: List[str] = []
        self._table = table
        # The assigned lines as the table has them, sorted by first port: a lookup finds
        # the lines over its port by bisection (_assigned_at) and makes their Services
        # (_lookup, cached per port). An index over every (port, transport), with a
        # Service per line and the name index (_by_name), took ~30 ms of every run's
        # start before any flow is read; this takes ~1 ms.
        rows = table["rows"]
        self._lines = [r for r in rows if r[5] == "assigned"]
        self._line_starts = [r[0] for r in self._lines]
        # The shipped table is sorted (tools/build_port_table.py); another one is sorted
        # here, each line keeping its place in the table for the order of a port's lines.
        self._line_pos: Optional[List[int]] = None
        if any(a > b for a, b in zip(self._line_starts, self._line_starts[1:])):
            order = sorted(range(len(self._lines)), key=self._line_starts.__getitem__)
            self._lines = [self._lines[i] for i in order]
            self._line_starts = [r[0] for r in self._lines]
            self._line_pos = order
        self._line_span = max((r[1] - r[0] for r in self._lines), default=0)
        # After _INDEX_AFTER lookups (a capture with that many server ports: a scan, a
        # flood, peer-to-peer traffic) the lines are indexed by port once (~5 ms), and a
        # lookup is one dict get instead of the scan; short runs never pay for it.
        self._misses = 0
        self._at: Optional[Dict[int, Tuple[int, ...]]] = None
        self._by_name_index: Optional[Dict[str, List[Tuple[int, str]]]] = None
        # Unnamed lines (reserved/unassigned) per transport, sorted ranges for the status lookup.
        self._holes: Dict[str, List[Tuple[int, int, str, str]]] = {}
        both = ("tcp", "udp")
        for lo, hi, transport, _service, description, status in rows:
            if status != "assigned":
                for t in ((transport,) if transport else both):
                    self._holes.setdefault(t, []).append((lo, hi, status, description))
        for holes in self._holes.values():
            holes.sort()
        self._hole_starts = {t: [h[0] for h in holes] for t, holes in self._holes.items()}
        self._overrides: List[SiteOverride] = list(overrides)
        self._cache: Dict[Tuple[int, str], PortInfo] = {}
        # (port, transport, observed protocol) -> verdict fields, kept by classifier.verdict.
        self.verdict_cache: Dict[tuple, tuple] = {}

    # -- site overrides -------------------------------------------------------------

    def with_overrides(self, overrides: Sequence[SiteOverride], name: str) -> "Registry":
        """A new registry: this one plus overrides (later ones win on the same port)."""
        reg = Registry.__new__(Registry)
        reg.__dict__.update(self.__dict__)
        reg._overrides = self._overrides + list(overrides)
        reg.site_files = self.site_files + [name]
        reg._cache = {}
        reg.verdict_cache = {}
        return reg

    # -- lookups --------------------------------------------------------------------

    def lookup(self, port: int, transport: str) -> PortInfo:
        key = (port, transport)
        info = self._cache.get(key)
        if info is None:
            info = self._cache[key] = self._lookup(port, transport)
        return info

    @property
    def _by_name(self) -> Dict[str, List[Tuple[int, str]]]:
        """IANA service name (lower case) -> its (port, transport) keys, in the table's
        order; built on first use (find, service_names): analysis never needs it."""
        if self._by_name_index is None:
            index: Dict[str, List[Tuple[int, str]]] = {}
            for lo, hi, transport, service, _description, status in self._table["rows"]:
                if status != "assigned":
                    continue
                names = index.setdefault(service.lower(), [])
                for t in ((transport,) if transport else ("tcp", "udp")):
                    names.extend((port, t) for port in range(lo, hi + 1))
            self._by_name_index = index
        return self._by_name_index

    def _index(self) -> Dict[int, Tuple[int, ...]]:
        """port -> the positions (in _lines) of the assigned lines over it, in order."""
        at: Dict[int, List[int]] = {}
        for j, (lo, hi, _t, _name, _description, _status) in enumerate(self._lines):
            for port in range(lo, hi + 1):
                at.setdefault(port, []).append(j)
        return {port: tuple(js) for port, js in at.items()}

    def _assigned_at(self, port: int, transport: str) -> List[Tuple[str, str]]:
        """(name, description) of every assigned line over `port` on `transport`, in the
        table's order: the lines starting at most _line_span ports before it (or, once
        indexed, the lines the index gives)."""
        lines = self._lines
        at = self._at
        if at is None:
            self._misses += 1
            if self._misses > _INDEX_AFTER:
                at = self._at = self._index()
        if at is not None:
            over: Sequence[int] = at.get(port, ())
        else:
            over = []
            j = bisect.bisect_right(self._line_starts, port) - 1
            first = port - self._line_span
            while j >= 0 and lines[j][0] >= first:
                if lines[j][1] >= port:
                    over.append(j)
                j -= 1
        found = []
        for j in over:
            _lo, _hi, t, name, description, _status = lines[j]
            if t == transport or (not t and transport in ("tcp", "udp")):
                found.append((j if self._line_pos is None else self._line_pos[j], name, description))
        found.sort()
        return [(name, description) for _pos, name, description in found]

    def _lookup(self, port: int, transport: str) -> PortInfo:
        cls = port_class(port)
        services = [Service(name, description, canonical_for(name, transport))
                    for name, description in self._assigned_at(port, transport)]
        status = "assigned" if services else ""
        site = False
        for ov in self._overrides:
            if ov.lo <= port <= ov.hi and ov.transport == transport:
                services = (services if ov.extend else []) + [ov.service]
                site = True
        note = ""
        if site:
            status = "site"
        elif not services:
            status, note = self._hole(port, transport)
            if not status:
                status = "dynamic" if cls == DYNAMIC else "unassigned"
        return PortInfo(port, transport, cls, tuple(services), status, note)

    def _hole(self, port: int, transport: str) -> Tuple[str, str]:
        holes = self._holes.get(transport, ())
        i = bisect.bisect_right(self._hole_starts.get(transport, ()), port)
        # Lines of one transport rarely overlap (a "Reserved" port inside an "Unassigned"
        # range given for both transports); the latest start is the most specific line.
        for lo, hi, status, description in reversed(holes[max(0, i - 8):i]):
            if lo <= port <= hi:
                return status, description
        return "", ""

    def find(self, name: str) -> List[PortInfo]:
        """Ports of an IANA service name, or of a canonical protocol (every port whose
        registration implies it), or of a site override's label; sorted by port."""
        key = name.strip().lower()
        found = set(self._by_name.get(key, ()))
        if key in PROTOCOLS:
            for lo, hi, transport, name, _description, _status in self._lines:
                for t in ((transport,) if transport else ("tcp", "udp")):
                    if key in canonical_for(name, t):
                        found.update((port, t) for port in range(lo, hi + 1))
        for ov in self._overrides:
            if ov.service.name.lower() == key or key in ov.service.protocols:
                if ov.hi - ov.lo > 4096:
                    continue        # a huge site range would print tens of thousands of lines
                found.update((p, ov.transport) for p in range(ov.lo, ov.hi + 1))
        infos = [self.lookup(p, t) for p, t in found]
        # A site override that replaced the registration no longer holds the name.
        infos = [i for i in infos if any(s.name.lower() == key or key in s.protocols for s in i.services)]
        return sorted(infos, key=lambda i: (i.port, PORT_TRANSPORTS.index(i.transport)
                                            if i.transport in PORT_TRANSPORTS else 9))

    def service_names(self) -> Iterable[str]:
        return self._by_name.keys()


_DEFAULT: Optional[Registry] = None


def load_table(path: str = TABLE_PATH) -> dict:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    try:
        import orjson          # a dependency (the jsonl output); parses this ~2x faster
    except ImportError:        # pragma: no cover
        return json.loads(data.decode("utf-8"))
    return orjson.loads(data)


def default_registry() -> Registry:
    """The shipped IANA table, loaded once per process (~30 ms)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry(load_table())
    return _DEFAULT
