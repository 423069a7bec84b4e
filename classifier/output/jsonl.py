"""JSON lines: one object per flow, keys in schema order."""
import json


class JsonlWriter:
    def __init__(self, stream, color=False):
        self.stream = stream
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def write(self, rec):
        self.stream.write(self._dumps(rec))
        self.stream.write("\n")

    def close(self):
        pass
