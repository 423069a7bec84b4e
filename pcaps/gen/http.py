"""HTTP/1.x: nginx and Python's http.server, driven by curl and urllib."""

import os
import sys

from . import servers
from .core import cmd, deb_version

NAME = "http"
PREFIXES = ("http",)
MODES = ("random", "iana")

CURL = f"curl {deb_version('curl')}"
PY = f"python {sys.version.split()[0]}"


def run(ctx):
    port = ctx.port(80)
    srv = servers.nginx(ctx, "nginx-http", [(port, "")])
    base = f"http://127.0.0.1:{port}"
    cases = [
        ("http1.1-get", CURL, ["curl", "-sS", "-o", "/dev/null", f"{base}/index.html"]),
        ("http1.0-get", CURL, ["curl", "-sS", "--http1.0", "-A", "Wget/1.21.3", "-o", "/dev/null", f"{base}/small.txt"]),
        ("http1.1-post", CURL, ["curl", "-sS", "-o", "/dev/null", "-d", "name=portlens&x=1", f"{base}/echo"]),
        ("http1.1-head-keepalive", CURL, ["curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-I",
                                     f"{base}/small.txt", f"{base}/data.bin"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("http") as cap:
            cap.expect("tcp", port, "http", variant=variant, server=servers.NGINX, client=client,
                       how=f"{cmd(argv)} against nginx")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)

    # A second server implementation, and a non-curl client.
    port = ctx.port(8000)
    www = ctx.tmp("pyhttp")
    ctx.write(os.path.join(www, "index.html"), "<p>python http.server</p>\n")
    srv = ctx.start("pyhttp", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                               "--directory", www, str(port)], wait=("tcp", port))
    with ctx.capture("http") as cap:
        cap.expect("tcp", port, "http", variant="http1.0-server", server=("python-http.server", sys.version.split()[0]),
                   client=PY, how="urllib.request.urlopen against python -m http.server")
        cap.start()
        ctx.run([sys.executable, "-c", f"import urllib.request;urllib.request.urlopen('http://127.0.0.1:{port}/index.html').read()"])
    with ctx.capture("http") as cap:
        cap.expect("tcp", port, "http", variant="http1.1-get", server=("python-http.server", sys.version.split()[0]),
                   client=CURL, how="curl -H 'Accept: */*' against python -m http.server")
        cap.start()
        ctx.run(["curl", "-sS", "-o", "/dev/null", "-H", "X-Portlens: 1", f"http://127.0.0.1:{port}/"])
    ctx.stop(srv)
