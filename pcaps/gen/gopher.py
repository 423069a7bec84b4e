"""Gopher (RFC 1436): a small socketserver gopher server (no Debian 12 package serves
gopher) and curl's gopher client: the root menu, a directory menu, a type-7 search."""

import sys

from .core import cmd, deb_version

NAME = "gopher"
PREFIXES = ("gopher",)
MODES = ("random", "iana")

CURL = deb_version("curl")
PY = sys.version.split()[0]

# The server, run as `python3 -c SERVER PORT`: one selector line in, one menu out, then
# close (RFC 1436 3: the server closes the connection after the response).
SERVER = r'''
import socketserver, sys
port = int(sys.argv[1])
def item(t, text, sel):
    return f"{t}{text}\t{sel}\t127.0.0.1\t{port}\r\n"
MENUS = {
    "": "iWelcome to the portlens gopher hole\tfake\t(NULL)\t0\r\n" + item("1", "Docs", "/docs")
        + item("0", "About this server", "/about.txt") + item("7", "Search the docs", "/search"),
    "/docs": item("0", "RFC 1436", "/docs/rfc1436.txt") + item("9", "Capture", "/docs/corpus.pcap"),
    "/search": item("0", "portlens: a protocol classifier", "/docs/portlens.txt"),
}
class Gopher(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(1024).decode("latin-1").rstrip("\r\n")
        selector = line.split("\t", 1)[0].rstrip("/")     # curl sends "/" for the root menu
        menu = MENUS.get(selector, "3Not found\terror\terror.host\t1\r\n")
        self.wfile.write((menu + ".\r\n").encode())
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("127.0.0.1", port), Gopher).serve_forever()
'''


def run(ctx):
    port = ctx.port(70)
    srv = ctx.start("gopher-server", [sys.executable, "-c", SERVER, str(port)], wait=("tcp", port))
    base = f"gopher://127.0.0.1:{port}"
    cases = [
        ("menu-root", ["curl", "-s", "-o", "/dev/null", f"{base}/1/"]),
        ("menu-directory", ["curl", "-s", "-o", "/dev/null", f"{base}/1/docs"]),
        ("search", ["curl", "-s", "-o", "/dev/null", f"{base}/7/search%09portlens"]),
    ]
    for variant, argv in cases:
        with ctx.capture("gopher") as cap:
            cap.expect("tcp", port, "gopher", variant=variant, server=("python-socketserver-gopher", PY),
                       client=f"curl {CURL}", how=f"{cmd(argv)} against pcaps/gen/gopher.py's server")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
