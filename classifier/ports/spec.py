"""Port specifications as users write them: "443/tcp", "49152-65535/udp", "53", "icmp".

Shared by `portlens ports`, the site overrides file and the audit policy, so the three
accept the same spelling.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional, Tuple

TRANSPORTS = ("tcp", "udp", "sctp", "dccp")

_SPEC = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?(?:/\s*([A-Za-z0-9-]+)\s*)?$")


class PortSpec(NamedTuple):
    lo: int
    hi: int
    transports: Tuple[str, ...]

    def __str__(self) -> str:
        ports = str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"
        return "+".join(f"{ports}/{t}" for t in self.transports)

    def covers(self, port: int, transport: str) -> bool:
        return transport in self.transports and self.lo <= port <= self.hi


def parse_port_spec(text: str, default_transports: Optional[Tuple[str, ...]] = None) -> PortSpec:
    """Parse "443/tcp" or "6000-6063/tcp"; a bare "443" means `default_transports` when
    given and is an error otherwise. Raises ValueError with a message for the user."""
    if not isinstance(text, str):
        raise ValueError(f"a port must be written as a string like \"443/tcp\", not {text!r}")
    m = _SPEC.match(text)
    if not m:
        raise ValueError(f"not a port: {text!r} (write e.g. \"443/tcp\" or \"49152-65535/udp\")")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if not 0 <= lo <= 65535 or not 0 <= hi <= 65535:
        raise ValueError(f"port out of range 0-65535: {text!r}")
    if hi < lo:
        raise ValueError(f"port range runs backwards: {text!r}")
    transport = (m.group(3) or "").lower()
    if transport:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {m.group(3)!r} in {text!r} (one of {', '.join(TRANSPORTS)})")
        return PortSpec(lo, hi, (transport,))
    if default_transports is None:
        raise ValueError(f"{text!r} names no transport (write \"{text.strip()}/tcp\" or \"{text.strip()}/udp\")")
    return PortSpec(lo, hi, tuple(default_transports))


def looks_like_port(text: str) -> bool:
    return bool(_SPEC.match(text))
