"""Probe factory for the four DNS-format protocols: one parser, one flavour rule."""
from __future__ import annotations

from . import _fast
from .base import Gate


# (flavour, chosen message, all messages, more) for the flow, or None (not DNS): one
# parse per flow, compiled (_dnsfamily.pxi).
_parse_all = _fast.dns_parse_all


def make_probe(name: str, conf: float):
    """The probe of one DNS-format detector, compiled (_dnsfamily.pxi DnsProbe).  The
    four share one parse per flow (and budget view).  A flow is ``name`` when every
    message parses, all are of one flavour and that flavour is ``name``; certain (1.0)
    when a query and a response with the same id are both well formed, or when every
    message parses exactly to its end, else ``conf``.  Metadata: qname (decoded NetBIOS
    name for netbios-ns), response, qtype, rcode."""
    return _fast.DnsProbe(name, conf)


# A lone datagram is a DNS-format message only if it parses (dns_parse_all: a stray
# datagram is forgiven only beside a query and its response), and the parser refuses
# a header announcing more than 64 questions or 200 records of a section.
LONE_GATE = Gate(lone=True, min_len=12,
                 bytes=((4, 0xff, 0, 0), (5, 0xff, 0, 64), (6, 0xff, 0, 0), (7, 0xff, 0, 200),
                        (8, 0xff, 0, 0), (9, 0xff, 0, 200), (10, 0xff, 0, 0), (11, 0xff, 0, 200)))
