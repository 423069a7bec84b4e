"""A plain terminal table, one row per flow, printed as flows finish (no buffering of
the whole capture, so a long run shows progress and memory stays flat).

With `color=True` (the CLI decides: stdout is a terminal, NO_COLOR unset, or
--color always) the verdict is coloured: mismatch red, unregistered-port yellow,
unidentified dim, match green; on a mismatch the two disagreeing columns are red too.
Colour codes are added after padding, so columns stay aligned."""


def _endpoint(addr, port):
    if ":" in addr:
        return f"[{addr}]:{port}"
    return f"{addr}:{port}"


def _size(n):
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024.0


COLUMNS = (
    ("TRANSPORT", 9, lambda r: r["transport"] + ("/" + r["tunnel"] if r["tunnel"] else "")),
    ("CLIENT", 28, lambda r: _endpoint(r["client"], r["client_port"])),
    ("SERVER", 28, lambda r: _endpoint(r["server"], r["server_port"])),
    ("PKTS >/<", 13, lambda r: f"{r['packets_c2s']}/{r['packets_s2c']}"),
    ("BYTES >/<", 15, lambda r: f"{_size(r['bytes_c2s'])}/{_size(r['bytes_s2c'])}"),
    ("SECS", 8, lambda r: f"{r['ts_end'] - r['ts_start']:.2f}"),
    ("PROTOCOL", 12, lambda r: r["protocol"]),
    ("SOURCE", 7, lambda r: r["source"]),
    ("PORT SAYS", 12, lambda r: r["port_protocol"] or "-"),
    ("VERDICT", 17, lambda r: r["verdict"] or "-"),
)

# SGR sequences: red, yellow, dim, green; bold red for the disagreeing columns.
VERDICT_COLORS = {"mismatch": "\033[1;31m", "unregistered-port": "\033[33m",
                  "unidentified": "\033[2m", "match": "\033[32m"}
RESET = "\033[0m"
_MISMATCH_COLUMNS = {"PROTOCOL", "PORT SAYS", "VERDICT"}


class TableWriter:
    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        self.color = color
        self._header = False

    def _line(self, cells, verdict=None):
        parts = []
        paint = VERDICT_COLORS.get(verdict) if self.color else None
        for (name, width, _), cell in zip(COLUMNS, cells):
            cell = str(cell)
            if len(cell) > width:
                cell = cell[: width - 1] + "~"
            cell = cell.ljust(width)
            if paint and (name == "VERDICT" or (verdict == "mismatch" and name in _MISMATCH_COLUMNS)):
                cell = paint + cell.rstrip() + RESET + " " * (len(cell) - len(cell.rstrip()))
            parts.append(cell)
        self.stream.write(" ".join(parts).rstrip() + "\n")

    def write(self, rec):
        if not self._header:
            self._line([c[0] for c in COLUMNS])
            self._header = True
        self._line([fn(rec) for _, _, fn in COLUMNS], rec.get("verdict"))

    def close(self):
        if not self._header:
            self.stream.write("(no flows)\n")
