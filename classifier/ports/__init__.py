"""The port side of the comparison: what a server port implies, from the IANA registry
(shipped as a derived table with its date) and optional site overrides.

    from classifier.ports import load_registry
    reg = load_registry(["site-ports.toml"])
    info = reg.lookup(443, "tcp")      # PortInfo: services, class, status, implied protocols
    reg.find("smallchat")              # ports of a service name or canonical protocol

Modules: registry.py (lookups), canonical.py (IANA names -> canonical protocol names and
the compatibility table, from classifier/protocols.py), site.py (TOML overrides and
load_registry), spec.py ("443/tcp" parsing),
tomlfile.py (TOML reading with file/line errors). The table is rebuilt by
tools/build_port_table.py from the IANA CSV.
"""
from .canonical import COMPATIBLE, IANA_TO_CANONICAL, PROTOCOLS, accepts, canonical_for
from .registry import DYNAMIC, SYSTEM, USER, PortInfo, Registry, Service, default_registry, port_class
from .site import load_registry
from .spec import PortSpec, parse_port_spec
from .tomlfile import ConfigError

__all__ = [
    "COMPATIBLE", "IANA_TO_CANONICAL", "PROTOCOLS", "accepts", "canonical_for",
    "DYNAMIC", "SYSTEM", "USER", "PortInfo", "Registry", "Service", "default_registry",
    "load_registry", "port_class", "PortSpec", "parse_port_spec", "ConfigError",
]
