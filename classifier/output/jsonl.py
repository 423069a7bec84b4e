"""JSON lines: one object per flow, keys in schema order, every key of the record
(keys added by later stages, e.g. `ml`, come through as they are).

orjson encodes a record about ten times faster than the standard library's encoder,
which matters at 100k+ flows per capture; the standard library is the fallback."""
try:
    import orjson
except ImportError:                                    # pragma: no cover - orjson is a dependency
    orjson = None
import json


class JsonlWriter:
    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        if orjson is not None:
            dumps = orjson.dumps
            # default=str: detector metadata is text and numbers; anything else prints as text.
            self._encode = lambda rec: dumps(rec, default=str).decode()
        else:
            self._encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

    def write(self, rec):
        self.stream.write(self._encode(rec))
        self.stream.write("\n")

    def close(self):
        pass
