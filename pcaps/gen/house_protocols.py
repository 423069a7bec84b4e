"""The capture of examples/house-protocols.toml: two made-up "house" protocols spoken on
loopback, recorded with tcpdump, for the site-rules example and its tests.

    sudo python3 pcaps/gen/house_protocols.py pcaps/corpus/site-rules/house-protocols.pcap

* ledger-sync (TCP): a text greeting, then length-prefixed binary frames
      C: LSYN/2 HELLO node=edge-07 build=4.1.9\\r\\n
      S: LSYN/2 WELCOME session=5be1c0de\\r\\n
      C/S: u16 length + frame, a few times
* acme-telemetry (UDP): binary sensor reports, acknowledged
      C: a5 7e | 02 (version) | 01 (REPORT) | u32 sensor id | "site=plant-3;t=21.5;rh=40"
      S: a5 7e | 02 | 81 (ACK) | u32 sensor id

Standalone (not part of the corpus manifest: these are not protocols of
docs/protocols.md, so no built-in detector or model may know them).  Ports are random
high ones each run: the rules match bytes, never ports.
"""
from __future__ import annotations

import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time


def ledger_server(srv: socket.socket) -> None:
    conn, _ = srv.accept()
    with conn:
        conn.recv(4096)
        conn.sendall(b"LSYN/2 WELCOME session=5be1c0de\r\n")
        for _ in range(3):
            head = conn.recv(2)
            if len(head) < 2:
                break
            (n,) = struct.unpack(">H", head)
            body = conn.recv(n)
            conn.sendall(struct.pack(">H", 6) + b"ACK" + body[:3])


def ledger_client(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"LSYN/2 HELLO node=edge-07 build=4.1.9\r\n")
        c.recv(4096)
        for i in range(3):
            body = bytes([0x10 + i]) + os.urandom(40)
            c.sendall(struct.pack(">H", len(body)) + body)
            c.recv(64)
            time.sleep(0.05)


def telemetry(port: int) -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, (t, rh) in enumerate(((21.5, 40), (21.7, 41), (21.6, 43))):
        cli.sendto(b"\xa5\x7e\x02\x01" + struct.pack(">I", 70312) + f"site=plant-3;t={t};rh={rh}".encode(),
                   ("127.0.0.1", port))
        data, addr = srv.recvfrom(2048)
        srv.sendto(b"\xa5\x7e\x02\x81" + data[4:8], addr)
        cli.recvfrom(64)
        time.sleep(0.05)
    cli.close()
    srv.close()


def main(out: str) -> None:
    rnd = random.SystemRandom()
    tport, uport = rnd.randrange(20000, 30000), rnd.randrange(30000, 32000)
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-w", out, "-s", "0",
                             f"tcp port {tport} or udp port {uport}"], stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", tport))
    srv.listen(1)
    th = threading.Thread(target=ledger_server, args=(srv,))
    th.start()
    ledger_client(tport)
    th.join()
    srv.close()
    telemetry(uport)
    time.sleep(1.0)
    dump.terminate()
    dump.wait()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "house-protocols.pcap")
