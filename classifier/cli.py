"""The `portlens` command.

    portlens analyze FILE|DIR|GLOB...   the main job: each flow's protocol beside its port-implied protocol
    portlens audit --policy approved.toml FILE...
                                flows that break an approved ports/protocols list
    portlens ports 443/tcp | 443 | smallchat
                                the port registry, looked up either way
    portlens flows FILE...      flows as the fast path sees them (no labels)
    portlens live -i IFACE      watch an interface, report each flow as it ends
    portlens train              retrain the port-blind model on the corpus (models/)

Exit codes, one meaning each (README, "Exit codes and bad input"):

    0    success
    1    findings: `audit` found violations, `ports` matched nothing for a query
    2    usage or configuration: a bad option value (--max-flows 0, --udp-datagrams 9,
         --only with an unknown verdict), a bad site overrides, policy or rules file, a
         bad BPF filter, a missing optional library
    3    a capture could not be read: missing, not a capture, damaged (the flows read
         before the damage are reported), a directory or glob with no capture, an
         interface that cannot be opened
    4    the output could not be written: it exists (without --force), the disk is full,
         no permission, it is a directory
    5    the model could not be used (ModelError: no manifest, a bad model file)
    70   a bug of ours (one line; PORTLENS_DEBUG=1 shows the traceback)
    130  interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: analyze, flows and audit finish
         the batch in hand, write what was analysed as a complete partial output, say so
         in one line with the count, print the summary; a second signal stops at once

Outputs are never lost: `-o` is written beside its destination and renamed over it
only when the run has something to report (classifier/output/__init__.py); when no
capture at all could be read the previous file stays as it was.
"""
from __future__ import annotations

import argparse
from collections import Counter
import gc
import os
import signal
import sys

# Each portlens process works on one core (--jobs N runs N of them); numpy's BLAS worker
# threads would only spin beside it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from contextlib import contextmanager
from typing import List, Optional

from . import __version__, parallel
from .errors import CaptureError, OutputError, PortlensError, UsageError
from .flows import ANALYZE_BATCH, BATCH_FLOWS, BATCH_PAYLOAD, FlowConfig, FlowReader
from .output import STDOUT, WRITERS, open_output
from .output.jsonl import JsonlWriter
from .ml.cli import add_ml_options, add_train_parser, cmd_train
from .parallel import usable_cores
from .ports import ConfigError
from .progress import Progress
from .schema import batch_records

# The options' objects (classifier/options.py, shared with the parallel runners).
from .options import (analyzer_from_args as _analyzer, expand_inputs,  # noqa: E402,F401
                      flow_config as _config, only_verdicts as _only, registry_from_args as _registry)

EXIT_OK = 0
EXIT_FOUND = 1          # audit: violations; ports: a query matched nothing
EXIT_USAGE = 2          # usage or configuration
EXIT_INPUT = 3          # a capture could not be read
EXIT_OUTPUT = 4         # the output could not be written
EXIT_MODEL = 5          # the model could not be used
EXIT_SOFTWARE = 70      # an internal error (sysexits.h EX_SOFTWARE)
EXIT_SIGNAL = 128       # + the signal's number: 130 SIGINT, 143 SIGTERM

# What a directory given as input contributes: captures by name, gzip-compressed or not.


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return v


