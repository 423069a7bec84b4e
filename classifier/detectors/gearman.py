"""Gearman job server protocol (gearman.org/protocol, "Binary Protocol"): clients and
workers speak first.  Every binary packet is a 12-byte header: the magic "\\0REQ" (to
the job server) or "\\0RES" (from it), an int32 packet type (1 CAN_DO ... 42
STATUS_RES_UNIQUE) and an int32 data size, then the data (arguments separated by NUL).
Clients submit jobs (SUBMIT_JOB 7 and its variants) and get JOB_CREATED (8); workers
announce functions (CAN_DO 1), which the server does not answer, then ask for work
(GRAB_JOB 9, PRE_SLEEP 4) and get NO_JOB (10), JOB_ASSIGN (11) or NOOP (6).

This detector relies on the magic, a packet type defined for that direction and the
size: a whole request packet is claimed below 1 (a worker's CAN_DO goes unanswered); a
response packet from the server as well raises the confidence.
Metadata: packet (the first request's type name), function (its first argument, for
CAN_DO and the SUBMIT_JOB family).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

REQ, RES = b"\x00REQ", b"\x00RES"
TYPES = {1: "CAN_DO", 2: "CANT_DO", 3: "RESET_ABILITIES", 4: "PRE_SLEEP", 6: "NOOP", 7: "SUBMIT_JOB",
         8: "JOB_CREATED", 9: "GRAB_JOB", 10: "NO_JOB", 11: "JOB_ASSIGN", 12: "WORK_STATUS",
         13: "WORK_COMPLETE", 14: "WORK_FAIL", 15: "GET_STATUS", 16: "ECHO_REQ", 17: "ECHO_RES",
         18: "SUBMIT_JOB_BG", 19: "ERROR", 20: "STATUS_RES", 21: "SUBMIT_JOB_HIGH", 22: "SET_CLIENT_ID",
         23: "CAN_DO_TIMEOUT", 24: "ALL_YOURS", 25: "WORK_EXCEPTION", 26: "OPTION_REQ", 27: "OPTION_RES",
         28: "WORK_DATA", 29: "WORK_WARNING", 30: "GRAB_JOB_UNIQ", 31: "JOB_ASSIGN_UNIQ",
         32: "SUBMIT_JOB_HIGH_BG", 33: "SUBMIT_JOB_LOW", 34: "SUBMIT_JOB_LOW_BG", 35: "SUBMIT_JOB_SCHED",
         36: "SUBMIT_JOB_EPOCH", 37: "SUBMIT_REDUCE_JOB", 38: "SUBMIT_REDUCE_JOB_BACKGROUND",
         39: "GRAB_JOB_ALL", 40: "JOB_ASSIGN_ALL", 41: "GET_STATUS_UNIQUE", 42: "STATUS_RES_UNIQUE"}
# the protocol's table of who sends what: REQ from clients and workers, RES from the server
REQUESTS = {1, 2, 3, 4, 7, 9, 12, 13, 14, 15, 16, 18, 21, 22, 23, 24, 25, 26, 28, 29, 30, 32, 33, 34, 35,
            36, 37, 38, 39, 41}
RESPONSES = {6, 8, 10, 11, 12, 13, 14, 17, 19, 20, 25, 27, 28, 29, 31, 40, 42}
NAMED = {1, 2, 7, 18, 21, 23, 32, 33, 34, 35, 36, 37, 38}   # first argument: a function name
MAX_SIZE = 1 << 26


def _packet(d: bytes, magic: bytes, types):
    """(type, data) of the first packet, MORE while it is incomplete, or None."""
    if not d.startswith(magic[:len(d)]):
        return None
    if len(d) < 12:
        return MORE
    ptype, size = struct.unpack_from(">II", d, 4)
    if ptype not in types or size > MAX_SIZE:
        return None
    if ptype in (3, 4, 6, 9, 10, 24, 30, 39) and size:
        return None                       # these carry no arguments
    if len(d) < 12 + size:
        return MORE if size <= 4096 else (ptype, d[12:])
    return ptype, d[12:12 + size]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # clients and workers speak first
    req = _packet(c, REQ, REQUESTS)
    if req is None:
        return NO
    if req is MORE:
        return NO if s and len(c) < 12 else MORE
    ptype, data = req
    fn = None
    if ptype in NAMED:
        fn = data.split(b"\x00", 1)[0]
        if not fn or any(b < 0x20 or b > 0x7e for b in fn):
            return NO                     # function names are printable
        fn = dec(fn)
    if not s:
        return claim("gearman", 0.8, packet=TYPES[ptype], function=fn)
    res = _packet(s, RES, RESPONSES)
    if res is None:
        return NO
    if res is MORE:
        return claim("gearman", 0.8, packet=TYPES[ptype], function=fn)
    return claim("gearman", 0.95, packet=TYPES[ptype], function=fn)


SPEC = DetectorSpec(name="gearman", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.95)
