"""Site rules: house protocols described in TOML (`--rules FILE.toml`), no code.

Each `[[rule]]` becomes one detector with the same contract as the built-in ones: a
probe that sees only payload bytes (a FlowView: no port, address or TTL), answers
MATCH / NEED_MORE / NO_MATCH, and runs inside the engine's budgets, exclusion and
conflict rule.  A rule is a list of byte patterns that must ALL hold:

    [[rule]]
    name = "acme-telemetry"       # the label: lowercase letters, digits, "-", "_", "."
    transport = "tcp"             # "tcp", "udp" or ["tcp", "udp"]
    direction = "c2s"             # where patterns look by default: c2s, s2c or any
    min_bytes = 12                # a side must hold this many bytes before a match
    confidence = 0.9              # 0 < confidence <= 1 (default 0.9)
    max_bytes = 1024              # bytes per direction the rule may see (default 1024)

    [[rule.match]]
    offset = 0                    # where the pattern starts (default 0)
    literal = "ACME"              # exact bytes (text, UTF-8), or:
    # hex = "41 43 4d 45"         # exact bytes in hex (spaces allowed), or:
    # regex = 'v(?P<version>[0-9]+)\\.'   # a regular expression anchored at offset;
    #                               named groups become metadata (`version`)
    direction = "s2c"             # optional: this pattern's side

Direction `any` means either side (captures may start mid-stream or with the sides
swapped, so the client is not always the first sender we saw); with `any` every
pattern must hold on the same side.  UDP rules look at each side's first datagram.

Priority (the engine's conflict rule, docs/protocols.md): site rules are registered
AFTER every built-in detector, so on equal confidence the built-in label wins; a rule
wins only with a strictly higher confidence (at most 1.0, so never over a certain
built-in match), and between rules the earlier one (file order, then --rules order)
wins a tie.  A rule may not take a built-in protocol's name: a house protocol is a
new label, never a way to relabel tls or http.

A bad file is a ConfigError (the CLI: one line naming the file, the rule and the
problem; exit 2), raised before any capture is read.
"""
from __future__ import annotations

import re
from typing import Iterable, List, Sequence

from .base import MORE, NO, DetectorSpec, Prefilter, dec, claim, ANY
from ..ports.tomlfile import ConfigError, entry_where, load_toml

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}$")
_RULE_KEYS = {"name", "transport", "direction", "min_bytes", "confidence", "max_bytes",
              "max_packets", "match", "description"}
_MATCH_KEYS = {"offset", "literal", "hex", "regex", "direction"}
_DIRECTIONS = ("c2s", "s2c", "any")
_ADDRESSING = {"port", "ports", "server_port", "client_port", "address", "ip", "host", "ttl"}


class _Pattern:
    """One byte pattern: exact bytes at an offset, or a regex anchored there."""
    __slots__ = ("offset", "exact", "regex", "direction")

    def __init__(self, offset: int, exact, regex, direction: str) -> None:
        self.offset, self.exact, self.regex, self.direction = offset, exact, regex, direction

    def check(self, data: bytes):
        """True / False / None (too few bytes to say) / a dict of captured groups."""
        if self.exact is not None:
            end = self.offset + len(self.exact)
            if len(data) < end:
                have = data[self.offset:]
                # A valid prefix of the pattern: wait for more bytes; else it cannot match.
                return None if self.exact.startswith(have) else False
            return data[self.offset:end] == self.exact
        if len(data) < self.offset:
            return None
        m = self.regex.match(data, self.offset)
        if m is None:
            return False
        groups = {k: dec(v, 128) for k, v in m.groupdict().items() if v is not None}
        return groups or True