def _int_between(lo, hi=None):
    """An integer option within [lo, hi]: an argparse-level error (exit 2) otherwise."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(
                f"must be between {lo} and {hi}: {text!r}" if hi is not None else f"must be at least {lo}: {text!r}")
        return v
    return parse


def _verdict_list(text):
    """--only: verdict names separated by commas, each one of VERDICTS."""
    from .verdict import VERDICTS
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"no verdict named; valid: {', '.join(VERDICTS)}")
    for n in names:
        if n not in VERDICTS:
            raise argparse.ArgumentTypeError(f"unknown verdict {n!r}; valid: {', '.join(VERDICTS)}")
    return names


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
    g.add_argument("--udp-datagrams", type=_int_between(0, 8), default=d.udp_datagrams, metavar="N",
                   help="UDP datagrams kept per direction, at most 8 (default %(default)s)")
    g.add_argument("--idle-timeout-tcp", type=_positive_float, default=d.idle_tcp, metavar="SECS",
                   help="an open TCP flow ends after this long without packets (default %(default)s)")
    g.add_argument("--idle-timeout-udp", type=_positive_float, default=d.idle_udp, metavar="SECS",
                   help="the same for UDP and other protocols (default %(default)s)")
    g.add_argument("--closed-timeout", type=_positive_float, default=d.closed, metavar="SECS",
                   help="a TCP flow lingers this long after FIN from both sides or RST (default %(default)s)")
    g.add_argument("--active-timeout", type=_positive_float, default=d.active, metavar="SECS",
                   help="any flow is cut this long after its first packet (default %(default)s)")
    g.add_argument("--max-flows", type=_int_between(1), default=d.max_flows, metavar="N",
                   help="live flows at once; beyond it the least recently active is evicted "
                        "(default %(default)s)")
    g.add_argument("--max-payload-memory", type=_size, default=d.max_payload_mem, metavar="SIZE",
                   help="payload buffer memory at once, e.g. 64M; eviction beyond (default 64M)")
    g.add_argument("--no-decap", action="store_true",
                   help="do not decapsulate IP-in-IP, GRE, GTP-U and VXLAN tunnels")


def _add_output_options(c: argparse.ArgumentParser, formats, default="table", wide=True) -> None:
    c.add_argument("--format", "-f", choices=formats, default=default,
                   help=f"output format (default: {default})")
    c.add_argument("--output", "-o", metavar="PATH",
                   help="write here instead of stdout (written beside it, renamed into place at the end)")
    c.add_argument("--force", action="store_true", help="replace --output if it exists")
    c.add_argument("--quiet", "-q", action="store_true", help="no summary and no progress bar on stderr")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the table: auto (default) when stdout is a terminal and NO_COLOR is unset")
    if wide:
        c.add_argument("--wide", action="store_true",
                       help="table: every column, none shortened, whatever the terminal's width")


def _add_only_option(c: argparse.ArgumentParser, what: str = "flows") -> None:
    c.add_argument("--only", type=_verdict_list, action="append", default=None, metavar="VERDICTS",
                   help=f"report only the {what} with these verdicts, comma-separated (match, mismatch, "
                        "unregistered-port, unidentified); repeatable")


def _add_site_option(c: argparse.ArgumentParser) -> None:
    c.add_argument("--site-ports", action="append", default=[], metavar="TOML",
                   help="site overrides of the IANA registry, e.g. 8443/tcp is tls here "
                        "(repeatable; examples/site-ports.toml)")


def _add_rules_option(c: argparse.ArgumentParser) -> None:
    c.add_argument("--rules", action="append", default=[], metavar="TOML",
                   help="site rules: house protocols as byte patterns, labelled like the built-in "
                        "detectors (repeatable; examples/house-protocols.toml)")


def _add_capture_arguments(c: argparse.ArgumentParser, formats, labels: bool) -> None:
    """The capture files and the options of a command that reads them (analyze, flows,
    audit); `labels` adds the site overrides and the model, which `flows` has not."""
    c.add_argument("files", nargs="+", metavar="FILE",
                   help="pcap or pcapng capture, optionally gzip-compressed; - reads stdin; a directory "
                        "(every *.pcap, *.pcapng, *.cap and their .gz inside, recursively) or a glob "
                        "pattern such as 'captures/*.pcap'")
    _add_output_options(c, formats, wide="table" in formats and len(formats) > 2)
    c.add_argument("--jobs", "-j", type=_int_between(1), default=None, metavar="N",
                   help="worker processes (default: the usable cores, here %d); 1 reads in this "
                        "process alone. Captures are shared out, a large one is split by flow; "
                        "the records are the same as with 1 (README, \"Scaling out\")" % usable_cores())
    if labels:
        _add_site_option(c)
        _add_rules_option(c)
        add_ml_options(c)
    _add_flow_options(c)


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
        _add_capture_arguments(c, sorted(WRITERS), labels=name == "analyze")
        if name == "analyze":
            _add_only_option(c)
            c.add_argument("--scheduler", metavar="ADDRESS",
                           help="run on a Dask cluster (tcp://host:8786): one task per capture, or per "
                                "shard of a large one, every worker reading the paths itself; -o names "
                                "a folder for one jsonl file per task and summary.json (needs "
                                "pip install 'portlens[distributed]'; README, \"Scaling out\")")

    audit = sub.add_parser(
        "audit", help="report flows that break an approved ports/protocols list (exit 1 if any)",
        description="Check every flow against an approved list of ports, transports and the "
                    "protocols permitted on them (deny all, permit by exception). Exit codes: "
                    "0 no violation, 1 violations, 2 usage or policy error, 3 a capture could "
                    "not be read, 4 the output could not be written, 5 the model could not be used, "
                    "130/143 interrupted. The policy format is in docs/output.md and examples/approved.toml.")
    audit.add_argument("--policy", "-p", required=True, metavar="TOML", help="the approved list")
    _add_capture_arguments(audit, ["jsonl", "table"], labels=True)
    _add_only_option(audit, "violations of flows")

    ports = sub.add_parser(
        "ports", help="look the port registry up: 443/tcp, 443, 6000-6010/tcp, a service name or protocol",
        description="What the IANA registry (and site overrides) say about ports, or which ports a "
                    "service name or canonical protocol is registered on. Exit 1 when a query "
                    "matches nothing.")
    ports.add_argument("queries", nargs="+", metavar="QUERY",
                       help="443/tcp, 443 (every transport), 6000-6010/tcp, a service name (smallchat) "
                            "or a canonical protocol (tls)")
    ports.add_argument("--format", "-f", choices=["jsonl", "table"], default="table")
    _add_site_option(ports)

    protocols = sub.add_parser(
        "protocols", help="list the protocols portlens names from payload, with their peers' names",
        description="The protocol table (classifier/protocols.py; docs/protocols.md is generated "
                    "from the same rows): canonical name, transports, nDPI and Suricata names, the "
                    "IANA services that imply it and the metadata its detector reports, in the "
                    "detectors' tie-break order. Exit 1 when a NAME is not a protocol.")
    protocols.add_argument("names", nargs="*", metavar="NAME", help="only these protocols")
    protocols.add_argument("--format", "-f", choices=["table", "jsonl", "markdown"], default="table")
    protocols.add_argument("--transport", choices=["tcp", "udp"], help="only protocols probed on it")

    live = sub.add_parser(
        "live", help="watch an interface and report each flow as it ends",
        description="Capture from an interface (needs capture rights, e.g. root or CAP_NET_RAW) "
                    "and report each flow when it ends. SIGINT (Ctrl-C), SIGTERM and SIGHUP stop "
                    "the capture, end and report every open flow, write the summary and exit "
                    "128+signal (130, 143, 129); --duration and --count stop it with exit 0. "
                    "Packets the kernel or the interface dropped are counted in the periodic "
                    "stderr line, the summary and, with -f eve, in `stats` events.")
    live.add_argument("--interface", "-i", required=True, help="interface to capture on, e.g. eth0 or lo")
    live.add_argument("--filter", metavar="BPF", help="capture filter, e.g. 'tcp port 443'")
    live.add_argument("--duration", type=_positive_float, metavar="SECS", help="stop after this long")
    live.add_argument("--count", type=_positive_int, metavar="N", help="stop after this many packets")
    live.add_argument("--promisc", action="store_true", help="put the interface in promiscuous mode")
    from .live import DEFAULT_BUFFER_SIZE
    live.add_argument("--buffer-size", type=_buffer_size, default=DEFAULT_BUFFER_SIZE, metavar="SIZE",
                      help="kernel capture buffer, e.g. 256M; packets arriving while it is full are "
                           "dropped and counted (default 64M; libpcap's own default is 2M)")
    live.add_argument("--stats-interval", type=_non_negative_float, default=10.0, metavar="SECS",
                      help="a counters line on stderr (and with -f eve a `stats` event) this often; "
                           "0: only at the end (default %(default)s)")
    _add_output_options(live, sorted(WRITERS))
    for action in live._actions:
        if action.dest == "output":
            action.help = ("append each record to PATH as it is produced (line-buffered: tail -f "
                           "sees it at once); the file is created at start")
        elif action.dest == "force":
            action.help = "truncate --output at start instead of appending to it"
    live.add_argument("--no-labels", action="store_true",
                      help="report the flows without detectors, model or verdicts (as `flows` does)")
    _add_only_option(live)
    _add_site_option(live)
    _add_rules_option(live)
    add_ml_options(live)
    _add_flow_options(live)
    add_train_parser(sub)
    return p


def _use_color(args, out) -> bool:
    """--color always/never, or auto: the output is a terminal, NO_COLOR is unset or
    empty (no-color.org) and TERM is not "dumb"."""
    if args.color != "auto":
        return args.color == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _meta(registry=None) -> dict:
    if registry is None:
        return {}
    return {"registry_date": registry.date, "registry_source": registry.source,
            "site_files": list(registry.site_files)}


_LIVE_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return v


def _non_negative_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be zero or positive: {text!r}")
    return v


def _buffer_size(text):
    """--buffer-size: 64K .. 2G-1 bytes (libpcap takes an int), K/M/G suffixes."""
    from .live import MAX_BUFFER_SIZE, MIN_BUFFER_SIZE
    v = _size(text)
    if not MIN_BUFFER_SIZE <= v <= MAX_BUFFER_SIZE:
        raise argparse.ArgumentTypeError(f"must be between 64K and 2047M: {text!r}")
    return v


class _SkipFirstWrite:
    """A stream that drops the first write: the csv header when appending to a file
    that already has one."""

    def __init__(self, stream):
        self._stream = stream
        self._skip = True

    def write(self, text):
        if self._skip:
            self._skip = False
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _open_live_output(path, force: bool, fmt: str):
    """(stream, appending) for `live -o`: the file is opened at once, line-buffered, so
    each record is in it as soon as it is written (`tail -f`, Filebeat); an existing
    file is appended to, or truncated with --force; nothing is written beside it.
    `appending`: the file already had content."""
    import stat as stat_mod
    if path in (None, "-"):
        return sys.stdout, False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(path, f"cannot write output: {e.strerror}") from None
    if st is not None and stat_mod.S_ISDIR(st.st_mode):
        raise OutputError(path, "is a directory")
    regular = st is not None and stat_mod.S_ISREG(st.st_mode)
    appending = regular and st.st_size > 0 and not force
    if appending and fmt == "html":
        raise OutputError(path, "an html report cannot be appended to an existing file "
                                "(use a new path, or --force to replace it)")
    mode = "w" if (force and regular) else "a"
    try:
        return open(path, mode, encoding="utf-8", newline="", buffering=1), appending
    except OSError as e:
        raise OutputError(path, f"cannot write output: {e.strerror}") from None


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


def _live_counts(stats: dict) -> str:
    """'received by filter 1200, dropped by kernel 3 (0.25%), dropped by interface 0'
    (libpcap's counts; on Linux loopback the kernel counts each packet twice)."""
    recv, kd, ifd = stats.get("received", 0), stats.get("kernel_drops", 0), stats.get("interface_drops", 0)
    pct = f" ({100.0 * kd / recv:.2f}%)" if recv and kd else ""
    return f"received by filter {recv}, dropped by kernel {kd}{pct}, dropped by interface {ifd}"


def cmd_live(args) -> int:
    """`live`: label each flow of an interface as it ends, as `analyze` does for a file
    (`--no-labels` reports the fast path's flows alone, as `flows` does). Exit 0 when
    --duration or --count ends it, 128+signal after SIGINT, SIGTERM or SIGHUP (every
    open flow reported and the summary written in every case)."""
    import signal
    import time
    from .live import CaptureFilterError, LiveCapture
    labelled = not args.no_labels
    if args.only and not labelled:
        raise UsageError("--only needs verdicts, which --no-labels leaves out")
    only = _only(args)
    registry = _registry(args) if labelled else None
    analyzer = _analyzer(args, registry) if labelled else None
    config = _config(args)
    try:
        cap = LiveCapture(args.interface, args.filter, config, promisc=args.promisc,
                          buffer_size=args.buffer_size)
    except CaptureFilterError as e:
        _err(str(e))
        return EXIT_USAGE
    name = f"live:{args.interface}"
    try:
        out, appending = _open_live_output(args.output, args.force, args.format)
    except BaseException:
        cap.close()
        raise
    stream = _SkipFirstWrite(out) if appending and args.format == "csv" else out
    writer = WRITERS[args.format](stream, color=_use_color(args, out), meta=_meta(registry))
    eve = hasattr(writer, "write_stats")
    counts: dict = {}
    reported = [0]
    interval = args.stats_interval
    next_report = [time.monotonic() + interval]

    def periodic():
        now = time.monotonic()
        if not interval or now < next_report[0]:
            return
        next_report[0] = now + interval        # no burst of catch-up lines after a stall
        stats = cap.stats
        if eve:
            writer.write_stats(stats)
            out.flush()
        if not args.quiet:
            sys.stderr.write(f"portlens: {name}: {stats['uptime']:.0f} s: {stats['packets']} packets, "
                             f"{_live_counts(stats)}; {reported[0]} flows reported, "
                             f"{stats['live_flows']} open\n")
            sys.stderr.flush()

    def on_signal(signum, frame):
        if cap.stopping:
            # A second signal while the open flows are being reported: the operator
            # insists. What is written stays written (line-buffered); nothing more.
            sys.stderr.write(f"portlens: {name}: second signal, exiting without finishing\n")
            os._exit(128 + signum)
        cap.stop(signum)

    previous = {}
    for sig_name in _LIVE_SIGNALS:
        sig = getattr(signal, sig_name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, on_signal)
    try:
        if not args.quiet:
            sys.stderr.write(f"portlens: {name}: capturing, link type {_linktype_name(cap.linktype)}, "
                             f"buffer {_mib(cap.buffer_size)}; SIGINT (Ctrl-C), SIGTERM or SIGHUP "
                             f"stops and reports every open flow\n")
            sys.stderr.flush()
        for batch in cap.batches(duration=args.duration, count=args.count, on_progress=periodic):
            for rec in analyzer.push(batch, hold=False) if labelled else batch_records(batch):
                if labelled:
                    counts[rec["verdict"]] = counts.get(rec["verdict"], 0) + 1
                if only is None or rec["verdict"] in only:
                    writer.write(rec)
            reported[0] += len(batch)
            out.flush()
        writer.close()
        stats = cap.stats
        if eve:
            writer.write_stats(stats)
        out.flush()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if out is not sys.stdout:
            out.close()
    signum = cap.stop_reason if isinstance(cap.stop_reason, int) else None
    if not args.quiet:
        line = f"{_summary(name, stats)}; {_live_counts(stats)}"
        if labelled:
            line += f"; verdicts: {_verdict_counts(counts)}"
            line += _probe_errors_text(analyzer.take_probe_errors())
        if signum is not None:
            line += f"; stopped by {signal.Signals(signum).name}"
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except OSError:
            pass            # SIGHUP: the terminal may be gone; the records are written
    return 128 + signum if signum is not None else EXIT_OK


def _summary(path: str, stats: dict) -> str:
    unsup = stats.get("unsupported_link_types") or {}
    unsup_text = ", ".join(f"{_linktype_name(lt)} ({n} packets)" for lt, n in sorted(unsup.items())) or "none"
    malformed = stats["bad_link"] + stats["bad_ip"] + stats["bad_l4"] + stats["too_deep"]
    return (f"portlens: {path}: {stats['packets']} packets, {stats['bytes']} bytes, "
            f"{stats['flows']} flows ({stats['flows_tcp']} tcp, {stats['flows_udp']} udp, "
            f"{stats['flows_other']} other); damaged records {stats['damaged_records']}, "
            f"malformed packets {malformed}, non-IP {stats['non_ip']}, "
            f"fragments dropped {stats['frag_dropped']}; unsupported link types: {unsup_text}; "
            f"evictions {stats['evicted']}" + _evicted_packets_text(stats))


def _evicted_packets_text(stats: dict) -> str:
    """Packets of flows already evicted, met while the table was still at its cap:
    counted, not reported as flows of their own (said only when there were some)."""
    n = stats.get("evicted_packets", 0)
    if not n:
        return ""
    return f" (+{n} later packets of evicted flows, {stats.get('evicted_bytes', 0)} bytes, counted, not made into flows)"


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


class _StopReading(Exception):
    """Raised from the reader's progress callback when a stop was asked for."""


class Stop:
    """Ctrl-C (SIGINT) and SIGTERM during a run: the first sets `signum`, which the
    reading loop checks between batches (and every 262,144 packets); the run then
    writes what it has and exits 128 + signum. A second signal stops at once
    (HardStop): the output file is not written and its temporary file is removed."""

    def __init__(self):
        self.signum: Optional[int] = None

    def __call__(self) -> bool:
        return self.signum is not None

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            return
        raise HardStop(signum)

    @contextmanager
    def installed(self, enabled: bool = True):
        previous = {}
        if enabled:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    previous[sig] = signal.signal(sig, self._handle)
                except ValueError:                  # not the main thread: leave signals alone
                    break
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class HardStop(BaseException):
    """A second signal: stop at once, whatever is in hand."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_of(args) -> Stop:
    stop = getattr(args, "_stop", None)
    return stop if stop is not None else Stop()


def _signame(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class _Run:
    """What `_read_captures` found: the exit status so far, whether any capture was
    opened at all, and the signal that stopped it, if one did."""

    def __init__(self):
        self.status = EXIT_OK
        self.opened = 0
        self.signum: Optional[int] = None


def _read_captures(args, progress: Progress, on_batch, on_capture=None, labelled: bool = False,
                   on_records=None, analyzer=None, on_rendered=None) -> _Run:
    """Run every capture through the fast path, batch by batch: `on_batch(batch)` does
    the work, `on_capture(path, reader, error)` follows each capture (reader None when
    the capture could not be opened); `labelled`: the batches go through the analyze
    pipeline, which takes bigger ones (flows.ANALYZE_BATCH). The status is EXIT_OK, or
    EXIT_INPUT when a capture could not be read or stopped on damage. A stop (Ctrl-C,
    SIGTERM) ends the reading after the batch in hand; the capture's summary still
    follows.

    With --jobs N > 1 (and more than one task to share out) the captures are read by
    worker processes (classifier.parallel): `on_records(recs)` then gets each batch's
    records as the workers labelled them, instead of `on_batch`, and `analyzer` (the
    parent's) collects the workers' detector errors for the summary."""
    config = _config(args)
    run = _Run()
    stop = _stop_of(args)
    size, payload = ANALYZE_BATCH if labelled else (BATCH_FLOWS, BATCH_PAYLOAD)
    inputs = getattr(args, "_inputs", None)
    if inputs is None:
        inputs = expand_inputs(args.files)
    jobs = getattr(args, "jobs", None) or usable_cores()
    if on_records is not None and parallel.worth_it(inputs, jobs):
        return parallel.read_captures(parallel.plan(inputs, jobs), jobs, args, config, progress,
                                      on_records, on_capture, labelled, (size, payload), stop, run,
                                      _err, analyzer, on_rendered)

    def on_progress(reader):
        # Every 262,144 packets: a stop is seen even while no flow ends.
        if stop():
            raise _StopReading
        progress.update(reader)

    for path, problem in inputs:
        if stop():
            break
        try:
            if problem:
                raise CaptureError(path, problem)
            reader = FlowReader(path, config, size, on_progress=on_progress, batch_payload=payload)
        except CaptureError as e:
            progress.end()
            _err(str(e))
            if on_capture:
                on_capture(path, None, str(e))
            run.status = EXIT_INPUT
            continue
        run.opened += 1
        progress.begin(path, reader)
        flows = 0
        batches = reader.batches()
        try:
            for batch in batches:
                progress.before_output()    # only when the rows go to the bar's terminal
                on_batch(batch)
                flows += len(batch)
                progress.after_output(reader, flows)
                if stop():
                    break
                progress.update(reader, flows)
        except _StopReading:
            pass
        finally:
            batches.close()                 # the reader's statistics, the capture closed
        progress.end()
        if reader.error:
            _err(f"{path}: {reader.error}; the flows read before it are reported")
            run.status = EXIT_INPUT
        if on_capture:
            on_capture(path, reader, reader.error)
    run.signum = stop.signum
    return run


def _writer(args, out, registry, captures, labelled: bool):
    """The writer of --format on `out`; the table also learns the captures (a CAPTURE
    column when several), --wide and whether there are labels."""
    cls = WRITERS[args.format]
    kw = {}
    if args.format == "table":
        kw = {"wide": getattr(args, "wide", False), "captures": captures, "labels": labelled}
    return cls(out.stream, color=_use_color(args, out.stream), meta=_meta(registry), **kw)


def _finish(out, writer, run: _Run, what: str) -> None:
    """The end of a reading run: the output is written, unless no capture could be
    opened at all (then the previous file stays as it was, and no empty report
    replaces it); after a stop, one line says the output is partial."""
    if not run.opened:
        out.discard()
        if run.signum is not None:
            sys.stderr.write(f"portlens: interrupted by {_signame(run.signum)} before any capture was read; "
                             f"nothing written\n")
        return
    writer.close()
    out.commit()
    if run.signum is not None:
        where = "stdout" if out.path is None else out.path
        sys.stderr.write(f"portlens: interrupted by {_signame(run.signum)}: {what} written to {where}, "
                         f"a partial result (complete {'file' if out.path else 'records'}; the rest "
                         f"of the input was not read)\n")


def _status(run: _Run, status: int) -> int:
    if run.signum is not None:
        return EXIT_SIGNAL + run.signum
    return status


def _probe_errors_text(errors: dict) -> str:
    """'; detector errors 3 (bittorrent: IndexError: ...; report it)' or '' when none:
    a probe that raised is a bug of ours, said in the summary, never silent."""
    if not errors:
        return ""
    total = sum(n for n, _ in errors.values())
    first = next(iter(errors.values()))[1]
    return (f"; detector errors {total} in {len(errors)} detector(s), first: {first} "
            f"(a bug of portlens: please report it)")


def _verdict_counts(counts: dict) -> str:
    from .verdict import VERDICTS
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)


def cmd_flows(args, labelled: bool) -> int:
    """`flows` and `analyze`: every flow of every capture, in the chosen format."""
    if labelled and getattr(args, "scheduler", None):
        from .distributed import cmd_analyze
        return cmd_analyze(args)
    from .detectors.engine import gc_paused
    registry = _registry(args) if labelled else None
    analyzer = _analyzer(args, registry) if labelled else None
    only = _only(args)
    args._inputs = expand_inputs(args.files)
    captures = [p for p, _ in args._inputs]
    with open_output(args.output, args.force) as out:
        progress = Progress(enabled=False if args.quiet else None,
                            output=out.stream if out.path is None else None)
        writer = _writer(args, out, registry, captures, labelled)
        counts: dict = {}
        written = [0]

        write_many = getattr(writer, "write_many", None)

        def emit(recs):
            if labelled:
                verdicts = [rec["verdict"] for rec in recs]
                for v, n in Counter(verdicts).items():
                    counts[v] = counts.get(v, 0) + n
                if only is not None:
                    recs = [rec for rec, v in zip(recs, verdicts) if v in only]
            if write_many is not None:
                write_many(recs)            # one write per batch (jsonl)
            else:
                for rec in recs:
                    writer.write(rec)
            written[0] += len(recs)

        def on_batch(batch):
            # A batch's records are freed once written: no cyclic collection walks them
            # meanwhile (they form no cycles; the collector cost a tenth of a flood's CPU).
            with gc_paused():
                emit(analyzer.push(batch) if labelled else batch_records(batch))

        def emit_rendered(done):
            # --jobs N, jsonl: a worker wrote the batch as emit would have (parallel.Rendered).
            for v, n in done.verdicts.items():
                counts[v] = counts.get(v, 0) + n
            if done.spool is not None:
                from .parallel import Spool
                out.stream.copy_from(*done.spool)
                Spool.release(*done.spool)
            else:
                out.stream.write_bytes(done.text)
            written[0] += done.written

        def on_capture(path, reader, error):
            if labelled:
                emit(analyzer.flush())
            if hasattr(writer, "add_capture"):
                writer.add_capture(path, reader.stats if reader is not None else {}, error)
            if reader is not None and not args.quiet:
                line = _summary(path, reader.stats)
                if labelled:
                    line += f"; verdicts: {_verdict_counts(counts)}"
                    line += _probe_errors_text(analyzer.take_probe_errors())
                sys.stderr.write(line + "\n")
            counts.clear()

        run = _read_captures(args, progress, on_batch, on_capture, labelled,
                             on_records=emit, analyzer=analyzer,
                             on_rendered=emit_rendered if type(writer) is JsonlWriter else None)
        _finish(out, writer, run, f"{written[0]} flows")
    return _status(run, run.status)


# Distinct (kind, message) groups counted for the audit summary; beyond, one "other" line.
_AUDIT_GROUPS = 10000


def cmd_audit(args) -> int:
    """`audit`: the flows that break the policy; exit 1 when there is any."""
    from .audit import ViolationTable, check, load_policy, summary
    from .output.jsonl import JsonlWriter
    policy = load_policy(args.policy)           # ConfigError -> exit 2, before any output
    registry = _registry(args)
    analyzer = _analyzer(args, registry)        # ModelError -> exit 5, before any output
    only = _only(args)
    kinds: dict = {}
    groups: dict = {}
    seen = {"flows": 0, "captures": 0, "written": 0}
    with open_output(args.output, args.force) as out:
        progress = Progress(enabled=False if args.quiet else None,
                            output=out.stream if out.path is None else None)
        writer = (JsonlWriter if args.format == "jsonl" else ViolationTable)(
            out.stream, color=_use_color(args, out.stream))

        def on_batch(batch, recs=None):
            recs = analyzer.push(batch) if recs is None else recs
            seen["flows"] += len(recs)
            for rec in recs:
                if only is not None and rec["verdict"] not in only:
                    continue
                v = check(policy, rec)
                if v is None:
                    continue
                writer.write(v)
                seen["written"] += 1
                kinds[v["violation"]] = kinds.get(v["violation"], 0) + 1
                key = (v["violation"], v["message"])
                if key in groups or len(groups) < _AUDIT_GROUPS:
                    groups[key] = groups.get(key, 0) + 1
                else:
                    groups[("other", "violations beyond the groups counted")] = \
                        groups.get(("other", "violations beyond the groups counted"), 0) + 1

        def on_capture(path, reader, error):
            on_batch(None, analyzer.flush())
            if reader is not None:
                seen["captures"] += 1

        run = _read_captures(args, progress, on_batch, on_capture, labelled=True,
                             on_records=lambda recs: on_batch(None, recs), analyzer=analyzer)
        _finish(out, writer, run, f"{seen['written']} violations of {seen['flows']} flows checked")
    if not args.quiet:
        for line in summary(policy, seen["flows"], seen["captures"], groups, kinds):
            sys.stderr.write(line + "\n")
    if run.status != EXIT_OK:
        return _status(run, run.status)     # an unread capture: the audit is incomplete, say so first
    return _status(run, EXIT_FOUND if kinds else EXIT_OK)


def cmd_ports(args) -> int:
    """`ports`: registry lookups by port spec, service name or canonical protocol."""
    from .ports.registry import PORT_TRANSPORTS
    from .ports.spec import looks_like_port, parse_port_spec
    from .output.jsonl import JsonlWriter
    registry = _registry(args)
    rows = []
    missing = []
    for q in args.queries:
        if looks_like_port(q):
            try:
                spec = parse_port_spec(q, default_transports=PORT_TRANSPORTS)
            except ValueError as e:
                raise ConfigError(f"ports: {e}") from None
            bare = "/" not in q
            for port in range(spec.lo, spec.hi + 1):
                for t in spec.transports:
                    info = registry.lookup(port, t)
                    # A bare port shows TCP and UDP always, SCTP/DCCP only when registered.
                    if bare and t not in ("tcp", "udp") and not info.registered:
                        continue
                    rows.append((info, info.services or (None,)))
        else:
            found = registry.find(q)
            if not found:
                missing.append(q)
            key = q.strip().lower()
            for info in found:
                rows.append((info, [s for s in info.services if s.name.lower() == key or key in s.protocols]))
    out = sys.stdout
    if args.format == "jsonl":
        w = JsonlWriter(out)
        for info, services in rows:
            for s in services:
                w.write({"port": info.port, "transport": info.transport, "port_class": info.port_class,
                         "status": info.status, "service": s.name if s else None,
                         "protocols": list(s.protocols) if s else [],
                         "implies": list(s.implies) if s else [],
                         "description": s.description if s else info.note,
                         "source": s.source if s else "iana"})
    else:
        table = []
        for info, services in rows:
            for s in services:
                if s is None:
                    note = info.note or ("never assigned: RFC 6335 keeps 49152-65535 for dynamic use"
                                         if info.status == "dynamic" else "")
                    table.append((info.spec, info.port_class, "-", "-", f"({info.status}) {note}".rstrip()))
                else:
                    where = "" if s.source == "iana" else f" [{s.source}]"
                    table.append((info.spec, info.port_class, s.name, "|".join(s.implies), s.description + where))
        if table:
            widths = [max(len(r[i]) for r in table + [("PORT", "CLASS", "SERVICE", "IMPLIES", "")])
                      for i in range(4)]
            head = ("PORT", "CLASS", "SERVICE", "IMPLIES", "DESCRIPTION")
            for r in [head] + table:
                out.write("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] + "\n")
            sites = f" + site overrides {', '.join(registry.site_files)}" if registry.site_files else ""
            out.write(f"({registry.source}, {registry.date}{sites})\n")
    for q in missing:
        _err(f"ports: nothing registered as {q!r} (a service name, a canonical protocol, or a port like 443/tcp)")
    return EXIT_FOUND if missing else EXIT_OK


def cmd_protocols(args) -> int:
    """`protocols`: the protocol table, as a table, jsonl or docs/protocols.md's markdown."""
    import json
    from . import protocols as table
    rows = [p for p in table.TABLE
            if (not args.names or p.name in args.names)
            and (args.transport is None or args.transport in p.transports)]
    missing = [n for n in args.names if n not in table.BY_NAME]
    out = sys.stdout
    if args.format == "markdown":
        text = table.docs_table(rows)
        out.write("\n".join(text.splitlines()[1:-1]) + "\n")
    elif args.format == "jsonl":
        for p in rows:
            out.write(json.dumps({"protocol": p.name, "transports": list(p.transports),
                                  "ndpi": list(p.ndpi), "ndpi_by_port": list(p.ndpi_by_port),
                                  "suricata": p.suricata, "iana": list(p.iana),
                                  "compatible": list(p.compatible), "metadata": p.metadata}) + "\n")
    else:
        head = ("protocol", "transport", "nDPI", "Suricata", "IANA services", "metadata")
        def services(p):           # tls and dtls list dozens: the first few, then a count
            if len(p.iana) <= 3:
                return " ".join(p.iana) or "-"
            return " ".join(p.iana[:3]) + f" ... (+{len(p.iana) - 3})"
        cells = [(p.name, ",".join(p.transports), ",".join(p.ndpi) or "-", p.suricata or "-",
                  services(p), p.metadata or "-") for p in rows]
        widths = [max(len(r[i]) for r in [head] + cells) for i in range(5)]
        for r in ([head] + cells if cells else []):
            out.write("  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] + "\n")
        if not args.names and args.transport is None:
            out.write(f"({len(rows)} protocols)\n")
    for n in missing:
        _err(f"protocols: {n!r} is not a protocol portlens detects (`portlens protocols` lists them)")
    return EXIT_FOUND if missing else EXIT_OK


COMMANDS = {
    "protocols": cmd_protocols,
    "analyze": lambda args: cmd_flows(args, labelled=True),
    "flows": lambda args: cmd_flows(args, labelled=False),
    "audit": cmd_audit,
    "ports": cmd_ports,
    "live": cmd_live,
    "train": cmd_train,
}


def exit_code(e: PortlensError) -> int:
    """The exit code of an error a user can cause, by its type (module docstring)."""
    from .ml.model import ModelError
    if isinstance(e, OutputError):
        return EXIT_OUTPUT
    if isinstance(e, ModelError):
        return EXIT_MODEL
    if isinstance(e, CaptureError):
        return EXIT_INPUT
    from .live import CaptureFilterError, LiveCaptureError
    if isinstance(e, LiveCaptureError) and not isinstance(e, CaptureFilterError):
        return EXIT_INPUT           # the interface cannot be captured on
    # UsageError, ConfigError (site overrides, policy), and the rest: a missing optional
    # library, a setting that cannot be used.
    return EXIT_USAGE


def _quiet_stdout() -> None:
    """stdout cannot take more (a closed pipe, a full disk): point it at /dev/null, so
    the interpreter's last flush of what is buffered fails no more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


# The commands that read captures or an interface: they take Ctrl-C and SIGTERM as a
# request to stop after the batch in hand (Stop).
_STOPPABLE = ("analyze", "flows", "audit", "live")


# The commands whose run as a program ends with os._exit (main, _exit_now).
_QUICK_EXIT = ("analyze", "flows", "audit")


def main(argv: Optional[List[str]] = None) -> int:
    """The command line. Run as the program (`argv` None: the `portlens` script,
    `python -m classifier`), analyze, flows and audit end the process here once their
    output is complete (_exit_now); called with an argument list, it returns the
    exit status."""
    args: List[argparse.Namespace] = []
    if argv is None:
        _keep_freed_memory()
    status = _main(argv, args)
    if argv is None and args and args[0].command in _QUICK_EXIT and not getattr(args[0], "scheduler", None):
        _exit_now(status)
    return status


def _keep_freed_memory() -> None:
    """Run as the program on glibc: keep freed memory mapped for the next batch.
    glibc gives a block above its mmap threshold (128 KiB, raised as such blocks are
    freed) back to the kernel when it is freed, and trims the heap's top beyond 2x that:
    each batch's arrays (the model's features, the records, a few MiB) were then faulted
    in afresh, ~80k minor page faults on bench.pcap where ~38k remain now, about 4 % of
    the run's CPU time. Blocks up to 32 MiB come from the heap and up to 64 MiB of free
    space stays at its top; the peak RSS, a high-water mark, moved by ~2 MiB on
    bench.pcap. Not done when the user tunes glibc's allocator (MALLOC_*_ variables or
    GLIBC_TUNABLES), on another C library, or for library use (a host process keeps its
    own allocator settings)."""
    if any(k.startswith("MALLOC_") or k == "GLIBC_TUNABLES" for k in os.environ):
        return
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3         # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 64 << 20)


def _exit_now(status: int) -> None:
    """End the process without the interpreter's finalization. Everything the command
    wrote is complete by now (the output committed, the workers reaped, their spools
    closed); what the finalization would still do is free every object one by one and
    run a last full cyclic collection over all of them (the detectors, the model, the
    port registry): ~0.1 s of CPU on bench.pcap, in series after all the work, in every
    process count. stdout and stderr are flushed first; when that fails (a closed
    pipe) the normal exit handles it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        return
    os._exit(status)


def _main(argv: Optional[List[str]], parsed: list) -> int:
    # Every flow becomes a few dicts that live for a batch or two; with the default
    # threshold (700 allocations) the cyclic collector walks them again and again,
    # though they form no cycles. Collect less often, not never.
    gc.set_threshold(100_000, 50, 100)
    # Likewise the freed heap of a batch is kept for the next one (classifier/_heap.py).
    from ._heap import keep_heap
    keep_heap()
    parser = build_parser()
    args = parser.parse_args(argv)
    parsed.append(args)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args._stop = stop = Stop()
    try:
        with stop.installed(args.command in _STOPPABLE):
            return COMMANDS[args.command](args)
    except ConfigError as e:
        # A site overrides file or a policy that cannot be used: a usage error.
        _err(str(e))
        return EXIT_USAGE
    except PortlensError as e:
        _err(str(e))
        if isinstance(e, OutputError) and e.path == STDOUT:
            _quiet_stdout()
        return exit_code(e)
    except HardStop as e:
        out = getattr(args, "output", None)
        left = (f"{out} was not written" if out not in (None, "-")
                else "the output is incomplete")
        sys.stderr.write(f"\nportlens: stopped at once by a second {_signame(e.signum)}; {left}\n")
        return EXIT_SIGNAL + e.signum
    except KeyboardInterrupt:
        # Ctrl-C before the run had started reading (or in a command that does not stop
        # gracefully, e.g. train, ports).
        sys.stderr.write("\nportlens: interrupted\n")
        return EXIT_SIGNAL + signal.SIGINT
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        _quiet_stdout()
        return EXIT_OK
    except MemoryError:
        _err("out of memory; lower --max-flows or --max-payload-memory")
        return EXIT_SOFTWARE
    except Exception as e:                      # a bug of ours, not bad input
        if os.environ.get("PORTLENS_DEBUG"):
            raise
        _err(f"internal error: {type(e).__name__}: {e} (a bug; PORTLENS_DEBUG=1 shows the traceback)")
        return EXIT_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
