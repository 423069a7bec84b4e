# Signatures of the compiled fast path (_fastpath/_fastpath.pyx), which Cython hides
# from type checkers and from help(). Keep in step with the .pyx.
from typing import Any, Dict, List, Optional, Tuple, Union

from typing_extensions import Buffer as _BufferLike

PAYLOAD_DEFAULT: int
PACKETS_KEPT: int
DATAGRAMS_MAX: int
FLOW_STATE_BYTES: int
END_REASONS: Tuple[str, ...]
TUNNEL_BITS: Tuple[Tuple[int, str], ...]
STREAM_FLAGS: Tuple[Tuple[int, str], ...]

class CaptureFileError(Exception):
    """A capture cannot be read at all (missing, not a capture, empty, ...)."""

class Buffer:
    """Read-only bytes the engine allocated, exposed through the buffer protocol."""
    def __len__(self) -> int: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...

class Capture:
    """A capture file (or "-" for stdin) being read."""
    path: str
    error: Optional[str]
    mapped: bool
    streaming: bool
    compressed: bool
    def __init__(self, path: str, map_file: bool = True) -> None: ...
    @property
    def format(self) -> str: ...
    @property
    def records(self) -> int: ...
    @property
    def offset(self) -> int: ...
    def close(self) -> None: ...

class FlowTable:
    """The flow table: fed by a Capture (`process`) or by packets (`feed`,
    `feed_batch`, `feed_index`); finished flows come out through `take`."""
    def __init__(self, payload_bytes: int = 4096, udp_datagrams: int = 8, idle_tcp: float = 300.0,
                 idle_udp: float = 120.0, closed: float = 10.0, active: float = 1800.0,
                 max_flows: int = 65536, max_payload_mem: int = 64 << 20, decap: bool = True,
                 frag_slots: int = 64, frag_timeout: float = 30.0) -> None: ...
    def process(self, cap: Capture, max_records: int = 256, max_arena: int = 1 << 20,
                max_packets: int = 0) -> int:
        """0: a batch may be ready, more input remains; 1: clean end; 2: damage."""
    def feed(self, ts_ns: int, linktype: int, frame: _BufferLike, wirelen: int = 0) -> None:
        """One packet: capture time in ns, pcap link type, the frame's bytes."""
    def feed_batch(self, frames: _BufferLike, meta: _BufferLike, linktype: int) -> int:
        """pcapy-ng's next_batch() layout: 16-byte (sec, usec, offset, caplen) records."""
    def feed_index(self, frames: _BufferLike, index: _BufferLike, linktype: int) -> int:
        """24-byte (ts_ns, offset, caplen, wirelen) records: classifier.api.PACKET_DTYPE."""
    def tick(self, now_ns: int) -> None: ...
    def flush(self, max_records: int = 0, max_arena: int = 0) -> int:
        """End live flows (all, or until max_records wait); returns flows still live."""
    def take(self) -> Tuple[Any, Any, int]:
        """(records, payload arena, count) of the finished flows, handed over; the
        first two are `Buffer`s (typed Any: numpy's stubs for np.frombuffer name
        concrete buffer types only)."""
    @property
    def pending(self) -> int: ...
    @property
    def live_flows(self) -> int: ...
    @property
    def payload_memory(self) -> int: ...
    def stats(self) -> Dict[str, Any]: ...

def record_layout() -> Tuple[List[Tuple[str, Union[str, Tuple[str, Tuple[int]]], int]], int]: ...
