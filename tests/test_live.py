"""Live capture on the loopback interface, through pcapy-ng into the C engine.
Skips where this process may not capture (a user without CAP_NET_RAW)."""
import json
import socket
import subprocess
import sys
import threading
import time

import pytest


def _can_capture():
    try:
        import pcapy
        pcapy.open_live("lo", 128, False, 10).close()
        return True
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _can_capture(), reason="no capture rights on lo")


def _free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    return s, port


def _live_on_loopback(port, traffic, srv):
    """`portlens live` on lo for 2.5 s, filtered to udp `port`, while `traffic` runs in
    a thread; the server socket is closed afterwards. Returns the finished process."""
    threading.Thread(target=traffic).start()
    res = subprocess.run([sys.executable, "-m", "classifier", "live", "-i", "lo", "--filter", f"udp port {port}",
                          "--duration", "2.5", "-f", "jsonl"], capture_output=True, timeout=30)
    srv.close()
    return res


def test_live_udp_exchange_is_one_flow_with_both_directions():
    from classifier.live import LiveCapture
    srv, port = _free_udp_port()

    def exchange():
        time.sleep(0.5)
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(3):
            cli.sendto(b"ping %d" % i, ("127.0.0.1", port))
            data, addr = srv.recvfrom(100)
            srv.sendto(b"pong " + data, addr)
            cli.recvfrom(100)
        cli.close()

    t = threading.Thread(target=exchange)
    t.start()
    cap = LiveCapture("lo", f"udp port {port}")
    flows = [f for b in cap.batches(duration=2.0) for f in b]
    t.join()
    srv.close()
    assert len(flows) == 1
    f = flows[0]
    assert (f.transport, f.server_port, f.packets_c2s, f.packets_s2c) == ("udp", port, 3, 3)
    assert f.datagrams_c2s == [b"ping 0", b"ping 1", b"ping 2"]
    assert cap.stats["packets"] == 6


def test_live_cli_reports_flows_and_exits():
    srv, port = _free_udp_port()

    def send():
        time.sleep(1.0)
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.sendto(b"hello", ("127.0.0.1", port))
        c.close()

    res = _live_on_loopback(port, send, srv)
    assert res.returncode == 0, res.stderr
    recs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert [(r["transport"], r["server_port"], r["packets_c2s"]) for r in recs] == [("udp", port, 1)]
    assert "live:lo" in res.stderr.decode()


def test_live_bad_interface_is_one_line_error():
    res = subprocess.run([sys.executable, "-m", "classifier", "live", "-i", "no-such-if0", "--duration", "1"],
                         capture_output=True, timeout=30)
    assert res.returncode == 3                  # an interface that cannot be opened, as a capture
    err = res.stderr.decode()
    assert "no-such-if0" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_live_cli_labels_flows_like_analyze():
    """A DNS exchange on a random port: live labels it from the payload and sets the
    port's claim beside it, as analyze does for a file."""
    import dpkt
    srv, port = _free_udp_port()
    query = dpkt.dns.DNS(id=0x1234, qd=[dpkt.dns.DNS.Q(name="example.com", type=dpkt.dns.DNS_A)])

    def exchange():
        time.sleep(1.0)
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.sendto(bytes(query), ("127.0.0.1", port))
        data, addr = srv.recvfrom(512)
        reply = dpkt.dns.DNS(data)
        reply.qr = dpkt.dns.DNS_R
        reply.an = [dpkt.dns.DNS.RR(name="example.com", type=dpkt.dns.DNS_A, ttl=60, rdata=b"\x7f\0\0\x01")]
        srv.sendto(bytes(reply), addr)
        c.recvfrom(512)
        c.close()

    res = _live_on_loopback(port, exchange, srv)
    assert res.returncode == 0, res.stderr
    (rec,) = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert rec["protocol"] == "dns" and rec["source"].startswith("dpi")
    assert rec["metadata"].get("query") == "example.com" or "example.com" in json.dumps(rec["metadata"])
    assert rec["verdict"] in ("mismatch", "unregistered-port") and rec["server_port"] == port
