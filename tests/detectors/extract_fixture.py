"""Print a flow of a capture as fixture-ready literals (developer tool, not a test).

usage: PYTHONPATH=. python3 tests/detectors/extract_fixture.py CAPTURE PORT [MAXBYTES]
CAPTURE is a path, or a name under ../shared/ndpi-dev/pcaps.  Prints each direction
(TCP) or datagram (UDP) of the first flow with an endpoint on PORT, as hex in 32-byte
lines, as the product's reader (classifier.flows.FlowReader) gives the flow.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from refdata import NDPI_PCAPS  # noqa: E402


def hexlines(b: bytes, indent: str = "    ") -> str:
    return "\n".join(f'{indent}"{b[i:i + 32].hex()}"' for i in range(0, len(b), 32))


def main(argv):
    path = argv[1]
    if not os.path.exists(path):
        path = os.path.join(NDPI_PCAPS, path)
    port = int(argv[2])
    limit = int(argv[3]) if len(argv) > 3 else 256
    from classifier.flows import FlowReader
    for view in FlowReader(path):
        tup = (view.client, view.client_port, view.server, view.server_port)
        if view.transport not in ("tcp", "udp") or port not in (tup[1], tup[3]):
            continue
        print(f"# {os.path.basename(path)} {tup} {view.transport}")
        if view.transport == "udp":
            for d, dgs in (("C", view.datagrams_c2s), ("S", view.datagrams_s2c)):
                for i, dg in enumerate(dgs[:4]):
                    print(f"  {d}{i} len={len(dg)} {dg[:limit]!r}"[:200])
                    print(hexlines(dg[:limit]))
        else:
            for d, data in (("C", view.payload_c2s), ("S", view.payload_s2c)):
                print(f"  {d} len={len(data)} {data[:120]!r}")
                print(hexlines(data[:limit]))
        break


if __name__ == "__main__":
    main(sys.argv)
