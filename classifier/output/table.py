"""A terminal table, one row per flow, printed as flows finish (no buffering of the
whole capture, so a long run shows its rows as it goes and memory stays flat).

Columns fit the width of the output (docs/output.md, "table"):

* stdout a terminal: its width (`COLUMNS` overrides; 80 when the terminal does not
  say); otherwise `COLUMNS` when set, else 120, so a file or a pipe gets the same
  table on every machine;
* the columns every row needs come first: SERVER, PORT (server port/transport),
  PROTOCOL, PORT SAYS, VERDICT; then, as the width allows, CAPTURE (when several
  captures are read), SNI/HOST and CLIENT. A footer line names those left out;
* PROTOCOL ends in `?` when the label is the port-blind model's alone (source `ml`),
  and VERDICT reads `mismatch?` when a mismatch rests on that guess (not coloured as a
  detector's mismatch: only the VERDICT cell is); a footer line says so;
* an address is never cut: an IPv6 address longer than its column pushes the rest of
  its row right, and the last column (SNI/HOST) gives up the room; only names from the
  capture (SNI/HOST, the capture's name) are shortened, marked with `~`;
* `wide=True` (`--wide`): every column, none shortened (client port, tunnel, packets,
  bytes, seconds, label source), at whatever width that takes.

`portlens flows` (no labels) shows packets, bytes and seconds where the labels would be.

With `color=True` (the CLI decides: stdout is a terminal, NO_COLOR unset, or
--color always) the verdict is coloured: mismatch red, unregistered-port yellow,
unidentified dim, match green; on a mismatch PROTOCOL and PORT SAYS are red too.
Colour codes are added after padding, so columns stay aligned.

Text from the capture (SNI, Host) is attacker-controlled: characters that are not
printable (terminal escapes among them) are shown as \\xNN, never sent to the terminal.
"""
from __future__ import annotations

import os

DEFAULT_WIDTH = 120            # a file or a pipe, COLUMNS unset
MIN_WIDTH = 40
ML_MARK = "?"
# two lines of at most 80 columns (a table on a pipe fits 80)
ML_LEGEND = (f"{ML_MARK} after a protocol: the model's label alone, no detector matched (source ml)\n"
             f"mismatch{ML_MARK}: a mismatch resting on that guess (--min-confidence P ignores p < P)")
PORTED = frozenset(("tcp", "udp", "sctp", "dccp", "udplite"))
NAME_KEYS = ("sni", "host", "server_name")      # detector metadata that names the server


def table_width(stream) -> int:
    """The width the table fits: `COLUMNS` when set, else the terminal's when the
    stream is one, else DEFAULT_WIDTH."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return max(MIN_WIDTH, int(env))
    try:
        if stream.isatty():
            # A terminal that does not say its width (0) is taken as the classic 80.
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns or 80)
    except (AttributeError, ValueError, OSError):
        pass
    return DEFAULT_WIDTH


def _clean(text) -> str:
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _endpoint(addr, port):
    if ":" in addr:
        return f"[{addr}]:{port}"
    return f"{addr}:{port}"


def _size(n):
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024.0


def _port(r):
    t = r["transport"]
    return f"{r['server_port']}/{t}" if t in PORTED else t


def _protocol(r):
    p = r["protocol"]
    return p + ML_MARK if r.get("source") == "ml" else p


def _verdict(r):
    """The verdict; `mismatch?` when the mismatch rests on the model's guess alone."""
    v = r["verdict"] or "-"
    return v + ML_MARK if v == "mismatch" and r.get("source") == "ml" else v


def _name(r):
    meta = r.get("metadata") or {}
    for k in NAME_KEYS:
        v = meta.get(k)
        if v:
            return _clean(v)
    return "-"


