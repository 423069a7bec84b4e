"""TFTP (RFC 1350, options RFC 2347) over UDP.  The request (RRQ/WRQ: filename NUL mode
NUL) goes to the server; the transfer then runs between new ports, so a transfer flow
starts with DATA block 1 / ACK block 0 or 1, or OACK.  Metadata: opcode, filename, mode.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter

MODES = (b"netascii", b"octet", b"mail")


# probe(view, state): the first two datagrams of each side parse (RRQ/WRQ: filename,
# one of MODES, NUL-terminated; DATA at most 65468 bytes; ACK exactly 4; ERROR code
# <= 8, NUL-terminated; OACK NUL-terminated).  A request 1.0 (metadata: opcode,
# filename, mode); a transfer (DATA or OACK, and ACK, block numbers <= 2) 0.9; an OACK
# alone with registered option names 0.8.  Compiled: tftp.pxi.
probe = _fast.tftp_probe


SPEC = DetectorSpec(name="tftp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))))
