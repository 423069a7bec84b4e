"""The `portlens` command.

    portlens flows FILE...      flows as the fast path sees them (no labels)
    portlens analyze FILE...    the main job: each flow's protocol beside its port's claim
    portlens live -i IFACE      watch an interface, report each flow as it ends

Exit codes: 0 success; 2 command-line usage error; 3 a capture could not be read or
was damaged (every flow read before the damage is still reported).
"""
from __future__ import annotations

import argparse
import os
import sys

# portlens works on one core; numpy's BLAS worker threads would only spin beside it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from typing import List, Optional

from . import __version__
from .errors import CaptureError, PortlensError
from .flows import FlowConfig, FlowReader
from .output import WRITERS, open_output
from .pipeline import Analyzer
from .schema import batch_records

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return v


def _size(text):
    """A byte count with an optional K/M/G suffix (powers of 1024)."""
    t = text.strip().upper().rstrip("B")
    mult = 1
    if t and t[-1] in "KMG":
        mult = 1024 ** ("KMG".index(t[-1]) + 1)
        t = t[:-1]
    try:
        v = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return v


def _add_flow_options(p: argparse.ArgumentParser) -> None:
    d = FlowConfig()
    g = p.add_argument_group("flow tracking")
    g.add_argument("--payload-bytes", type=_size, default=d.payload_bytes, metavar="N",
                   help="payload prefix kept per direction (default %(default)s)")
    g.add_argument("--udp-datagrams", type=int, default=d.udp_datagrams, metavar="N",
                   help="UDP datagrams kept per direction, at most 8 (default %(default)s)")
    g.add_argument("--idle-timeout-tcp", type=_positive_float, default=d.idle_tcp, metavar="SECS",
                   help="an open TCP flow ends after this long without packets (default %(default)s)")
    g.add_argument("--idle-timeout-udp", type=_positive_float, default=d.idle_udp, metavar="SECS",
                   help="the same for UDP and other protocols (default %(default)s)")
    g.add_argument("--closed-timeout", type=_positive_float, default=d.closed, metavar="SECS",
                   help="a TCP flow lingers this long after FIN from both sides or RST (default %(default)s)")
    g.add_argument("--active-timeout", type=_positive_float, default=d.active, metavar="SECS",
                   help="any flow is cut this long after its first packet (default %(default)s)")
    g.add_argument("--max-flows", type=int, default=d.max_flows, metavar="N",
                   help="live flows at once; beyond it the least recently active is evicted "
                        "(default %(default)s)")
    g.add_argument("--max-payload-memory", type=_size, default=d.max_payload_mem, metavar="SIZE",
                   help="payload buffer memory at once, e.g. 64M; eviction beyond (default 64M)")
    g.add_argument("--no-decap", action="store_true",
                   help="do not decapsulate IP-in-IP, GRE, GTP-U and VXLAN tunnels")


def _config(args) -> FlowConfig:
    if not 0 <= args.udp_datagrams <= 8:
        raise PortlensError("--udp-datagrams must be between 0 and 8")
    if args.max_flows < 1:
        raise PortlensError("--max-flows must be at least 1")
    return FlowConfig(
        payload_bytes=args.payload_bytes, udp_datagrams=args.udp_datagrams,
        idle_tcp=args.idle_timeout_tcp, idle_udp=args.idle_timeout_udp,
        closed=args.closed_timeout, active=args.active_timeout, max_flows=args.max_flows,
        max_payload_mem=args.max_payload_memory, decap=not args.no_decap,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="portlens",
        description="Which application protocol does each flow really carry, and does its port agree?")
    p.add_argument("--version", action="version", version=f"portlens {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    for name, helptext in (
        ("analyze", "label every flow of the captures and set it beside what the port implies"),
        ("flows", "list the flows of the captures as the fast path sees them (no labels)"),
    ):
        c = sub.add_parser(name, help=helptext, description=helptext)
        c.add_argument("files", nargs="+", metavar="FILE",
                       help="pcap or pcapng capture, optionally gzip-compressed; - reads stdin")
        c.add_argument("--format", "-f", choices=sorted(WRITERS), default="table",
                       help="output format (default: table)")
        c.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")
        c.add_argument("--force", action="store_true", help="replace --output if it exists")
        c.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
        _add_flow_options(c)
    live = sub.add_parser("live", help="watch an interface and report each flow as it ends",
                          description="Capture from an interface (needs capture rights, e.g. root "
                                      "or CAP_NET_RAW) and report each flow when it ends; Ctrl-C "
                                      "ends every open flow and reports it.")
    live.add_argument("--interface", "-i", required=True, help="interface to capture on, e.g. eth0 or lo")
    live.add_argument("--filter", metavar="BPF", help="capture filter, e.g. 'tcp port 443'")
    live.add_argument("--duration", type=_positive_float, metavar="SECS", help="stop after this long")
    live.add_argument("--count", type=int, metavar="N", help="stop after this many packets")
    live.add_argument("--promisc", action="store_true", help="put the interface in promiscuous mode")
    live.add_argument("--format", "-f", choices=sorted(WRITERS), default="table")
    live.add_argument("--output", "-o", metavar="PATH")
    live.add_argument("--force", action="store_true")
    live.add_argument("--quiet", "-q", action="store_true")
    _add_flow_options(live)
    return p


