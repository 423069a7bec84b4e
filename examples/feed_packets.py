#!/usr/bin/env python3
"""Feed packets you already hold into portlens, one at a time: what an IDS with its own
capture does. Prints one JSON line per flow as it ends.

    python examples/feed_packets.py capture.pcap          # a file as the packet source
    python examples/feed_packets.py --interface lo -s 10  # a raw AF_PACKET socket (root)

The packet source is Scapy's PcapReader when Scapy is installed, else a pcap reader in
the standard library's `struct` (the "raw source" below); `--interface` reads frames
from a Linux AF_PACKET socket. Whatever the source, each packet reaches
`Classifier.feed(timestamp, linktype, frame)`.
"""
import argparse
import json
import socket
import struct
import sys
import time

from classifier.api import Classifier


def raw_pcap_packets(path):
    """(timestamp, linktype, frame, wirelen) of a classic pcap file, with struct only."""
    with open(path, "rb") as fh:
        head = fh.read(24)
        magic = head[:4]
        if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
            raise SystemExit(f"{path}: not a classic pcap file")
        order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
        linktype = struct.unpack_from(order + "I", head, 20)[0] & 0xFFFF
        while True:
            rec = fh.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, orig = struct.unpack(order + "IIII", rec)
            yield sec + frac * scale, linktype, fh.read(incl), orig


def scapy_packets(path):
    """The same through Scapy (its packets carry .time, the frame bytes and .wirelen)."""
    from scapy.all import PcapReader     # the layers loaded, as a Scapy user has them
    with PcapReader(path) as reader:
        linktype = reader.linktype
        for pkt in reader:
            yield pkt.time, linktype, bytes(pkt), pkt.wirelen or 0


def af_packet_frames(interface, seconds):
    """Ethernet frames of an interface from a raw socket (Linux, root or CAP_NET_RAW)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))   # ETH_P_ALL
    sock.bind((interface, 0))
    sock.settimeout(0.2)
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            try:
                frame = sock.recv(65535)
            except socket.timeout:
                continue
            yield time.time(), 1, frame, 0
    finally:
        sock.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap", nargs="?", help="a classic pcap file to read packets from")
    ap.add_argument("--interface", "-i", help="read from a raw AF_PACKET socket instead")
    ap.add_argument("--seconds", "-s", type=float, default=10.0, help="how long to read the interface")
    ap.add_argument("--raw", action="store_true", help="use the struct reader even where Scapy is installed")
    args = ap.parse_args(argv)
    if args.interface:
        packets, source = af_packet_frames(args.interface, args.seconds), "af_packet"
    elif args.pcap:
        try:
            if args.raw:
                raise ImportError
            import scapy  # noqa: F401
            packets, source = scapy_packets(args.pcap), "scapy"
        except ImportError:
            packets, source = raw_pcap_packets(args.pcap), "struct"
    else:
        ap.error("give a pcap file or --interface")
    print(f"packet source: {source}", file=sys.stderr)

    def emit(flow):
        print(json.dumps(flow.to_dict(), default=str), flush=True)

    with Classifier(capture=args.interface or args.pcap) as clf:
        clf.on_flow(emit)                       # each flow as it ends ...
        for ts, linktype, frame, wirelen in packets:
            clf.feed(ts, linktype, frame, wirelen)
    # ... and leaving the block ended and delivered the flows still open
    stats = clf.stats()
    print(f"{stats['packets']} packets, {stats['flows']} flows, {stats['evictions']} evicted",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
