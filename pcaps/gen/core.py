"""Shared machinery of the corpus generator: ports, processes, capture, labels, manifest.

Every per-protocol module only says *what* to start and *which port carries what*;
this module does the rest, in one place:

- ports: random high ports from a seeded RNG (below the kernel's ephemeral range, so a
  capture filter on a server port never catches an unrelated client socket);
- processes: servers run in their own session and are ended by their own PID / process
  group; the generator is a child subreaper, so daemons that fork are re-parented to it
  and reaped here (PID 1 on these machines does not reap zombies);
- capture: tcpdump on ``lo`` with ``--immediate-mode -U``, started before the client and
  stopped ~1 s after it, with a BPF filter built from the exchange's own ports;
- labels: the flows are read back from the capture with dpkt (client = SYN sender for
  TCP, first sender for UDP) and each one is labelled from what the generator knows it
  started on that port.  A flow that no expectation explains fails the exchange: every
  flow in a committed capture has a manifest line.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata

import dpkt

# Random server ports come from here: high, non-standard, and below the kernel's
# ephemeral range (32768-60999) so client sockets never collide with them.
RANDOM_PORT_LO = 20000
RANDOM_PORT_HI = 32000

MANIFEST_KEYS = (
    "capture", "protocol", "inner", "variant", "transport", "client", "client_port",
    "server", "server_port", "server_software", "server_version", "client_software",
    "port_mode", "how",
)

LOOPBACK = "127.0.0.1"
TMP_ROOT = ""       # set by Ctx; cmd() hides it from the manifest
CURRENT_MODULE = "" # set by Ctx.module; cmd() names it for inline scripts


class ExchangeFailed(RuntimeError):
    """An exchange did not produce what it should: its capture is discarded."""


def log(*args):
    print("[gen]", *args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- versions

_deb_cache: dict[str, str] = {}


def deb_version(pkg: str) -> str:
    """Installed version of a Debian package (the manifest's server/client version)."""
    if pkg not in _deb_cache:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                             capture_output=True, text=True)
        _deb_cache[pkg] = out.stdout.strip() or "unknown"
    return _deb_cache[pkg]


def pip_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- ports

