"""TLS 1.2 / 1.3: openssl s_server and nginx; openssl s_client, curl and Python's ssl.

The outermost protocol is always ``tls``; the application inside goes to ``inner``
(``http`` for a GET, ``http2`` when ALPN selected h2).  Variants name the version and
whether the ClientHello carried SNI and ALPN, so a model sees each combination.
"""

import sys

from . import servers
from .core import cmd, deb_version

NAME = "tls"
PREFIXES = ("tls",)
MODES = ("random", "iana")

OPENSSL = ("openssl-s_server", deb_version("openssl"))
S_CLIENT = f"openssl-s_client {deb_version('openssl')}"
CURL = f"curl {deb_version('curl')}"
PY = f"python-ssl {sys.version.split()[0]}"
GET = "GET / HTTP/1.0\r\nHost: portlens.test\r\n\r\n"

PY_CLIENT = """
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="portlens.test")
s.sendall(b"GET /index.html HTTP/1.1\\r\\nHost: portlens.test\\r\\nConnection: close\\r\\n\\r\\n")
while s.recv(4096): pass
"""


def _s_client(ctx, port, variant, tls_flag, sni, alpn):
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", tls_flag, "-ign_eof", "-quiet"]
    argv += ["-servername", "portlens.test"] if sni else ["-noservername"]
    if alpn:
        argv += ["-alpn", alpn]
    return argv


def run(ctx):
    crt, key = servers.cert(ctx)
    # openssl s_server, one per version, several ClientHello shapes each.
    for ver, flag in (("1.2", "-tls1_2"), ("1.3", "-tls1_3")):
        port = ctx.port(443)
        srv = ctx.start(f"s_server{ver}", ["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                                           "-cert", crt, "-key", key, flag, "-www", "-alpn", "http/1.1"],
                        wait=("tcp", port))
        for sni, alpn in ((True, None), (False, None), (True, "http/1.1")):
            variant = f"tls{ver}" + ("-sni" if sni else "-nosni") + (f"-alpn-{alpn.replace('/', '')}" if alpn else "")
            argv = _s_client(ctx, port, variant, flag, sni, alpn)
            with ctx.capture("tls") as cap:
                cap.expect("tcp", port, "tls", inner="http", variant=variant, server=OPENSSL,
                           client=S_CLIENT, how=f"{cmd(argv)} sending GET, against openssl s_server {flag} -www")
                cap.start()
                ctx.run(argv, input=GET, check=False, timeout=10)
        ctx.stop(srv)

    # nginx: HTTPS with HTTP/2 (ALPN h2) and HTTP/1.1, TLS 1.2 and 1.3, curl and Python.
    port = ctx.port(443)
    srv = servers.nginx(ctx, "nginx-tls", [(port, "ssl http2")])
    url = f"https://portlens.test:{port}/index.html"
    resolve = ["--resolve", f"portlens.test:{port}:127.0.0.1"]
    cases = [
        ("tls1.3-sni-alpn-h2", "http2", ["curl", "-sSk", "--http2", *resolve, "-o", "/dev/null", url]),
        ("tls1.2-sni-alpn-h2", "http2", ["curl", "-sSk", "--http2", "--tls-max", "1.2", *resolve, "-o", "/dev/null", url]),
        ("tls1.3-sni-alpn-http1.1", "http", ["curl", "-sSk", "--http1.1", *resolve, "-o", "/dev/null", url]),
        ("tls1.3-nosni-alpn-h2", "http2", ["curl", "-sSk", "--http2", "-o", "/dev/null", f"https://127.0.0.1:{port}/small.txt"]),
        ("tls1.2-nosni-noalpn", "http", ["curl", "-sSk", "--no-alpn", "--tlsv1.2", "--tls-max", "1.2", "-o", "/dev/null",
                                         f"https://127.0.0.1:{port}/small.txt"]),
    ]
    for variant, inner, argv in cases:
        with ctx.capture("tls") as cap:
            cap.expect("tcp", port, "tls", inner=inner, variant=variant, server=servers.NGINX, client=CURL,
                       how=f"{cmd(argv)} against nginx listen ssl http2")
            cap.start()
            ctx.run(argv)
    argv = [sys.executable, "-c", PY_CLIENT, str(port)]
    with ctx.capture("tls") as cap:
        cap.expect("tcp", port, "tls", inner="http", variant="tls1.3-sni-alpn-http1.1", server=servers.NGINX,
                   client=PY, how="python ssl.wrap_socket client (SNI, ALPN http/1.1) GET against nginx")
        cap.start()
        ctx.run(argv)
    ctx.stop(srv)