def _shorten(text: str, width: int, middle: bool = False) -> str:
    """`text` in `width` characters, the cut marked with ~ (in the middle for a file
    name, whose end tells captures apart)."""
    if width < 2:
        return ""
    if middle and width >= 5:
        head = max(1, (width - 1) // 3)
        return text[:head] + "~" + text[len(text) - (width - 1 - head):]
    return text[: width - 1] + "~"


class Column:
    """`width`: the column's width; `cut`: the cell may be shortened (names from the
    capture), else a longer cell pushes the rest of its row right; `grow`: the width
    it takes when the terminal has room."""
    __slots__ = ("name", "fn", "width", "cut", "grow")

    def __init__(self, name, fn, width, cut=False, grow=None):
        self.name, self.fn, self.width, self.cut = name, fn, width, cut
        self.grow = grow if grow is not None else width


def _columns(labels: bool, wide: bool, captures):
    """(columns in screen order, names in the order they are dropped from the right
    when the width is short: last in that list goes first)."""
    cap_names = [c if wide else os.path.basename(c) or c for c in captures]
    cap_width = max([len("CAPTURE")] + [len(_clean(c)) for c in cap_names])
    by_path = dict(zip(captures, cap_names))
    capture = Column("CAPTURE", lambda r: _clean(by_path.get(r["capture"], os.path.basename(str(r["capture"])))),
                     cap_width if wide else min(cap_width, 11), cut=not wide, grow=cap_width)
    if wide:
        client = Column("CLIENT", lambda r: _endpoint(r["client"], r["client_port"]), 47)
    else:
        client = Column("CLIENT", lambda r: r["client"], 15, grow=39)
    server = Column("SERVER", lambda r: r["server"], 15, grow=39)
    if wide:
        server.width = 39
    port = Column("PORT", _port, 9)
    tunnel = Column("TUNNEL", lambda r: r["tunnel"] or "-", 6)
    pkts = Column("PKTS >/<", lambda r: f"{r['packets_c2s']}/{r['packets_s2c']}", 11)
    nbytes = Column("BYTES >/<", lambda r: f"{_size(r['bytes_c2s'])}/{_size(r['bytes_s2c'])}", 13)
    secs = Column("SECS", lambda r: f"{r['ts_end'] - r['ts_start']:.2f}", 7)
    protocol = Column("PROTOCOL", _protocol, 12)
    source = Column("SOURCE", lambda r: r["source"], 6)
    says = Column("PORT SAYS", lambda r: r["port_protocol"] or "-", 11)
    verdict = Column("VERDICT", _verdict, 17)
    name = Column("SNI/HOST", _name, 8, cut=not wide, grow=40)
    several = len(captures) > 1
    if wide:
        cols = ([capture] if several else []) + [client, server, port, tunnel, pkts, nbytes, secs]
        if labels:
            cols += [protocol, source, says, verdict, name]
        return cols, []
    if labels:
        cols = ([capture] if several else []) + [client, server, port, protocol, says, verdict, name]
        optional = ["CLIENT", "SNI/HOST", "CAPTURE"]
    else:
        cols = ([capture] if several else []) + [client, server, port, pkts, nbytes, secs]
        optional = ["CLIENT", "CAPTURE"]
    return cols, [o for o in optional if o != "CAPTURE" or several]


def layout(labels: bool, wide: bool, width: int, captures=()):
    """The columns shown and their widths at `width`, and the names left out."""
    cols, optional = _columns(labels, wide, list(captures))
    if wide:
        return cols, []

    def total(cs):
        return sum(c.width for c in cs) + len(cs) - 1

    dropped = []
    for name in optional:                           # least wanted first
        if total(cols) <= width:
            break
        cols = [c for c in cols if c.name != name]
        dropped.append(name)
    # Room left: names first (capture, SNI/HOST up to 32), then whole IPv6 addresses,
    # then the rest to SNI/HOST.
    spare = width - total(cols)
    for name, upto in (("CAPTURE", None), ("SNI/HOST", 32), ("SERVER", None), ("CLIENT", None),
                       ("SNI/HOST", None)):
        for c in cols:
            if c.name == name and spare > 0:
                target = c.grow if upto is None else min(upto, c.grow)
                add = min(spare, max(0, target - c.width))
                if name in ("SERVER", "CLIENT") and add < target - c.width:
                    add = 0                         # half an IPv6 address helps no one
                c.width += add
                spare -= add
    return cols, dropped


# SGR sequences: red, yellow, dim, green; bold red for the disagreeing columns.
VERDICT_COLORS = {"mismatch": "\033[1;31m", "unregistered-port": "\033[33m",
                  "unidentified": "\033[2m", "match": "\033[32m"}
RESET = "\033[0m"
_MISMATCH_COLUMNS = {"PROTOCOL", "PORT SAYS", "VERDICT"}


class TableWriter:
    """`wide`: every column in full; `width`: the width to fit (default: table_width of
    the stream); `captures`: the capture paths of the run (a CAPTURE column when
    several); `labels`: False for `portlens flows` (no protocol, verdict or names)."""

    def __init__(self, stream, color=False, meta=None, wide=False, width=None, captures=(), labels=None):
        self.stream = stream
        self.color = color
        self.wide = wide
        self.width = width if width is not None else table_width(stream)
        if labels is None:
            labels = meta is None or bool(meta)     # the CLI passes meta={} for `flows`
        self.columns, self.dropped = layout(labels, wide, self.width, captures)
        self._header = False
        self._ml = False

    def _line(self, cells, verdict=None, guess=False):
        parts = []
        paint = VERDICT_COLORS.get(verdict) if self.color else None
        pos = 0
        last = len(self.columns) - 1
        for i, (col, cell) in enumerate(zip(self.columns, cells)):
            width = col.width
            if i == last and not self.wide:
                width = max(0, self.width - pos)    # whatever the row's earlier cells left
            if col.cut and len(cell) > width:
                cell = _shorten(cell, width, middle=col.name == "CAPTURE")
            cell = cell.ljust(width)
            pos += len(cell) + 1
            if paint and (col.name == "VERDICT" or (verdict == "mismatch" and not guess
                                                    and col.name in _MISMATCH_COLUMNS)):
                bare = cell.rstrip()
                cell = paint + bare + RESET + " " * (len(cell) - len(bare))
            parts.append(cell)
        self.stream.write(" ".join(parts).rstrip() + "\n")

    def write(self, rec):
        if not self._header:
            self._line([c.name for c in self.columns])
            self._header = True
        if rec.get("source") == "ml":
            self._ml = True
        self._line([col.fn(rec) for col in self.columns], rec.get("verdict"), rec.get("source") == "ml")

    def close(self):
        if not self._header:
            self.stream.write("(no flows)\n")
            return
        if self._ml:
            self.stream.write(ML_LEGEND + "\n")
        if self.dropped:
            self.stream.write(f"not shown at {self.width} columns: {', '.join(self.dropped)} "
                              f"(--wide shows every column)\n")