def cmd_live(args) -> int:
    from .live import LiveCapture
    cap = LiveCapture(args.interface, args.filter, _config(args), promisc=args.promisc)
    with open_output(args.output, args.force) as out:
        writer = WRITERS[args.format](out)
        for batch in cap.batches(duration=args.duration, count=args.count):
            for rec in batch_records(batch):
                writer.write(rec)
            out.flush()
        writer.close()
    if not args.quiet:
        sys.stderr.write(_summary(f"live:{args.interface}", cap.stats) + "\n")
    return EXIT_OK


def _summary(path: str, stats: dict) -> str:
    unsup = stats.get("unsupported_link_types") or {}
    unsup_text = ", ".join(f"{_linktype_name(lt)} ({n} packets)" for lt, n in sorted(unsup.items())) or "none"
    malformed = stats["bad_link"] + stats["bad_ip"] + stats["bad_l4"] + stats["too_deep"]
    return (f"portlens: {path}: {stats['packets']} packets, {stats['bytes']} bytes, "
            f"{stats['flows']} flows ({stats['flows_tcp']} tcp, {stats['flows_udp']} udp, "
            f"{stats['flows_other']} other); damaged records {stats['damaged_records']}, "
            f"malformed packets {malformed}, non-IP {stats['non_ip']}, "
            f"fragments dropped {stats['frag_dropped']}; unsupported link types: {unsup_text}; "
            f"evictions {stats['evicted']}")


# Names of link types users meet, for the unsupported-link-type warning.
LINKTYPE_NAMES = {
    0: "NULL", 1: "ETHERNET", 6: "IEEE802_5", 9: "PPP", 10: "FDDI", 50: "PPP_HDLC", 101: "RAW",
    104: "C_HDLC", 105: "IEEE802_11", 108: "LOOP", 113: "LINUX_SLL", 119: "PRISM", 127: "IEEE802_11_RADIOTAP",
    143: "DOCSIS", 147: "USER0", 163: "IEEE802_11_AVS", 187: "BLUETOOTH_HCI_H4", 189: "USB_LINUX",
    195: "IEEE802_15_4", 201: "BLUETOOTH_HCI_H4_WITH_PHDR", 220: "USB_LINUX_MMAPPED", 227: "CAN_SOCKETCAN",
    228: "IPV4", 229: "IPV6", 239: "NFLOG", 249: "USBPCAP", 276: "LINUX_SLL2",
}


def _linktype_name(lt: int) -> str:
    return f"{LINKTYPE_NAMES.get(lt, 'link type')} ({lt})" if lt in LINKTYPE_NAMES else f"link type {lt}"


def _err(msg: str) -> None:
    sys.stderr.write(f"portlens: error: {msg}\n")
    sys.stderr.flush()


def cmd_flows(args, labelled: bool) -> int:
    config = _config(args)
    analyzer = Analyzer() if labelled else None
    status = EXIT_OK
    writer_cls = WRITERS[args.format]
    with open_output(args.output, args.force) as out:
        writer = writer_cls(out)
        for path in args.files:
            try:
                reader = FlowReader(path, config)
            except CaptureError as e:
                _err(str(e))
                status = EXIT_INPUT
                continue
            for batch in reader.batches():
                recs = analyzer.label(batch) if labelled else batch_records(batch)
                for rec in recs:
                    writer.write(rec)
            if reader.error:
                _err(f"{path}: {reader.error}; the flows read before it are reported")
                status = EXIT_INPUT
            if not args.quiet:
                sys.stderr.write(_summary(path, reader.stats) + "\n")
        writer.close()
    return status


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command in ("flows", "analyze"):
            return cmd_flows(args, labelled=args.command == "analyze")
        if args.command == "live":
            return cmd_live(args)
        parser.error(f"unknown command {args.command}")
    except PortlensError as e:
        _err(str(e))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
