"""A seeded user-space link between two interfaces: delay, jitter, loss, reordering.

``wire.py IF_A IF_B DELAY_MS JITTER_MS LOSS REORDER SEED`` (run inside the middle
network namespace of pcaps/gen/realistic.py) bridges every Ethernet frame between two
veth ends through AF_PACKET sockets, each frame held DELAY_MS +- JITTER_MS (uniform)
before it is sent on, an IP frame dropped with probability LOSS, and with probability
REORDER sent at once, so it overtakes the frames still held (netem's `reorder`).

Why not `tc qdisc ... netem`: the kernel of this machine has no sch_netem ("Specified
qdisc kind is unknown"), so the impairment is played here, in the path, where netem
would play it.  ARP frames are never dropped (a lost ARP reply only stalls the session).
Runs until SIGTERM; prints counts on exit.
"""

import heapq
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main(argv):
    if_a, if_b = argv[0], argv[1]
    delay, jitter = float(argv[2]) / 1000, float(argv[3]) / 1000
    loss, reorder = float(argv[4]), float(argv[5])
    rng = random.Random(argv[6])
    socks = {}
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setblocking(False)
        socks[name] = s
    peer = {socks[if_a]: socks[if_b], socks[if_b]: socks[if_a]}
    held = []          # (due, seq, out socket, frame)
    seq = 0
    counts = {"in": 0, "dropped": 0, "reordered": 0, "out": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, out, frame = heapq.heappop(held)
            try:
                out.send(frame)
                counts["out"] += 1
            except OSError:
                pass
        timeout = max(0.0, held[0][0] - now) if held else 0.2
        try:
            ready, _, _ = select.select(list(peer), [], [], timeout)
        except InterruptedError:
            continue
        for s in ready:
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                if addr[2] == PACKET_OUTGOING:      # our own send, seen on the way out
                    continue
                counts["in"] += 1
                is_ip = frame[12:14] in (b"\x08\x00", b"\x86\xdd")
                if is_ip and rng.random() < loss:
                    counts["dropped"] += 1
                    continue
                if is_ip and rng.random() < reorder:
                    due = time.monotonic()
                    counts["reordered"] += 1
                else:
                    due = time.monotonic() + max(0.0, delay + rng.uniform(-jitter, jitter))
                seq += 1
                heapq.heappush(held, (due, seq, peer[s], frame))
    print(" ".join(f"{k}={v}" for k, v in counts.items()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
