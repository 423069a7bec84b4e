"""Flows from the fast path, as Python sees them: one record per flow, never one per packet.

The C engine hands over finished flows in batches: a numpy record array
(`RECORD_DTYPE`, one row per flow) plus one bytes object holding every flow's payload
prefixes back to back. `FlowBatch` wraps a batch; `Flow` is a light view of one row,
with the attribute names of the output schema.

    from classifier.flows import read_flows
    for flow in read_flows("capture.pcap"):
        print(flow.transport, flow.client, flow.server_port, flow.payload_c2s[:16])

`FlowReader` gives the batches, the run's statistics and any damage found.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields as dc_fields
from typing import Callable, Iterator, List, Optional, Tuple

import numpy as np

from . import _fastpath as _fp
from .errors import CaptureError

# A batch is handed to Python at this many finished flows or payload bytes, whichever
# comes first. The default is small enough that a batch's records (96 KiB) and payload
# stay in the core's L2 cache between the engine writing them and Python reading (or
# dropping) them: on bench.pcap the fast path ran about 5% faster than with 1024 flows /
# 4 MiB. A consumer with a fixed cost per batch (the analyze pipeline's numpy stages)
# asks for bigger ones, ANALYZE_BATCH: there 1024 flows ran analyze about 5% faster
# than 256 (README, "Speed and memory").
BATCH_FLOWS = 256
BATCH_PAYLOAD = 1 << 20
ANALYZE_BATCH = (1024, 4 << 20)

_LAYOUT, _RECORD_SIZE = _fp.record_layout()
RECORD_DTYPE = np.dtype({
    "names": [f[0] for f in _LAYOUT],
    "formats": [f[1] for f in _LAYOUT],
    "offsets": [f[2] for f in _LAYOUT],
    "itemsize": _RECORD_SIZE,
})

PACKETS_KEPT = _fp.PACKETS_KEPT
END_REASONS = _fp.END_REASONS

# IP protocol numbers worth a name in the output; the rest print as "ip-<n>".
TRANSPORTS = {
    1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre", 50: "esp", 51: "ah",
    58: "icmpv6", 88: "eigrp", 89: "ospf", 103: "pim", 112: "vrrp", 113: "pgm", 132: "sctp",
    136: "udplite",
}

_TCP_FLAG_LETTERS = "FSRPAUEC"      # bit 0 (FIN) .. bit 7 (CWR), as tcpdump prints them


def transport_name(proto: int) -> str:
    return TRANSPORTS.get(proto, f"ip-{proto}")


def tcp_flags_text(bits: int) -> str:
    return "".join(ch for i, ch in enumerate(_TCP_FLAG_LETTERS) if bits & (1 << i))


def tunnel_text(bits: int) -> Optional[str]:
    if not bits:
        return None
    return "+".join(name for bit, name in _fp.TUNNEL_BITS if bits & bit)


def stream_flags_text(bits: int) -> List[str]:
    return [name for bit, name in _fp.STREAM_FLAGS if bits & bit]


def address_text(raw: bytes, ipver: int) -> str:
    if ipver == 6:
        return socket.inet_ntop(socket.AF_INET6, raw)
    return socket.inet_ntop(socket.AF_INET, raw[:4])


@dataclass
class FlowConfig:
    """How the fast path tracks flows. Times are seconds, sizes bytes."""
    payload_bytes: int = 4096           # payload prefix kept per direction
    udp_datagrams: int = 8              # UDP datagrams kept per direction
    idle_tcp: float = 300.0             # an open TCP flow ends after this long without packets
    idle_udp: float = 120.0             # the same for UDP and other protocols
    closed: float = 10.0                # a TCP flow lingers this long after FIN+FIN or RST
    active: float = 1800.0              # any flow is cut this long after its first packet
    max_flows: int = 65536              # live flows at once; the least recently active is evicted
    max_payload_mem: int = 64 << 20     # bytes of payload buffers at once; eviction beyond
    decap: bool = True                  # decapsulate IP-in-IP, GRE, GTP-U and VXLAN
    frag_slots: int = 64                # IP datagrams under reassembly at once
    frag_timeout: float = 30.0          # a partial datagram is dropped after this long
    # (k, n): keep only the flows of shard k of n, for n workers reading one capture
    # (classifier.parallel). Every packet is still decoded (fragments reassembled,
    # tunnels opened) and moves the clock; a flow's shard comes from its two addresses.
    shard: Tuple[int, int] = (0, 1)

    def engine(self) -> "_fp.FlowTable":
        """A fast-path flow table configured by these settings."""
        return _fp.FlowTable(**{f.name: getattr(self, f.name) for f in dc_fields(self)})


class Flow:
    """One flow: a view of one row of a batch. Addresses and ports are oriented:
    the client opened the flow (sent the SYN, or the first packet seen)."""

    __slots__ = ("_batch", "_i", "_row")

    def __init__(self, batch: "FlowBatch", i: int):
        self._batch = batch
        self._i = i
        self._row = batch.records[i]

    # --- identity
    @property
    def capture(self) -> str:
        return self._batch.capture

    @property
    def transport(self) -> str:
        return transport_name(int(self._row["proto"]))

    @property
    def ip_proto(self) -> int:
        return int(self._row["proto"])

    @property
    def ip_version(self) -> int:
        return int(self._row["ipver"])

    @property
    def client(self) -> str:
        return address_text(self._row["client_addr"].tobytes(), int(self._row["ipver"]))

    @property
    def server(self) -> str:
        return address_text(self._row["server_addr"].tobytes(), int(self._row["ipver"]))

    @property
    def client_port(self) -> int:
        return int(self._row["client_port"])

    @property
    def server_port(self) -> int:
        return int(self._row["server_port"])

    @property
    def vlan(self) -> Optional[int]:
        v = int(self._row["vlan"])
        return None if v < 0 else v

    @property
    def tunnel(self) -> Optional[str]:
        return tunnel_text(int(self._row["tunnel"]))

    # --- time and counters
    @property
    def ts_start(self) -> float:
        return int(self._row["ts_start"]) / 1e9

    @property
    def ts_end(self) -> float:
        return int(self._row["ts_end"]) / 1e9

    @property
    def packets_c2s(self) -> int:
        return int(self._row["packets_c2s"])

    @property
    def packets_s2c(self) -> int:
        return int(self._row["packets_s2c"])

    @property
    def bytes_c2s(self) -> int:
        return int(self._row["bytes_c2s"])

    @property
    def bytes_s2c(self) -> int:
        return int(self._row["bytes_s2c"])

    @property
    def tcp_flags_c2s(self) -> str:
        return tcp_flags_text(int(self._row["tcp_flags_c2s"]))

    @property
    def tcp_flags_s2c(self) -> str:
        return tcp_flags_text(int(self._row["tcp_flags_s2c"]))

    @property
    def end_reason(self) -> str:
        return END_REASONS[int(self._row["end_reason"])]

    @property
    def oriented_by_syn(self) -> bool:
        return bool(self._row["by_syn"])

    # --- what detectors and the model may see (never ports or addresses)
    @property
    def payload_c2s(self) -> bytes:
        off = int(self._row["pay_off"])
        return self._batch.payload[off:off + int(self._row["pay_len_c2s"])].tobytes()

    @property
    def payload_s2c(self) -> bytes:
        off = int(self._row["pay_off"]) + int(self._row["pay_len_c2s"])
        return self._batch.payload[off:off + int(self._row["pay_len_s2c"])].tobytes()

    def _datagrams(self, payload: bytes, n: int, lens) -> List[bytes]:
        out, pos = [], 0
        for k in range(n):
            ln = int(lens[k])
            out.append(payload[pos:pos + ln])
            pos += ln
        return out

    @property
    def datagrams_c2s(self) -> List[bytes]:
        return self._datagrams(self.payload_c2s, int(self._row["ndgram_c2s"]), self._row["dgram_len_c2s"])

    @property
    def datagrams_s2c(self) -> List[bytes]:
        return self._datagrams(self.payload_s2c, int(self._row["ndgram_s2c"]), self._row["dgram_len_s2c"])

    @property
    def pkt_sizes(self) -> List[int]:
        return self._row["pk_size"][: int(self._row["npk"])].tolist()

    @property
    def pkt_dirs(self) -> List[int]:
        return self._row["pk_dir"][: int(self._row["npk"])].tolist()

    @property
    def pkt_iats(self) -> List[int]:
        """Microseconds since the flow's previous packet, for the first packets."""
        return self._row["pk_iat"][: int(self._row["npk"])].tolist()

    @property
    def stream_flags_c2s(self) -> List[str]:
        return stream_flags_text(int(self._row["stream_flags_c2s"]))

    @property
    def stream_flags_s2c(self) -> List[str]:
        return stream_flags_text(int(self._row["stream_flags_s2c"]))

    def key(self):
        """(transport, client, client_port, server, server_port, vlan): for tests and joins."""
        return (self.transport, self.client, self.client_port, self.server, self.server_port, self.vlan)

    def __repr__(self) -> str:
        return (f"<Flow {self.transport} {self.client}:{self.client_port} -> "
                f"{self.server}:{self.server_port} {self.packets_c2s}/{self.packets_s2c} pkts>")


