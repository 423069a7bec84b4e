"""JSON lines: one object per flow, keys in schema order, every key of the record
(keys added by later stages, e.g. `ml`, come through as they are).

orjson encodes a record about ten times faster than the standard library's encoder,
which matters at 100k+ flows per capture; the standard library is the fallback."""
try:
    import orjson
except ImportError:                                    # pragma: no cover - orjson is a dependency
    orjson = None
import json
from itertools import repeat


class JsonlWriter:
    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        if orjson is not None:
            dumps = orjson.dumps
            nl = orjson.OPT_APPEND_NEWLINE
            # default=str: detector metadata is text and numbers; anything else prints as text.
            self._line = lambda rec: dumps(rec, default=str, option=nl)
            self._encode = lambda rec: dumps(rec, default=str).decode()
        else:
            enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
            self._line = lambda rec: (enc(rec) + "\n").encode()
            self._encode = enc

    def write(self, rec):
        self.stream.write(self._encode(rec))
        self.stream.write("\n")

    def write_many(self, recs):
        """A batch of records in one write: the same bytes as write() on each, without
        two stream calls per flow (a flood is millions of records)."""
        if type(self).write is not JsonlWriter.write:
            for rec in recs:            # a subclass (eve) shapes each record itself
                self.write(rec)
        elif recs:
            data = self.lines(recs)
            write_bytes = getattr(self.stream, "write_bytes", None)
            if write_bytes is not None:
                write_bytes(data)           # UTF-8 already: no decode and re-encode
            else:
                self.stream.write(data.decode())

    def lines(self, recs):
        """The JSON lines of `recs`, as one bytes object (UTF-8)."""
        if orjson is not None:
            # orjson.dumps(rec, default, option) positionally, straight from map: no
            # Python frame and no keyword parsing per record (a flood is millions).
            n = len(recs)
            return b"".join(map(orjson.dumps, recs, repeat(str, n), repeat(orjson.OPT_APPEND_NEWLINE, n)))
        return b"".join(map(self._line, recs))

    def close(self):
        pass
