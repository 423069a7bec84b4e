"""A spec-built peer: plays one side of a scripted exchange on loopback.

    spec_peer.py server tcp|udp PORT SCRIPT      spec_peer.py client tcp|udp PORT SCRIPT

SCRIPT is a JSON list of [side, hex] steps, side "c" (client to server) or "s".  Each
side sends its own steps and, for the other side's, reads exactly that many bytes (TCP)
or one datagram (UDP), so both run in the script's order.  The messages are built from
the protocols' specifications by pcaps/gen/infra.py; no real implementation is
involved, which the manifest says (spec-built-python).
"""

import json
import socket
import sys

TIMEOUT = 5.0


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise SystemExit(f"peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def run(role, transport, port, steps):
    me = "s" if role == "server" else "c"
    if transport == "tcp":
        if role == "server":
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", port))
            ls.listen(1)
            sock, _ = ls.accept()
        else:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        sock.settimeout(TIMEOUT)
        for side, data in steps:
            if side == me:
                sock.sendall(data)
            else:
                _recv_exact(sock, len(data))
        sock.close()
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    peer = ("127.0.0.1", port)
    if role == "server":
        sock.bind(peer)
        peer = None
    for side, data in steps:
        if side == me:
            sock.sendto(data, peer)
        else:
            _, peer = sock.recvfrom(65535)
    sock.close()


if __name__ == "__main__":
    role, transport, port, script = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(script) as fh:
        steps = [(side, bytes.fromhex(h)) for side, h in json.load(fh)]
    run(role, transport, port, steps)
