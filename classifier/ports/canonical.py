"""IANA service names -> portlens' canonical protocol names, derived from the protocol table.

The IANA registry names *services* ("www-http", "microsoft-ds", "submissions"); the
detectors name *wire protocols* ("http", "smb", "tls").  Which service implies which
protocol, and which observed protocols a port-implied one accepts, is written in one
place: the `iana` and `compatible` columns of classifier/protocols.py (its docstring
gives the rules).  This module turns them into the lookups the port registry and the
verdict use.  tests/test_ports.py checks them against the registry and the detectors.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Tuple

from .. import protocols as _table

# The canonical protocol names, in the table's (the detector registry's) order.
PROTOCOLS: Tuple[str, ...] = _table.NAMES

# IANA service name -> [(canonical protocol, transports it holds on; None: every
# transport the service is registered on)], in table order.
IANA_TO_CANONICAL: Dict[str, List[Tuple[str, Optional[Tuple[str, ...]]]]] = _table.iana_aliases()

# Port-implied protocol -> the observed protocols that also count as a match.
COMPATIBLE: Dict[str, FrozenSet[str]] = _table.compatible()


def canonical_for(service: str, transport: str) -> Tuple[str, ...]:
    """The canonical protocol(s) an IANA service implies on a transport; () if unmapped."""
    entries = IANA_TO_CANONICAL.get(service.lower())
    if not entries:
        return ()
    return tuple(p for p, ts in entries if ts is None or transport in ts)


def accepts(implied: str) -> FrozenSet[str]:
    """Observed protocols that match a port implying `implied`."""
    return COMPATIBLE.get(implied) or frozenset((implied,))
