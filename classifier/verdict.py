"""The verdict: what the server port implies, set beside what the payload carries.

`annotate(recs, registry)` fills, on each output record:

    port_protocol   what the port implies: canonical protocol name(s) when the
                    registration maps to one (classifier/ports/canonical.py), else the
                    IANA service name; several joined with "|"; null when nothing is
                    registered or the transport has no ports
    port_service    the registered service names, joined with "," ("stun,stun-behavior,turn")
    port_class      "system" (0-1023), "user" (1024-49151), "dynamic" (49152-65535), RFC 6335
    verdict         "match", "mismatch", "unregistered-port", "unidentified"; null when the
                    transport has no ports (ICMP, ...)
    verdict_reason  one readable line, e.g. "53/udp implies dns; payload is http"

Order of the rules: no label -> unidentified (nothing to compare); no registration ->
unregistered-port; otherwise match when the observed protocol is one the port implies
or compatible with it (COMPATIBLE in canonical.py), else mismatch.

It reads the server port, the transport and the observed protocol, and where the label
came from: a label the model gave alone (`source` "ml", no detector matched) is a guess
from resemblance, not a parse, and the verdict says so:

* a mismatch that rests on a model guess has its own reason, "443/tcp implies tls;
  the model guesses the payload is http (p 0.82), no detector matched", so an analyst
  can tell it from a detector's (JSON and EVE also carry `source`);
* `min_confidence` (`--min-confidence P`): a model guess whose probability is below P
  makes no verdict of its own: the flow is judged as unidentified ("...; payload not
  identified (the model's guess http, p 0.55, is below --min-confidence 0.80)"), its
  label stays in `protocol` with `source` ml. 0 (the default) judges every guess.

Labels from the detectors (`dpi`, `dpi+ml`) are judged the same whatever the model says.
Results are cached per (transport, protocol) and port (and for a model guess its
probability), so a capture costs two dict lookups per flow.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .ports.canonical import accepts
from .ports.registry import PortInfo, Registry, default_registry

MATCH = "match"
MISMATCH = "mismatch"
UNREGISTERED = "unregistered-port"
UNIDENTIFIED = "unidentified"
VERDICTS = (MATCH, MISMATCH, UNREGISTERED, UNIDENTIFIED)

# The fast path reads ports of these transports only; other flows (ICMP, ESP, SCTP, ...)
# carry no port-implied protocol and get a null verdict.
PORT_TRANSPORTS = ("tcp", "udp")

# Keys this stage adds after the contract's fields (port_protocol and verdict are in it).
ADDED_FIELDS = ("port_service", "port_class", "verdict_reason")

_Result = Tuple[Optional[str], Optional[str], Optional[str], Optional[str], str]


def _unregistered_text(info: PortInfo) -> str:
    if info.status == "dynamic":
        return f"{info.spec} is dynamic (49152-65535, never assigned)"
    if info.status == "reserved":
        return f"{info.spec} is reserved by IANA, not registered to a service"
    return f"{info.spec} is unassigned"


def judge(info: Optional[PortInfo], protocol: str, transport: str = "") -> _Result:
    """(port_protocol, port_service, port_class, verdict, verdict_reason) for a flow
    whose server port is described by `info` (None: the transport has no ports)."""
    observed = protocol if protocol and protocol != "unknown" else None
    if info is None:
        what = f"payload is {observed}" if observed else "payload not identified"
        return None, None, None, None, f"{transport or 'this transport'} has no ports; {what}"
    if not info.services:
        # nothing registered (most of a scan's or a flood's ports): no implication
        claim = _unregistered_text(info)
        if observed is None:
            return None, None, info.port_class, UNIDENTIFIED, f"{claim}; payload not identified"
        return None, None, info.port_class, UNREGISTERED, f"{claim}; payload is {observed}"
    implied = info.implied
    port_protocol = "|".join(implied) if implied else None
    port_service = ",".join(dict.fromkeys(s.name for s in info.services)) or None
    claim = f"{info.spec} implies {' or '.join(implied)}" if implied else _unregistered_text(info)
    if observed is None:
        return port_protocol, port_service, info.port_class, UNIDENTIFIED, f"{claim}; payload not identified"
    if not info.registered:
        return port_protocol, port_service, info.port_class, UNREGISTERED, f"{claim}; payload is {observed}"
    for p in implied:
        if observed in accepts(p):
            return port_protocol, port_service, info.port_class, MATCH, f"{claim}; payload is {observed}"
    return port_protocol, port_service, info.port_class, MISMATCH, f"{claim}; payload is {observed}"


def _guess_text(protocol: str, confidence) -> str:
    p = f", p {confidence:.2f}" if isinstance(confidence, (int, float)) else ""
    return f"the model's guess {protocol}{p}"


def judge_guess(info: Optional[PortInfo], protocol: str, confidence, transport: str = "",
                min_confidence: float = 0.0) -> _Result:
    """judge() for a label the model gave alone (source "ml"): a guess below
    `min_confidence` is judged as no label; a mismatch says it rests on a guess."""
    if isinstance(confidence, (int, float)) and confidence < min_confidence:
        res = judge(info, "unknown", transport)
        return res[:4] + (f"{res[4]} ({_guess_text(protocol, confidence)}, is below --min-confidence "
                          f"{min_confidence:.2f})",)
    res = judge(info, protocol, transport)
    if res[3] != MISMATCH:
        return res[:4] + (f"{res[4]} ({_guess_text(protocol, confidence)}, no detector matched)",)
    claim = res[4].rsplit("; payload is ", 1)[0]
    p = f" (p {confidence:.2f})" if isinstance(confidence, (int, float)) else ""
    return res[:4] + (f"{claim}; the model guesses the payload is {protocol}{p}, no detector matched",)


def annotate(recs: List[Dict[str, Any]], registry: Optional[Registry] = None, min_confidence: float = 0.0) -> None:
    """Fill port_protocol, port_service, port_class, verdict and verdict_reason on
    each record, from its server_port, transport and protocol, and for a label the
    model gave alone (source "ml") its confidence against `min_confidence`."""
    reg = registry or default_registry()
    cache: Dict[tuple, Any] = reg.verdict_cache     # {(transport, protocol): {port: result} or _records._PortTable}, guesses by 5-tuple
    get = cache.get

    # A label from the detectors (or none) is judged by transport, protocol and port
    # alone: one table of ports per (transport, protocol), the common case in a flood;
    # a model guess also by its probability against min_confidence.  The loop is
    # compiled (classifier/_records.pyx annotate_known); these two fill its misses.
    def judge_port(transport, protocol, port):
        info = reg.lookup(port, transport) if transport in PORT_TRANSPORTS else None
        return judge(info, protocol, transport)

    def guess(rec):
        conf = rec.get("confidence")
        key = (rec["server_port"], rec["transport"], rec["protocol"], conf, min_confidence)
        res = get(key)
        if res is None:
            transport = rec["transport"]
            info = reg.lookup(rec["server_port"], transport) if transport in PORT_TRANSPORTS else None
            res = cache[key] = judge_guess(info, rec["protocol"], conf, transport, min_confidence)
        return res

    from ._records import annotate_known
    annotate_known(recs, cache, judge_port, guess)
