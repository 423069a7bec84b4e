"""The units a length-checking detector parses: each datagram of a UDP flow, or each
direction's byte stream of a TCP flow, with a flag saying whether the unit is known to
be whole.  The engine cuts a flow to the detector's byte budget, so the last datagram
kept in a direction may be a prefix of the real one; a detector must not reject it for
a length field that runs past its end.
"""
from __future__ import annotations

from .base import MORE, NO


def units(view, max_bytes: int):
    """[(bytes, whole)]: datagrams (whole unless possibly cut by `max_bytes`), or the two
    streams (never whole: more may follow), client's first; empty units skipped."""
    if view.transport == "udp" and (view.datagrams_c2s or view.datagrams_s2c):
        out = []
        for dgs in (view.datagrams_c2s, view.datagrams_s2c):
            total = 0
            for i, d in enumerate(dgs):
                total += len(d)
                if d:
                    out.append((d, not (i == len(dgs) - 1 and total >= max_bytes)))
        return out
    return [(d, False) for d in (view.payload_c2s, view.payload_s2c) if d]


def nonempty(view):
    """(client's datagrams, server's datagrams), the empty ones left out."""
    return [d for d in view.datagrams_c2s if d], [d for d in view.datagrams_s2c if d]


def scan(view, max_bytes: int, parse):
    """Every unit through `parse` (bytes -> metadata dict, MORE, or None for "not this
    protocol"): NO when a whole unit is not the protocol's (every datagram of such a
    flow is one), a possibly cut one being skipped; else the first unit's metadata, or
    MORE when a unit is still incomplete and none parsed, NO when there is none."""
    meta, more = None, False
    for d, whole in units(view, max_bytes):
        r = parse(d)
        if r is None:
            if whole:
                return NO
            continue                       # the byte budget may have cut this one
        if r is MORE:
            more = True
        else:
            meta = meta or r
    if meta is None:
        return MORE if more else NO
    return meta


def streams(view, parse):
    """Each direction's TCP byte stream through `parse` (bytes -> a list of what it
    found, MORE while a message is incomplete, or None for "not this protocol"): NO when
    a direction is not the protocol's; else the found items of both directions, client's
    first, or MORE (a message still incomplete) / NO (nothing) when none was found."""
    found, more = [], False
    for d in (view.payload_c2s, view.payload_s2c):
        if d:
            r = parse(d)
            if r is None:
                return NO
            if r is MORE:
                more = True
            else:
                found += r
    if not found:
        return MORE if more else NO
    return found


def each_stream(view, parse):
    """Each direction's TCP bytes through `parse` (bytes -> metadata dict, MORE while
    its first message is incomplete, or None for "not this protocol"): NO as soon as a
    direction is not the protocol's, MORE as soon as one is incomplete (or when there
    are no bytes yet), else the first direction's metadata."""
    meta = None
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        m = parse(d)
        if m is None:
            return NO
        if m is MORE:
            return MORE
        meta = meta or m
    return MORE if meta is None else meta
