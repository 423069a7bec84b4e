#!/usr/bin/env python3
"""A TCP proxy that labels what crosses it: it relays each connection to an upstream
server, keeps the first bytes of both directions, and when the connection closes asks
`classify_stream` what protocol it carried. Prints one JSON line per connection.

    python examples/proxy_streams.py --listen 127.0.0.1:8081 --upstream 127.0.0.1:8080
    python examples/proxy_streams.py --demo       # an HTTP server and client of its own

The proxy never decides by port: only the two byte streams and the sizes of the
chunks it relayed (as packet shapes for the model) reach the classifier; the ports go
to the record and the port registry's verdict.
"""
import argparse
import asyncio
import json
import sys
import threading
import time

from classifier.api import Classifier

KEEP = 4096             # bytes of each direction worth keeping: the classifier's budget


async def pump(reader, writer, direction, kept, shapes, last):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        if len(kept[direction]) < KEEP:
            kept[direction] += data[:KEEP - len(kept[direction])]
        now = time.monotonic()
        if len(shapes) < 32:
            shapes.append((direction, len(data), now - last[0] if shapes else 0.0))
        last[0] = now
        writer.write(data)
        await writer.drain()
    try:
        writer.write_eof()
    except (OSError, RuntimeError):
        pass


async def handle(client_r, client_w, upstream, clf, out, done):
    up_r, up_w = await asyncio.open_connection(*upstream)
    kept, shapes, last = [bytearray(), bytearray()], [], [time.monotonic()]
    start = time.time()
    await asyncio.gather(pump(client_r, up_w, 0, kept, shapes, last),
                         pump(up_r, client_w, 1, kept, shapes, last))
    for w in (up_w, client_w):
        w.close()
    peer, local = client_w.get_extra_info("peername"), up_w.get_extra_info("peername")
    flow = clf.classify_stream(bytes(kept[0]), bytes(kept[1]), "tcp", packets=shapes, client=peer[0],
                               client_port=peer[1], server=local[0], server_port=local[1],
                               ts_start=start, capture="proxy")
    print(json.dumps(flow.to_dict(), default=str), file=out, flush=True)
    done()


async def serve(listen, upstream, max_connections, ready=None, out=sys.stdout):
    clf = Classifier(capture="proxy")
    finished = asyncio.Event()
    count = [0]

    def done():
        count[0] += 1
        if max_connections and count[0] >= max_connections:
            finished.set()

    server = await asyncio.start_server(lambda r, w: handle(r, w, upstream, clf, out, done), *listen)
    if ready is not None:
        ready(server.sockets[0].getsockname())
    async with server:
        await finished.wait()
    clf.close()


def demo():
    """An HTTP server on a free loopback port, the proxy in front of it, one request."""
    import http.server
    import urllib.request

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    addr = {}
    got = threading.Event()

    def ready(sockname):
        addr["proxy"] = sockname
        got.set()

    def client():
        got.wait(10)
        with urllib.request.urlopen(f"http://127.0.0.1:{addr['proxy'][1]}/", timeout=10) as resp:
            resp.read()

    threading.Thread(target=client, daemon=True).start()
    asyncio.run(asyncio.wait_for(serve(("127.0.0.1", 0), httpd.server_address, 1, ready), 30))
    httpd.shutdown()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:8081", help="HOST:PORT the proxy listens on")
    ap.add_argument("--upstream", help="HOST:PORT of the server it relays to")
    ap.add_argument("--max-connections", type=int, default=0, help="stop after this many (0: never)")
    ap.add_argument("--demo", action="store_true", help="run an HTTP server and one request through the proxy")
    args = ap.parse_args(argv)
    if args.demo:
        demo()
        return 0
    if not args.upstream:
        ap.error("--upstream is needed (or --demo)")
    host, port = args.listen.rsplit(":", 1)
    uhost, uport = args.upstream.rsplit(":", 1)
    asyncio.run(serve((host, int(port)), (uhost, int(uport)), args.max_connections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