class FlowBatch:
    """Finished flows handed over by the engine at once."""

    __slots__ = ("capture", "records", "payload")

    def __init__(self, capture: str, records: np.ndarray, payload: memoryview):
        self.capture = capture
        self.records = records
        self.payload = payload

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Flow]:
        for i in range(len(self.records)):
            yield Flow(self, i)


class FlowReader:
    """Reads one capture (a path, or "-" for stdin) into flows.

    Opening raises CaptureError when the file cannot be used at all. Damage met while
    reading stops the reading: the flows read before it are still delivered, and
    `error` says what was found and where.

    A regular file is read through mmap windows; `map_file=False` reads it with
    pread() instead (the same records; the fallback where a file cannot be mapped).

    Each iteration (`iter(reader)` or `batches()`) reads the capture from its start
    with a flow table of its own, so a second pass, or a pass after one abandoned
    early (`itertools.islice`), gives every flow again. Stdin and pipes cannot be read
    twice: a second pass raises CaptureError. `stats` and `error` describe the pass
    that finished last.
    """

    # Packets read between two calls of `on_progress`, when one is given.
    PROGRESS_PACKETS = 1 << 18

    def __init__(self, path: str, config: Optional[FlowConfig] = None, batch_size: int = BATCH_FLOWS,
                 on_progress: Optional[Callable[["FlowReader"], None]] = None,
                 batch_payload: int = BATCH_PAYLOAD, map_file: bool = True):
        self.path = str(path)
        self.config = config or FlowConfig()
        self.batch_size = batch_size
        self.batch_payload = batch_payload
        self.on_progress = on_progress
        self.error: Optional[str] = None
        self.stats: dict = {}
        try:
            self._cap = _fp.Capture(self.path, map_file)
        except _fp.CaptureFileError as e:
            raise CaptureError(self.path, str(e)) from None
        self.format = self._cap.format
        self.compressed = bool(self._cap.compressed)
        self._map_file = map_file
        self._fresh = True          # the capture opened above has not been read yet
        # Only a regular file can be opened again at its start (not stdin, a pipe, a device).
        self._rereadable = self.path != "-" and os.path.isfile(self.path)
        self._engine = self.config.engine()

    def _take(self, engine) -> Optional[FlowBatch]:
        recs, arena, n = engine.take()
        if not n:
            return None
        return FlowBatch(self.path, np.frombuffer(recs, dtype=RECORD_DTYPE), memoryview(arena))

    def _open_pass(self):
        """The capture and flow table of a new pass: the ones opened by __init__ the
        first time, a fresh open of the same file after that."""
        if self._fresh:
            self._fresh = False
            return self._cap, self._engine
        if not self._rereadable:
            raise CaptureError(self.path, "a stream (stdin or a pipe) can be read only once; "
                                          "this FlowReader has already read it")
        try:
            cap = _fp.Capture(self.path, self._map_file)
        except _fp.CaptureFileError as e:
            raise CaptureError(self.path, str(e)) from None
        self._cap, self._engine = cap, self.config.engine()
        self.error = None
        return cap, self._engine

    @property
    def position(self) -> int:
        """Bytes of the capture consumed so far (decompressed bytes for gzip input)."""
        cap = self._cap
        return cap.offset if cap is not None else 0

    def batches(self) -> Iterator[FlowBatch]:
        return self._pass(*self._open_pass())

    def _pass(self, cap, engine) -> Iterator[FlowBatch]:
        # The pass keeps its own capture and engine: a pass abandoned earlier closes
        # only what it read, whenever the garbage collector gets to it.
        step = self.PROGRESS_PACKETS if self.on_progress else 0
        try:
            while True:
                rc = engine.process(cap, self.batch_size, self.batch_payload, step)
                if self.on_progress:
                    self.on_progress(self)
                batch = self._take(engine)
                if batch is not None:
                    yield batch
                if rc != 0:
                    break
            if rc == 2:
                self.error = cap.error
            # The flows still open end in batches of the same bounds as while reading:
            # 65,536 of them at once would be the run's peak memory.
            while True:
                more = engine.flush(self.batch_size, self.batch_payload)
                batch = self._take(engine)
                if batch is not None:
                    yield batch
                if not more:
                    break
        finally:
            self.stats = engine.stats()
            self.stats["records"] = cap.records
            cap.close()

    def __iter__(self) -> Iterator[Flow]:
        for batch in self.batches():
            yield from batch


def read_flows(path: str, config: Optional[FlowConfig] = None) -> Iterator[Flow]:
    """Every flow of a capture. Raises CaptureError if the file cannot be opened;
    use FlowReader to learn about damage met while reading."""
    return iter(FlowReader(path, config))
