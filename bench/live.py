#!/usr/bin/env python3
"""Live capture benchmark (issue 20): the bench traffic replayed over a veth pair
between two network namespaces this script creates (and removes), at fixed rates, with
portlens and the reference tools capturing on the receiving end in the same run.

    ip netns add plb-tx-PID / plb-rx-PID; veth pair plt-PID <-> plr-PID, one end in each
    tcpreplay --pps R (or --topspeed) on the tx end; nothing leaves the namespaces
    capturing on the rx end, one tool at a time, each with the same capture buffer:
      portlens live --ml off        detectors and verdicts, no model
      portlens live                 the default (model as fallback)
      tcpdump -B KiB -w /dev/null   drop counts from its exit message
      suricata --pcap               protocol detection, no rules (-S /dev/null -k none),
                                    pcap buffer-size the same; drops from its stats
                                    (capture.kernel_drops), flows from its EVE flow events

usage: sudo python bench/live.py [--capture PATH] [--rates 50000,200000,500000,top]
                                 [--buffer-size 64M] [--tools LIST] [--compare TREE]
                                 [--loop N] [--json PATH]

Per rate and tool: packets sent (tcpreplay's successful packets) and the rate it
achieved, received (libpcap's "received by filter"; Suricata's count leaves its kernel
drops out), dropped by the kernel and by the interface, packets the tool processed,
flows it reported, and its CPU time (user + system, from wait4). `--compare TREE` also runs
`portlens live` from another source tree built in place (e.g. an earlier commit, for a
before/after); a tree whose `live` has no drop counters shows "-" there, and its loss
is sent minus processed.

Each tool is stopped with a signal after the replay and a 2 s drain (portlens: SIGTERM,
which must flush and summarise; tcpdump and Suricata: SIGINT). portlens writes its
records to /dev/null (stdout). The machine's other load makes the figures noisy: run
it twice before trusting a difference, and read the references in the same table.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SURICATA_YAML = """%YAML 1.1
---
pcap:
  - interface: {iface}
    buffer-size: {buf}
    checksum-checks: no
outputs:
  - fast:
      enabled: no
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - flow
        - stats:
            totals: yes
            threads: no
  - stats:
      enabled: no
stats:
  enabled: yes
  interval: 1