class Rule:
    """A parsed [[rule]]: its spec fields and patterns."""

    def __init__(self, name, transports, direction, min_bytes, confidence, max_bytes, max_packets,
                 patterns: List[_Pattern]) -> None:
        self.name, self.transports, self.direction = name, transports, direction
        self.min_bytes, self.confidence = min_bytes, confidence
        self.max_bytes, self.max_packets = max_bytes, max_packets
        self.patterns = patterns

    def _side(self, data: bytes, patterns) -> object:
        """All patterns on one side's bytes: a metadata dict, MORE or NO."""
        meta: dict = {}
        more = False
        for p in patterns:
            r = p.check(data)
            if r is False:
                return NO
            if r is None:
                more = True
            elif isinstance(r, dict):
                meta.update(r)
        if more or len(data) < self.min_bytes:
            return MORE
        return meta

    def probe(self, view, state):
        udp = view.transport == "udp" and (view.datagrams_c2s or view.datagrams_s2c)
        sides = {"c2s": view.datagrams_c2s[0] if udp and view.datagrams_c2s else view.payload_c2s,
                 "s2c": view.datagrams_s2c[0] if udp and view.datagrams_s2c else view.payload_s2c}
        if udp and not view.datagrams_c2s:
            sides["c2s"] = b""
        if udp and not view.datagrams_s2c:
            sides["s2c"] = b""
        fixed = [p for p in self.patterns if p.direction != "any"]
        loose = [p for p in self.patterns if p.direction == "any"]
        meta: dict = {}
        more = False
        for d in ("c2s", "s2c"):
            ps = [p for p in fixed if p.direction == d]
            if not ps:
                continue
            if not sides[d]:
                more = True                     # that side has not spoken yet
                continue
            r = self._side(sides[d], ps)
            if r is NO:
                return NO
            if r is MORE:
                more = True
            else:
                meta.update(r)
        if loose:
            # Either side, all of them on the same side.
            results = [self._side(sides[d], loose) for d in ("c2s", "s2c") if sides[d]]
            hit = next((r for r in results if isinstance(r, dict)), None)
            if hit is not None:
                meta.update(hit)
            elif any(r is MORE for r in results) or len(results) < 2:
                more = True
            else:
                return NO
        if more:
            return MORE
        return claim(self.name, self.confidence, **meta)

    def spec(self) -> DetectorSpec:
        return DetectorSpec(name=self.name, transports=self.transports, probe=self.probe,
                            max_bytes=self.max_bytes, max_packets=self.max_packets,
                            prefilter=self._prefilter(), max_confidence=self.confidence)

    def _prefilter(self) -> Prefilter:
        """The first byte, when a pattern fixes it (exact bytes at offset 0): the
        engine then probes this rule only on flows that start with it."""
        firsts = {p.direction: p.exact[0] for p in self.patterns
                  if p.exact and p.offset == 0}
        if not firsts:
            return ANY
        if "any" in firsts:
            b = frozenset({firsts["any"]})
            return Prefilter(c2s=b, s2c=b)
        return Prefilter(c2s=frozenset({firsts["c2s"]}) if "c2s" in firsts else None,
                         s2c=frozenset({firsts["s2c"]}) if "s2c" in firsts else None)


def _int(entry, key, default, lo, hi, where):
    v = entry.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"{where}: {key} must be a whole number from {lo} to {hi}")
    return v


def _pattern(m, i: int, default_dir: str, where: str) -> _Pattern:
    w = f"{where}: match {i + 1}"
    if not isinstance(m, dict):
        raise ConfigError(f"{w}: must be a table, written [[rule.match]]")
    unknown = sorted(set(m) - _MATCH_KEYS)
    if unknown:
        raise ConfigError(f"{w}: unknown key {unknown[0]!r} (offset, literal, hex, regex, direction)")
    kinds = [k for k in ("literal", "hex", "regex") if k in m]
    if len(kinds) != 1:
        raise ConfigError(f"{w}: give exactly one of literal, hex or regex")
    kind = kinds[0]
    value = m[kind]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{w}: {kind} must be a non-empty string")
    offset = _int(m, "offset", 0, 0, 65535, w)
    direction = m.get("direction", default_dir)
    if direction not in _DIRECTIONS:
        raise ConfigError(f"{w}: direction must be c2s, s2c or any, not {direction!r}")
    if kind == "literal":
        return _Pattern(offset, value.encode("utf-8"), None, direction)
    if kind == "hex":
        try:
            exact = bytes.fromhex(value.replace(" ", "").replace(":", ""))
        except ValueError:
            raise ConfigError(f"{w}: hex {value!r} is not hexadecimal bytes") from None
        if not exact:
            raise ConfigError(f"{w}: hex must hold at least one byte")
        return _Pattern(offset, exact, None, direction)
    try:
        rx = re.compile(value.encode("utf-8"), re.DOTALL)
    except re.error as e:
        raise ConfigError(f"{w}: regex {value!r} does not compile: {e}") from None
    if rx.match(b"", 0) is not None:
        raise ConfigError(f"{w}: regex {value!r} matches empty input, so it tells nothing apart")
    return _Pattern(offset, None, rx, direction)


