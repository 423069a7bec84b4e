"""A plain terminal table, one row per flow, printed as flows finish (no buffering of
the whole capture, so a long run shows progress and memory stays flat)."""


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
    ("VERDICT", 10, lambda r: r["verdict"] or "-"),
)


class TableWriter:
    def __init__(self, stream, color=False):
        self.stream = stream
        self._header = False

    def _line(self, cells):
        parts = []
        for (name, width, _), cell in zip(COLUMNS, cells):
            cell = str(cell)
            if len(cell) > width:
                cell = cell[: width - 1] + "~"
            parts.append(cell.ljust(width))
        self.stream.write(" ".join(parts).rstrip() + "\n")

    def write(self, rec):
        if not self._header:
            self._line([c[0] for c in COLUMNS])
            self._header = True
        self._line([fn(rec) for _, _, fn in COLUMNS])

    def close(self):
        if not self._header:
            self.stream.write("(no flows)\n")