def _bound_ports(transport: str) -> set[int]:
    """Ports bound on this machine (any state for UDP, LISTEN or any for TCP)."""
    ports = set()
    for name in (f"/proc/net/{transport}", f"/proc/net/{transport}6"):
        try:
            with open(name) as fh:
                next(fh)
                for line in fh:
                    local = line.split()[1]
                    ports.add(int(local.rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def is_listening(transport: str, port: int, pid: int | None = None) -> bool:
    """True when something listens on (TCP, state 0A) or is bound to (UDP) the port.

    Read from /proc rather than by connecting: a probe connection would be a flow of
    its own and some servers log or throttle it.  ``pid``: read the network namespace
    of that process (/proc/PID/net), for a server started in another namespace.
    """
    net = f"/proc/{pid}/net" if pid else "/proc/net"
    for name in (f"{net}/{transport}", f"{net}/{transport}6"):
        try:
            with open(name) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    if int(parts[1].rsplit(":", 1)[1], 16) != port:
                        continue
                    if transport == "udp" or parts[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False


# --------------------------------------------------------------------------- flows

@dataclass
class Flow:
    transport: str
    client: str
    client_port: int
    server: str
    server_port: int
    first_ts: float
    packets: int = 0
    payload: int = 0
    closed: bool = False


def _addr(ip) -> str:
    fam = socket.AF_INET if len(ip) == 4 else socket.AF_INET6
    return socket.inet_ntop(fam, ip)


def read_capture_flows(path: str, midstream: bool = False) -> list[Flow]:
    """Flows of an Ethernet pcap, the generator's own reference reading (dpkt, slow).

    TCP: the client is the sender of the SYN without ACK; a new SYN on a 5-tuple whose
    previous flow was closed (FIN/RST) starts a new flow.  UDP: the first sender.
    ``midstream``: the capture was cut on purpose (a sensor that joined late, see
    Capture.midstream), so a TCP flow without its SYN is one whose first sender is the
    client (the product's and tests/test_corpus.py's reading); otherwise it is an error.
    """
    flows: list[Flow] = []
    live: dict[tuple, Flow] = {}
    with open(path, "rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            l4 = ip.data
            if isinstance(l4, dpkt.tcp.TCP):
                transport = "tcp"
            elif isinstance(l4, dpkt.udp.UDP):
                transport = "udp"
            else:
                continue
            src, dst = (_addr(ip.src), l4.sport), (_addr(ip.dst), l4.dport)
            key = (transport,) + tuple(sorted([src, dst]))
            flow = live.get(key)
            syn_only = transport == "tcp" and (l4.flags & dpkt.tcp.TH_SYN) and not (l4.flags & dpkt.tcp.TH_ACK)
            if flow is None or (syn_only and flow.closed):
                if transport == "tcp" and not syn_only and not midstream:
                    # Mid-stream start: cannot tell the opener; the generator always
                    # starts tcpdump before the client, so this is a real anomaly.
                    raise ExchangeFailed(f"{path}: TCP flow {src}->{dst} without SYN")
                flow = Flow(transport, src[0], src[1], dst[0], dst[1], ts)
                live[key] = flow
                flows.append(flow)
            flow.packets += 1
            flow.payload += len(l4.data)
            if transport == "tcp" and l4.flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST):
                flow.closed = True
    flows.sort(key=lambda f: f.first_ts)
    return flows


# --------------------------------------------------------------------------- labels

@dataclass
class Expect:
    """What the generator knows runs on a port (or port range) during one capture."""
    transport: str
    ports: tuple[int, int]          # inclusive range; a single port is (p, p)
    protocol: str
    server_software: str
    server_version: str
    client_software: str
    how: str
    inner: str | None = None
    variant: str | None = None
    side: str = "server"            # "server": match the flow's server port; "any": either end
    required: bool = True
    hits: int = 0

    def matches(self, flow: Flow) -> bool:
        if flow.transport != self.transport:
            return False
        lo, hi = self.ports
        if lo <= flow.server_port <= hi:
            return True
        return self.side == "any" and lo <= flow.client_port <= hi


class Capture:
    """One capture file: tcpdump running on lo, filtered to the exchange's ports."""

    def __init__(self, ctx: "Ctx", name: str, protocol: str):
        self.ctx = ctx
        self.name = name               # file name relative to the corpus dir
        self.protocol = protocol
        self.expects: list[Expect] = []
        self.extra_filter: list[str] = []
        self.proc: subprocess.Popen | None = None
        self.path = os.path.join(ctx.out_dir, name)
        # Where tcpdump listens: loopback, or (pcaps/gen/realistic.py) a veth end in a
        # network namespace, ``netns`` being the argv prefix that enters it.
        self.iface = "lo"
        self.netns: list[str] = []
        # Set by a module that cuts its capture after stopping it (flows whose start
        # is not in the file): its TCP flows are then read from their first packet.
        self.midstream = False

    def expect(self, transport, port, protocol, *, server, client, how, inner=None,
               variant=None, side="server", required=True) -> Expect:
        """Declare that flows on ``port`` carry ``protocol``.  ``server`` is
        (software, version); ``port`` an int or an inclusive (lo, hi) range."""
        ports = (port, port) if isinstance(port, int) else tuple(port)
        exp = Expect(transport, ports, protocol, server[0], server[1], client, how,
                     inner, variant, side, required)
        self.expects.append(exp)
        return exp

    def bpf(self) -> str:
        parts = []
        for e in self.expects:
            lo, hi = e.ports
            parts.append(f"{e.transport} port {lo}" if lo == hi else f"{e.transport} portrange {lo}-{hi}")
        parts.extend(self.extra_filter)
        return " or ".join(f"({p})" for p in dict.fromkeys(parts))

    def start(self):
        if not self.expects:
            raise ExchangeFailed(f"{self.name}: no expectations declared before capture")
        log(f"capture {self.name}: {self.bpf()}")
        self.proc = subprocess.Popen(
            [*self.netns, "tcpdump", "-i", self.iface, "-n", "-s", "0", "--immediate-mode", "-U",
             "-w", self.path, self.bpf()],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        # The notes: tcpdump loses everything if the client starts before it listens.
        deadline = time.time() + 10
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if "listening on" in line:
                return
            if not line and self.proc.poll() is not None:
                break
        raise ExchangeFailed(f"{self.name}: tcpdump did not start")

    def stop(self):
        if self.proc is None:
            return
        time.sleep(self.ctx.settle)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc.stderr.close()
        self.proc = None

    def label(self) -> list[dict]:
        """Manifest lines: one per flow found in the capture, from the expectations."""
        flows = read_capture_flows(self.path, self.midstream)
        if not flows:
            raise ExchangeFailed(f"{self.name}: capture holds no flow")
        lines = []
        for f in flows:
            exp = next((e for e in self.expects if e.matches(f)), None)
            if exp is None:
                raise ExchangeFailed(f"{self.name}: unexplained flow {f}")
            exp.hits += 1
            client, cport, server, sport = f.client, f.client_port, f.server, f.server_port
            lines.append(dict(zip(MANIFEST_KEYS, (
                self.name, exp.protocol, exp.inner, exp.variant, f.transport,
                client, cport, server, sport, exp.server_software, exp.server_version,
                exp.client_software, self.ctx.mode, exp.how))))
        missing = [e for e in self.expects if e.required and not e.hits]
        if missing:
            raise ExchangeFailed(f"{self.name}: no flow for {[(m.protocol, m.ports) for m in missing]}")
        if not any(f.payload for f in flows):
            raise ExchangeFailed(f"{self.name}: no payload captured")
        return lines


# --------------------------------------------------------------------------- context

class Proc:
    def __init__(self, name: str, popen: subprocess.Popen, logpath: str):
        self.name, self.popen, self.logpath = name, popen, logpath

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def log_tail(self, n=20) -> str:
        try:
            with open(self.logpath, errors="replace") as fh:
                return "".join(fh.readlines()[-n:])
        except OSError:
            return ""


def _become_subreaper():
    """Orphans of daemons we start get re-parented to us, so we can reap them."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _short(argv) -> str:
    text = argv if isinstance(argv, str) else cmd(argv)
    return text if len(text) < 240 else text[:200] + " ..."


class Ctx:
    """Per-run state handed to every protocol module."""

    def __init__(self, out_dir: str, seed: int, settle: float = 1.0, keep_tmp=False):
        self.out_dir = out_dir
        self.rng = random.Random(seed)
        self.seed = seed
        self.settle = settle
        self.keep_tmp = keep_tmp
        self.mode = "random"
        self.lines: list[dict] = []
        self.failures: list[str] = []
        self.produced: list[str] = []
        self.procs: list[Proc] = []
        self._used_ports: set[int] = set()
        self._counters: dict[str, int] = {}
        self.tmp_root = tempfile.mkdtemp(prefix="portlens-gen-")
        os.chmod(self.tmp_root, 0o755)   # servers that drop privileges read configs here
        global TMP_ROOT
        TMP_ROOT = self.tmp_root
        self.module = "?"
        _become_subreaper()

    @property
    def module(self) -> str:
        return self._module

    @module.setter
    def module(self, name: str):
        global CURRENT_MODULE
        self._module = CURRENT_MODULE = name

    # ---- ports
    def port(self, iana: int | None = None, transport: str = "tcp") -> int:
        """The server port for this run: the IANA port in the iana run, else a fresh
        random high port from the seeded RNG (skipping ports already bound)."""
        if self.mode in ("iana", "mismatch-demo"):
            if iana is None:
                raise ExchangeFailed("no IANA port")
            return iana
        while True:
            p = self.rng.randrange(RANDOM_PORT_LO, RANDOM_PORT_HI)
            if p in self._used_ports or p in _bound_ports("tcp") | _bound_ports("udp"):
                continue
            self._used_ports.add(p)
            return p

    def port_range(self, n: int) -> tuple[int, int]:
        """A contiguous range of n free random high ports (passive FTP, TFTP, TURN relay)."""
        busy = _bound_ports("tcp") | _bound_ports("udp")
        while True:
            lo = self.rng.randrange(RANDOM_PORT_LO, RANDOM_PORT_HI - n)
            rng = set(range(lo, lo + n))
            if rng & (busy | self._used_ports):
                continue
            self._used_ports |= rng
            return lo, lo + n - 1

    # ---- files
    def tmp(self, *parts) -> str:
        path = os.path.join(self.tmp_root, self.module, *parts)
        os.makedirs(path, exist_ok=True)
        return path

    def write(self, path: str, text: str, mode: int | None = None) -> str:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(path, mode)
        return path

    # ---- processes
    def start(self, name: str, argv, *, wait: tuple[str, int] | None = None, env=None,
              cwd=None, user=None, timeout: float = 20, delay: float = 0.0, stdin=None,
              netns: str | None = None) -> Proc:
        """Start a server in its own session; wait until it listens on ``wait``.
        ``netns``: in that network namespace (``ip netns exec`` execs the server, so the
        PID is the server's and ``wait`` reads that namespace's sockets)."""
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        logpath = os.path.join(self.tmp("logs"), f"{name}.log")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        fh = open(logpath, "ab")
        popen = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=full_env,
                                 cwd=cwd, user=user, start_new_session=True,
                                 stdin=stdin if stdin is not None else subprocess.DEVNULL)
        fh.close()
        proc = Proc(name, popen, logpath)
        self.procs.append(proc)
        if wait:
            deadline = time.time() + timeout
            while not is_listening(*wait, pid=popen.pid if netns else None):
                if not proc.alive():
                    raise ExchangeFailed(f"{name} exited rc={popen.returncode}: {proc.log_tail()}")
                if time.time() > deadline:
                    raise ExchangeFailed(f"{name} not listening on {wait}: {proc.log_tail()}")
                time.sleep(0.1)
        if delay:
            time.sleep(delay)
        if not proc.alive():
            raise ExchangeFailed(f"{name} exited rc={popen.returncode}: {proc.log_tail()}")
        return proc

    def stop(self, proc: Proc, sig=signal.SIGTERM, timeout: float = 10):
        """End a server by its own PID (and its process group, which it leads)."""
        if proc in self.procs:
            self.procs.remove(proc)
        if proc.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.popen.wait()
        else:
            # Leader gone, but children in its group may live on (forking daemons).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        self.reap_orphans()

    def stop_all(self):
        for proc in list(reversed(self.procs)):
            self.stop(proc)
        self.reap_orphans(kill=True)

    def reap_orphans(self, kill=False):
        """Reap (and with ``kill``, end by PID) daemons re-parented to the generator."""
        me = os.getpid()
        if kill:
            for stat in glob.glob("/proc/[0-9]*/stat"):
                try:
                    with open(stat) as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    pid = int(stat.split("/")[2])
                except (OSError, IndexError, ValueError):
                    continue
                if int(fields[1]) == me and not any(p.pid == pid for p in self.procs):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            time.sleep(0.3)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def run(self, argv, *, input=None, timeout: float = 30, env=None, check=True, cwd=None,
            user=None, shell=False) -> subprocess.CompletedProcess:
        """Run a client to completion (killed, with its group, after ``timeout``)."""
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        log("  $", _short(argv))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                             cwd=cwd, user=user, shell=shell, start_new_session=True)
        try:
            out, err = p.communicate(input.encode() if isinstance(input, str) else input,
                                     timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            if check:
                raise ExchangeFailed(f"client timed out: {_short(argv)}\n{err.decode(errors='replace')[-800:]}")
        res = subprocess.CompletedProcess(argv, p.returncode, out, err)
        if check and p.returncode != 0:
            raise ExchangeFailed(f"client failed rc={p.returncode}: {_short(argv)}\n"
                                 f"{err.decode(errors='replace')[-800:]}{out.decode(errors='replace')[-400:]}")
        return res

    # ---- captures
    @contextlib.contextmanager
    def capture(self, protocol: str, name: str | None = None):
        """``with ctx.capture("redis") as cap: cap.expect(...); cap.start(); <client>``.

        The capture is named ``<protocol>-<n>.pcap`` (n counts per protocol in the
        run) unless an explicit name is given (mismatch demos).  On any failure the
        file is removed and the failure recorded; the run goes on.
        """
        if name is None:
            n = self._counters.get(protocol, 0) + 1
            self._counters[protocol] = n
            name = f"{protocol}-{n}.pcap"
        cap = Capture(self, name, protocol)
        try:
            yield cap
            cap.stop()
            lines = cap.label()
        except Exception as exc:       # one bad exchange must not sink the run
            cap.stop()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(cap.path)
            msg = f"{self.module}/{name} ({self.mode}): {type(exc).__name__}: {exc}"
            log("FAILED", msg)
            self.failures.append(msg)
            if name.startswith(protocol + "-"):
                self._counters[protocol] -= 1   # keep numbering dense
            return
        self.lines.extend(lines)
        self.produced.append(name)
        log(f"  ok {name}: {len(lines)} flow(s)")

    def cleanup(self):
        self.stop_all()
        if not self.keep_tmp:
            shutil.rmtree(self.tmp_root, ignore_errors=True)


# --------------------------------------------------------------------------- manifest

def natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def write_manifest(path: str, lines: list[dict], first_ts: dict | None = None):
    """Lines sorted by capture (natural order) then by the flow's order in it."""
    lines = sorted(enumerate(lines), key=lambda il: (natural_key(il[1]["capture"]), il[0]))
    with open(path, "w") as fh:
        for _, line in lines:
            fh.write(json.dumps({k: line[k] for k in MANIFEST_KEYS}) + "\n")


def read_manifest(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(l) for l in fh if l.strip()]


def cmd(argv) -> str:
    """A command line as the manifest's ``how`` shows it: the python path shortened
    and the per-run temp dir written ``$TMP``, so that labels do not vary by run."""
    import shlex
    parts = []
    for i, a in enumerate(argv):
        a = "python3" if a == sys.executable else str(a)
        if i and argv[i - 1] == "-c" and ("\n" in a or len(a) > 60):
            a = f"<inline script in pcaps/gen/{CURRENT_MODULE}.py>"   # keep `how` short
        parts.append(a)
    text = shlex.join(parts)
    return text.replace(TMP_ROOT, "$TMP") if TMP_ROOT else text


SPEC_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "spec_peer.py")
SPEC_SOFTWARE = ("spec-built-python", "1")


def spec_exchange(ctx: "Ctx", proto: str, transport: str, port: int, steps, name: str, variant: str,
                  server=SPEC_SOFTWARE, client: str = "spec-built-python",
                  against: str = " against spec_peer.py server") -> None:
    """One capture of ``proto``: the scripted exchange ``steps`` ([(side, bytes)]) played by
    two pcaps/gen/peers/spec_peer.py processes on loopback ``port``.  ``name`` is the
    script's file name as the manifest's ``how`` shows it, ``variant`` the manifest's
    variant text; ``server``/``client`` its software fields (spec-built unless the bytes
    come from real software, as protobuf's do)."""
    script = ctx.write(os.path.join(ctx.tmp("scripts"), name),
                       json.dumps([(side, data.hex()) for side, data in steps]))
    srv = ctx.start(f"{proto}-peer", [sys.executable, SPEC_PEER, "server", transport, str(port), script],
                    wait=(transport, port))
    argv = [sys.executable, SPEC_PEER, "client", transport, str(port), script]
    with ctx.capture(proto) as cap:
        cap.expect(transport, port, proto, variant=variant, server=server, client=client,
                   how=cmd(argv).replace(SPEC_PEER, "pcaps/gen/peers/spec_peer.py").replace(script, name) + against)
        cap.start()
        ctx.run(argv, timeout=20)
    ctx.stop(srv)
