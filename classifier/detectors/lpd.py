"""Line Printer Daemon protocol (RFC 1179): the client speaks first with one command
line: a command code, the queue name and LF (section 3): 01 print any waiting jobs,
02 receive a printer job, 03 send queue state (short), 04 (long), 05 remove jobs
(queue, SP, agent, then job numbers or user names).  For 02 the server acknowledges
with one zero byte (section 6), then the client sends subcommands: 02 (control file)
or 03 (data file), a byte count, SP, and the file name "cfA"/"dfA" + a three-digit job
number + the host name (section 7), each acknowledged with a zero byte.  For 03/04 the
server answers with the queue state in text and closes.

This detector relies on the command line (code, a printable queue name without
spaces, LF and nothing more until the server answers) and the server's answer: the
0x00 acknowledgement, which a control or data file subcommand then confirms, or a
text queue state.
Metadata: command (receive-job, queue-state, ...), queue.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

COMMANDS = {1: "print-waiting", 2: "receive-job", 3: "queue-state-short", 4: "queue-state-long",
            5: "remove-jobs"}
MAX_LINE = 256


def _printable(b: bytes, spaces: bool) -> bool:
    return all(0x21 <= x <= 0x7e or spaces and x == 0x20 for x in b)


def _subcommand(d: bytes):
    """A receive-job subcommand line (02/03 count SP cfA/dfA nnn host LF): True, MORE
    or None."""
    i = d.find(b"\n", 0, MAX_LINE)
    if i < 0:
        return MORE if len(d) < MAX_LINE and d[0] in (1, 2, 3) else None
    line = d[1:i]
    count, _, name = line.partition(b" ")
    if d[0] not in (2, 3) or not count.isdigit() or name[:3] not in (b"cfA", b"dfA"):
        return None
    if not name[3:6].isdigit() or not _printable(name, False):
        return None
    return True


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the client always speaks first
    code = c[0]
    if code not in COMMANDS:
        return NO
    i = c.find(b"\n", 0, MAX_LINE)
    if i < 0:
        ok = len(c) < MAX_LINE and _printable(c[1:], code >= 3)
        return MORE if ok and not s else NO
    line = c[1:i]
    queue = line.split(b" ", 1)[0] if code >= 3 else line
    if not queue or not _printable(line, code >= 3) or not _printable(queue, False):
        return NO
    rest = c[i + 1:]
    meta = dict(command=COMMANDS[code], queue=dec(queue))
    if code == 2:
        if not s:
            # the client waits for the acknowledgement; what it sends next is a subcommand
            return MORE if not rest or _subcommand(rest) is not None else NO
        if s[0] != 0:
            return NO
        if not rest:
            return MORE
        sub = _subcommand(rest)
        if sub is None:
            return NO
        if sub is MORE:
            return MORE
        return claim("lpd", 0.95, **meta)
    if code in (1, 5):
        # no answer is specified for these: nothing but the line ties them to LPD
        return NO if rest else MORE
    if rest:
        return NO                         # one line, then the server's text
    if not s:
        return MORE
    # the queue state: text lines
    if not all(0x20 <= x <= 0x7e or x in (0x09, 0x0a, 0x0d) for x in s[:256]):
        return NO
    return claim("lpd", 0.7, **meta)


SPEC = DetectorSpec(name="lpd", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(COMMANDS)),
                    max_confidence=0.95)