def load_rules(path: str, taken: Iterable[str] = ()) -> List[Rule]:
    """The rules of one file; `taken`: names already in use (built-in detectors and
    rules of earlier files).  ConfigError (one line) for anything wrong."""
    doc = load_toml(path)
    unknown = sorted(k for k in doc if k not in ("rule", "__lines__"))
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; a rules file holds [[rule]] tables")
    entries = doc.get("rule")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no rules: write each one as a [[rule]] table")
    names = set(taken)
    out = []
    for i, entry in enumerate(entries):
        where = entry_where(path, doc, "rule", i, entry)
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a table")
        addressing = sorted(set(entry) & _ADDRESSING)
        if addressing:
            raise ConfigError(f"{where}: {addressing[0]!r}: rules match payload bytes only, never ports "
                              "or addresses (port meanings go in --site-ports)")
        unknown = sorted(set(entry) - _RULE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{where}: name must be lowercase letters, digits, '-', '_' or '.', e.g. \"acme-rpc\"")
        if name in names:
            raise ConfigError(f"{where}: name {name!r} is already taken (a built-in detector or an earlier rule)")
        t = entry.get("transport", "tcp")
        transports = tuple([t] if isinstance(t, str) else t) if isinstance(t, (str, list)) else ()
        if not transports or any(x not in ("tcp", "udp") for x in transports):
            raise ConfigError(f"{where}: transport must be \"tcp\", \"udp\" or [\"tcp\", \"udp\"]")
        direction = entry.get("direction", "any")
        if direction not in _DIRECTIONS:
            raise ConfigError(f"{where}: direction must be c2s, s2c or any, not {direction!r}")
        conf = entry.get("confidence", 0.9)
        if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 < conf <= 1:
            raise ConfigError(f"{where}: confidence must be a number above 0 and at most 1")
        matches = entry.get("match")
        if not isinstance(matches, list) or not matches:
            raise ConfigError(f"{where}: needs at least one pattern, written [[rule.match]]")
        patterns = [_pattern(m, k, direction, where) for k, m in enumerate(matches)]
        min_bytes = _int(entry, "min_bytes", 1, 1, 65535, where)
        need = max([min_bytes] + [p.offset + len(p.exact) for p in patterns if p.exact is not None])
        max_bytes = _int(entry, "max_bytes", max(1024, need), 1, 1 << 20, where)
        if max_bytes < need:
            raise ConfigError(f"{where}: max_bytes {max_bytes} is below the {need} bytes its patterns need")
        max_packets = _int(entry, "max_packets", 4, 1, 64, where)
        names.add(name)
        out.append(Rule(name, transports, direction, min_bytes, float(conf), max_bytes, max_packets, patterns))
    return out


def rule_specs(paths: Sequence[str]) -> List[DetectorSpec]:
    """The detector specs of every rule of `paths`, in file order."""
    from .detector_list import NAMES
    taken = set(NAMES) | {"ftp-data", "unknown"}
    specs = []
    for path in paths:
        for rule in load_rules(path, taken):
            taken.add(rule.name)
            specs.append(rule.spec())
    return specs


def engine_with_rules(paths: Sequence[str]):
    """An Engine with the built-in detectors, then the rules of `paths` (the priority
    the module docstring gives); None without rule files (the default engine)."""
    if not paths:
        return None
    from .engine import Engine
    from .detector_list import SPECS
    return Engine(list(SPECS) + rule_specs(paths))
