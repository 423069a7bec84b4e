"""WHOIS (RFC 3912): Debian's whois client (the `whois` package, Marco d'Itri's) against a
small socketserver WHOIS server (no Debian 12 package is a WHOIS server that answers from
local data: gwhois only relays queries to the Internet's servers).

RFC 3912 2: the client sends one line ended by CR LF, the server answers with text and
closes the connection.  The answers below are written in the shapes real servers give
(documentation names and addresses only: example.com, 192.0.2.0/24, RFC 5737):
  domain-thin-registry    "example.com": a registry's "Domain Name:" record
  tld-referral            "com": an IANA-style answer, "%" comments and "refer:"
  ip-rpsl-ripe-flags      "-r -T inetnum 192.0.2.1" (the client passes RIPE flags on):
                          an RPSL "inetnum:" object after "%" comments
  no-match                "nosuch.example": "No match for" and the last-update line
"""

import sys

from .core import cmd, deb_version

NAME = "whois"
PREFIXES = ("whois",)            # its captures: pcaps/corpus/whois-<n>.pcap
MODES = ("random", "iana")
IANA_PORT = 43                    # nicname/tcp

CLIENT = "whois"
DEBIAN_PACKAGES = ("whois",)      # pcaps/generate --install adds them to its lists
PY = sys.version.split()[0]

# The server, run as `python3 -c SERVER PORT`: one query line in, one answer out, then
# close (RFC 3912 2).  The answer is chosen by the query's last word.
SERVER = r'''
import socketserver, sys
REGISTRY = (
    "   Domain Name: EXAMPLE.COM\r\n"
    "   Registry Domain ID: 2336799_DOMAIN_COM-VRSN\r\n"
    "   Registrar WHOIS Server: whois.registrar.example\r\n"
    "   Updated Date: 2024-08-14T07:01:34Z\r\n"
    "   Creation Date: 1995-08-14T04:00:00Z\r\n"
    "   Registrar: Example Registrar, Inc.\r\n"
    "   Domain Status: clientDeleteProhibited\r\n"
    "   Name Server: A.IANA-SERVERS.NET\r\n"
    "   Name Server: B.IANA-SERVERS.NET\r\n"
    "   DNSSEC: signedDelegation\r\n"
    ">>> Last update of whois database: 2026-12-06T12:00:00Z <<<\r\n")
TLD = (
    "% IANA WHOIS server\n"
    "% for more information on IANA, visit http://www.iana.org\n"
    "% This query returned 1 object\n"
    "\n"
    "refer:        whois.registry.example\n"
    "\n"
    "domain:       COM\n"
    "\n"
    "organisation: Example Registry Services\n"
    "status:       ACTIVE\n"
    "whois:        whois.registry.example\n"
    "created:      1985-01-01\n"
    "source:       IANA\n")
RPSL = (
    "% This is a test database query service.\n"
    "% The objects are in RPSL format.\n"
    "\n"
    "inetnum:        192.0.2.0 - 192.0.2.255\n"
    "netname:        TEST-NET-1\n"
    "descr:          Documentation address block (RFC 5737)\n"
    "country:        ZZ\n"
    "admin-c:        DUMY-RIPE\n"
    "status:         ASSIGNED PA\n"
    "mnt-by:         EXAMPLE-MNT\n"
    "source:         TEST\n"
    "\n")
NO_MATCH = ('No match for "NOSUCH.EXAMPLE".\r\n'
            ">>> Last update of whois database: 2026-12-06T12:00:00Z <<<\r\n")
ANSWERS = {"example.com": REGISTRY, "com": TLD, "192.0.2.1": RPSL}
class Whois(socketserver.StreamRequestHandler):
    def handle(self):
        query = self.rfile.readline(1024).decode("ascii", "replace").strip()
        words = query.split()
        self.wfile.write(ANSWERS.get(words[-1] if words else "", NO_MATCH).encode())
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), Whois).serve_forever()
'''


def run(ctx):
    port = ctx.port(IANA_PORT, "tcp")    # a seeded random high port, then the IANA port
    srv = ctx.start("whois-server", [sys.executable, "-c", SERVER, str(port)], wait=("tcp", port))
    base = ["whois", "-h", "127.0.0.1", "-p", str(port)]
    cases = [
        ("domain-thin-registry", base + ["example.com"]),
        ("tld-referral", base + ["com"]),
        ("ip-rpsl-ripe-flags", base + ["-r", "-T", "inetnum", "192.0.2.1"]),
        ("no-match", base + ["nosuch.example"]),
    ]
    for variant, argv in cases:
        with ctx.capture("whois") as cap:
            cap.expect("tcp", port, "whois", variant=variant, server=("python-socketserver-whois", PY),
                       client=f"{CLIENT} {deb_version(CLIENT)}",
                       how=f"{cmd(argv)} against pcaps/gen/whois.py's server")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
