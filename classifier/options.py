"""What the command-line options become: the flow configuration, the port registry,
the analyzer, the verdict filter and the list of captures. Shared by the serial path
(cli.py) and the parallel ones (parallel.py, distributed.py), which build the same
objects from the same options in their workers, so neither needs the command module.
"""
from __future__ import annotations

import glob
import os
from typing import List, Optional, Tuple

from .errors import UsageError
from .flows import FlowConfig
from .pipeline import Analyzer

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def flow_config(args) -> FlowConfig:
    if not 0 <= args.udp_datagrams <= 8:
        raise UsageError("--udp-datagrams must be between 0 and 8")
    if args.max_flows < 1:
        raise UsageError("--max-flows must be at least 1")
    return FlowConfig(
        payload_bytes=args.payload_bytes, udp_datagrams=args.udp_datagrams,
        idle_tcp=args.idle_timeout_tcp, idle_udp=args.idle_timeout_udp,
        closed=args.closed_timeout, active=args.active_timeout, max_flows=args.max_flows,
        max_payload_mem=args.max_payload_memory, decap=not args.no_decap,
    )


def registry_from_args(args):
    from .ports import load_registry
    return load_registry(getattr(args, "site_ports", None) or ())


def analyzer_from_args(args, registry) -> Analyzer:
    """Detectors, the model as --ml/--model say (ModelError: exit 5, before any
    output), and verdicts against `registry`."""
    from .ml.combine import MLStage
    from .detectors.rules import engine_with_rules
    return Analyzer(ml=MLStage.from_args(args), registry=registry,
                    engine=engine_with_rules(getattr(args, "rules", None) or ()),
                    min_confidence=getattr(args, "min_confidence", 0.0) or 0.0)


def _is_capture_name(name: str) -> bool:
    n = name.lower()
    if n.endswith(".gz"):
        n = n[:-3]
    return n.endswith(CAPTURE_SUFFIXES)


def _directory_captures(path: str) -> List[str]:
    found = []
    for root, dirs, files in os.walk(path, onerror=None):
        dirs.sort()
        for f in sorted(files):
            if _is_capture_name(f) and not f.startswith(".portlens-"):
                found.append(os.path.join(root, f))
    return found


def expand_inputs(files) -> List[Tuple[str, Optional[str]]]:
    """The captures the FILE arguments name, in order, as (path, problem): a directory
    gives every capture inside it, recursively, sorted (*.pcap, *.pcapng, *.cap, and
    each of those .gz); a glob pattern the shell left alone (quoted, or matching
    nothing there) is expanded here, sorted. `problem` is set for a directory without
    a capture or a pattern matching nothing; any other path is left to the reader."""
    out: List[Tuple[str, Optional[str]]] = []
    for arg in files:
        if arg == "-":
            out.append((arg, None))
            continue
        if os.path.isdir(arg):
            found = _directory_captures(arg)
            if not found:
                out.append((arg, "a directory with no capture in it (looked for *.pcap, *.pcapng, "
                                 "*.cap and their .gz, recursively)"))
            out.extend((f, None) for f in found)
            continue
        if not os.path.lexists(arg) and glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                out.append((arg, "no file matches this pattern"))
            for m in matches:
                if os.path.isdir(m):
                    out.extend((f, None) for f in _directory_captures(m))
                else:
                    out.append((m, None))
            continue
        out.append((arg, None))
    return out


def only_verdicts(args):
    only = getattr(args, "only", None)
    return None if not only else frozenset(v for group in only for v in group)
