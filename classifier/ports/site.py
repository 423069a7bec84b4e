"""Site overrides: local port conventions that the IANA registry does not know.

    # site-ports.toml  (portlens analyze --site-ports site-ports.toml ...)
    [[port]]
    port = "8443/tcp"              # or a range "6881-6889/tcp", or a list of them
    protocols = ["tls"]            # canonical names (docs/protocols.md); "protocol" for one
    service = "https-alt"          # optional label reported as port_service
    note = "admin consoles"        # optional, shown by `portlens ports`
    extend = false                 # default false: replace IANA's registration there;
                                   # true: the port implies IANA's services *and* these

An entry replaces (or extends) what the port implies; it never changes the port class.
Later entries, and later files, win over earlier ones on the same port.
"""
from __future__ import annotations

from typing import List, Sequence, Union

from .canonical import PROTOCOLS
from .registry import Registry, Service, SiteOverride, default_registry
from .spec import parse_port_spec
from .tomlfile import ConfigError, entry_where, load_toml, strings as _strings

_KEYS = {"port", "protocols", "protocol", "service", "note", "extend"}


def load_overrides(path: str) -> List[SiteOverride]:
    doc = load_toml(path)
    unknown = [k for k in doc if k not in ("port", "__lines__")]
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; a site overrides file "
                          f"holds [[port]] entries only")
    entries = doc.get("port", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'port' must be an array of tables, written [[port]]")
    out: List[SiteOverride] = []
    for i, entry in enumerate(entries):
        where = entry_where(path, doc, "port", i, entry)
        try:
            if not isinstance(entry, dict):
                raise ValueError("an entry must be a table")
            bad = sorted(set(entry) - _KEYS)
            if bad:
                raise ValueError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(_KEYS))})")
            if "port" not in entry:
                raise ValueError("missing 'port', e.g. port = \"8443/tcp\"")
            if ("protocols" in entry) == ("protocol" in entry):
                raise ValueError("give exactly one of 'protocols' (a list) or 'protocol'")
            protocols = _strings(entry.get("protocols", entry.get("protocol")), "protocols")
            protocols = [p.strip().lower() for p in protocols]
            for p in protocols:
                if p not in PROTOCOLS:
                    raise ValueError(f"unknown protocol {p!r}; use the canonical names of "
                                     f"docs/protocols.md (e.g. tls, http, dns)")
            label = entry.get("service", "")
            note = entry.get("note", "")
            extend = entry.get("extend", False)
            if not isinstance(label, str) or not isinstance(note, str):
                raise ValueError("'service' and 'note' must be strings")
            if not isinstance(extend, bool):
                raise ValueError("'extend' must be true or false")
            specs = [parse_port_spec(s) for s in _strings(entry["port"], "port")]
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from None
        service = Service(label or "/".join(protocols), note or "site convention",
                          tuple(dict.fromkeys(protocols)), source=f"site:{path}")
        for spec in specs:
            for t in spec.transports:
                out.append(SiteOverride(spec.lo, spec.hi, t, service, extend))
    return out


def load_registry(site_files: Union[str, Sequence[str]] = ()) -> Registry:
    """The IANA registry with the site overrides files applied in order (one file may be
    given as a plain string)."""
    from .._paths import as_paths
    reg = default_registry()
    for path in as_paths(site_files, "site_files"):
        reg = reg.with_overrides(load_overrides(path), path)
    return reg