"""


def sh(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True, **kw)


class Netns:
    """Two namespaces joined by a veth pair; removed on exit."""

    def __init__(self):
        tag = str(os.getpid() % 100000)
        self.tx, self.rx = f"plb-tx-{tag}", f"plb-rx-{tag}"
        self.tx_if, self.rx_if = f"plt{tag}", f"plr{tag}"

    def __enter__(self):
        sh("ip", "netns", "add", self.tx)
        sh("ip", "netns", "add", self.rx)
        try:
            sh("ip", "link", "add", self.tx_if, "netns", self.tx, "type", "veth",
               "peer", "name", self.rx_if, "netns", self.rx)
            for ns, ifc in ((self.tx, self.tx_if), (self.rx, self.rx_if)):
                # No IPv6 autoconfiguration chatter on the wire we measure.
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{ifc}.disable_ipv6=1", check=False)
                sh("ip", "-n", ns, "link", "set", ifc, "mtu", "9000")
                sh("ip", "-n", ns, "link", "set", ifc, "up")
            sh("ip", "-n", self.rx, "link", "set", self.rx_if, "promisc", "on")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        sh("ip", "netns", "del", self.tx, check=False)
        sh("ip", "netns", "del", self.rx, check=False)

    def in_rx(self, cmd):
        return ["ip", "netns", "exec", self.rx] + cmd

    def in_tx(self, cmd):
        return ["ip", "netns", "exec", self.tx] + cmd


def replay(net, cap, rate, loop=1):
    cmd = ["tcpreplay", "--preload-pcap", f"--intf1={net.tx_if}", f"--loop={loop}"]
    cmd += ["--topspeed"] if rate == "top" else [f"--pps={rate}"]
    res = sh(*net.in_tx(cmd + [cap]), check=False)
    text = res.stdout + res.stderr
    ok = re.search(r"Successful packets:\s+(\d+)", text)
    failed = re.search(r"Failed packets:\s+(\d+)", text)
    pps = re.search(r"Rated:.*?([\d.]+) pps", text)
    if not ok:
        raise SystemExit(f"tcpreplay failed:\n{text}")
    return {"sent": int(ok.group(1)), "send_failed": int(failed.group(1)) if failed else 0,
            "achieved_pps": round(float(pps.group(1))) if pps else None}


def wait_for(path, pattern, proc, timeout=60):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            return False
        try:
            with open(path, errors="replace") as fh:
                if re.search(pattern, fh.read()):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    return False


def run_tool(net, tool, cap, rate, buf, tmp, compare=None, packets=None, loop=1):
    """Start `tool` on the rx end, replay, drain, stop it; its figures."""
    errlog = os.path.join(tmp, "stderr.txt")
    logdir = tempfile.mkdtemp(dir=tmp)
    env = dict(os.environ)
    ready = None
    stop_sig = signal.SIGINT
    if tool.startswith("portlens"):
        tree = compare or ROOT
        env["PYTHONPATH"] = tree
        cmd = [sys.executable, "-m", "classifier", "live", "-i", net.rx_if, "-f", "jsonl"]
        if not compare:
            cmd += ["--buffer-size", str(buf), "--stats-interval", "0"]
        else:
            # An older `live` may not survive SIGTERM (or SIGINT) with its summary:
            # let it end by itself, well after the replay and the drain.
            # tcpreplay may reach far less than the asked rate on a loaded machine.
            est = (packets or 1_000_000) * loop / 40_000
            cmd += ["--duration", str(round(6 + est + 4))]
        if "ml off" in tool:
            cmd += ["--ml", "off"]
        ready = r"capturing" if not compare else None
        stop_sig = signal.SIGTERM if not compare else None
        cwd = tree
    elif tool == "tcpdump":
        cmd = ["tcpdump", "-i", net.rx_if, "-n", "-s", "65535", "-B", str(buf // 1024), "-w", "/dev/null"]
        ready, cwd = r"listening on", None
    elif tool == "suricata":
        yaml = os.path.join(logdir, "bench.yaml")
        with open(yaml, "w") as fh:
            fh.write(SURICATA_YAML.format(iface=net.rx_if, buf=buf))
        cmd = ["suricata", "--pcap=" + net.rx_if, "-l", logdir, "-k", "none", "-S", "/dev/null",
               "--include", yaml]
        ready, cwd = r"[Ee]ngine started|all \d+ packet processing threads", None
    else:
        raise SystemExit(f"unknown tool {tool}")
    with open(errlog, "w") as err:
        p = subprocess.Popen(net.in_rx(cmd), stdout=err if tool == "suricata" else subprocess.DEVNULL,
                             stderr=err, cwd=cwd, env=env)
    try:
        if ready is None:
            time.sleep(6)
        elif not wait_for(errlog, ready, p):
            raise SystemExit(f"{tool} did not start:\n{open(errlog).read()[-2000:]}")
        time.sleep(0.5)
        sent = replay(net, cap, rate, loop)
        time.sleep(2.0)
        if stop_sig is not None:
            p.send_signal(stop_sig)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        p.kill()
        p.wait()
        raise
    text = open(errlog, errors="replace").read()
    row = dict(sent, tool=tool, rate=rate, exit=p.returncode, cpu_s=round(ru.ru_utime + ru.ru_stime, 1))
    if tool.startswith("portlens"):
        m = re.search(r"live:\S+: (\d+) packets, \d+ bytes, (\d+) flows", text)
        if not m:
            raise SystemExit(f"{tool}: no summary (exit {p.returncode}):\n{text[-2000:]}")
        row.update(processed=int(m.group(1)), flows=int(m.group(2)))
        d = re.search(r"received by filter (\d+), dropped by kernel (\d+)(?: \([\d.]+%\))?, "
                      r"dropped by interface (\d+)", text)
        if d:
            row.update(received=int(d.group(1)), kernel_drops=int(d.group(2)), if_drops=int(d.group(3)))
    elif tool == "tcpdump":
        g = lambda pat: (lambda m: int(m.group(1)) if m else None)(re.search(pat, text))
        row.update(processed=g(r"(\d+) packets? captured"), received=g(r"(\d+) packets? received by filter"),
                   kernel_drops=g(r"(\d+) packets? dropped by kernel"),
                   if_drops=g(r"(\d+) packets? dropped by interface") or 0, flows=None)
    else:
        last, flows = None, 0
        eve = os.path.join(logdir, "eve.json")
        with open(eve, errors="replace") as fh:
            for line in fh:
                if '"event_type":"flow"' in line:
                    flows += 1
                elif '"event_type":"stats"' in line:
                    last = line
        st = json.loads(last)["stats"] if last else {}
        capst = st.get("capture", {})
        row.update(received=capst.get("kernel_packets"), kernel_drops=capst.get("kernel_drops"),
                   if_drops=capst.get("kernel_ifdrops", 0), processed=st.get("decoder", {}).get("pkts"),
                   flows=flows)
        # Its exit line has the final kernel counts (the last stats event may be a
        # second old): "device: plr123: packets: 49119, drops: 0 (0.00%), ..."
        m = re.search(r"device: \S+: packets: (\d+), drops: (\d+)", text)
        if m:
            row.update(received=int(m.group(1)), kernel_drops=int(m.group(2)))
    shutil.rmtree(logdir, ignore_errors=True)
    return row


def fmt(v):
    return "-" if v is None else (f"{v:,}" if isinstance(v, int) else str(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capture", default=os.path.join(HERE, "bench.pcap"))
    ap.add_argument("--rates", default="50000,200000,500000,top")
    ap.add_argument("--buffer-size", default="64M")
    ap.add_argument("--tools", default="portlens --ml off,portlens,tcpdump,suricata")
    ap.add_argument("--compare", action="append", default=[], metavar="TREE",
                    help="also run `portlens live` (--ml off and default) from this source tree")
    ap.add_argument("--loop", type=int, default=1,
                    help="replay the capture this many times per run (a sustained rate: the "
                         "capture buffer can hide a deficit over a short replay)")
    ap.add_argument("--json", metavar="PATH", help="write the rows here too")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/live.py needs root (network namespaces, capture)")
    from classifier.cli import _size
    buf = _size(args.buffer_size)
    cap = os.path.abspath(args.capture)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from inputs import require_capture
    require_capture("bench/live.py", cap)           # one line and exit 2 when missing
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for exe, needed_by in (("tcpreplay", "replay"), ("tcpdump", "tcpdump"), ("suricata", "suricata")):
        if not shutil.which(exe):
            if exe == "tcpreplay":
                raise SystemExit("tcpreplay is missing (apt-get install tcpreplay)")
            print(f"{exe} missing: skipped", file=sys.stderr)
            tools = [t for t in tools if t != needed_by]
    jobs = [(t, None) for t in tools]
    for tree in args.compare:
        for t in ("portlens --ml off", "portlens"):
            jobs.append((f"{t} @{os.path.basename(os.path.abspath(tree))}", os.path.abspath(tree)))
    rates = [r if r == "top" else int(r) for r in args.rates.split(",")]
    offline = sh(sys.executable, "-m", "classifier", "flows", cap, "-f", "jsonl", "-o", "/dev/null",
                 cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), check=False).stderr
    m = re.search(r"(\d+) packets, \d+ bytes, (\d+) flows", offline)
    print(f"capture {cap}: {m.group(1)} packets, {m.group(2)} flows offline (portlens flows)" if m else offline)
    rows = []
    tmp = tempfile.mkdtemp(prefix="portlens-live-bench-")
    try:
        with Netns() as net:
            for rate in rates:
                for tool, tree in jobs:
                    row = run_tool(net, tool, cap, rate, buf, tmp, compare=tree,
                                   packets=int(m.group(1)) if m else None, loop=args.loop)
                    rows.append(row)
                    print(f"  {rate:>7} {tool:28s} sent {row['sent']:>9,} at {fmt(row['achieved_pps']):>9} pps; "
                          f"processed {fmt(row['processed'])}, kernel drops {fmt(row.get('kernel_drops'))}",
                          file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = ("rate (pps)", "achieved", "tool", "sent", "received", "dropped kernel", "dropped iface",
            "processed", "lost %", "flows", "CPU s", "exit")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        lost = 100.0 * (r["sent"] - (r["processed"] or 0)) / r["sent"] if r["sent"] else 0.0
        print("| " + " | ".join([fmt(r["rate"]), fmt(r["achieved_pps"]), r["tool"], fmt(r["sent"]),
                                 fmt(r.get("received")), fmt(r.get("kernel_drops")), fmt(r.get("if_drops")),
                                 fmt(r["processed"]), f"{lost:.2f}", fmt(r.get("flows")), fmt(r["cpu_s"]), fmt(r["exit"])]) + " |")
    print(f"buffer {args.buffer_size} for every tool (a --compare tree: its own; main before issue 20: "
          f"libpcap's 2 MiB); {os.cpu_count()} CPUs shared with other jobs: noisy; "
          "'lost %' = (sent - processed) / sent; 'CPU s': the capturing process's user + system time; "
          "Suricata's 'received' excludes its kernel drops, libpcap's (portlens, tcpdump) includes them")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
