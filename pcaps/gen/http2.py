"""HTTP/2 cleartext (h2c, prior knowledge): nghttpd and nginx; nghttp and curl."""

from . import servers
from .core import cmd, deb_version

NAME = "http2"
PREFIXES = ("http2",)
MODES = ("random", "iana")

NGHTTPD = ("nghttpd", deb_version("nghttp2-server"))
NGHTTP = f"nghttp {deb_version('nghttp2-client')}"
CURL = f"curl {deb_version('curl')}"


def run(ctx):
    port = ctx.port(80)
    www = ctx.tmp("nghttpd-www")
    ctx.write(f"{www}/index.html", "<p>h2c</p>\n" * 10)
    srv = ctx.start("nghttpd", ["nghttpd", "--no-tls", "-d", www, "-a", "127.0.0.1", str(port)],
                    wait=("tcp", port))
    base = f"http://127.0.0.1:{port}"
    cases = [
        ("h2c-prior-knowledge", NGHTTP, ["nghttp", "-n", f"{base}/index.html"]),
        ("h2c-prior-knowledge-multi", NGHTTP, ["nghttp", "-n", "-m", "3", "-H", "x-portlens: 1", f"{base}/index.html"]),
        ("h2c-prior-knowledge", CURL, ["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", f"{base}/index.html"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("http2") as cap:
            cap.expect("tcp", port, "http2", variant=variant, server=NGHTTPD, client=client,
                       how=f"{cmd(argv)} against nghttpd --no-tls")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)

    port = ctx.port(8080)
    srv = servers.nginx(ctx, "nginx-h2c", [(port, "http2")])
    for client, argv in ((CURL, ["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", f"http://127.0.0.1:{port}/small.txt"]),
                         (NGHTTP, ["nghttp", "-n", "-v", f"http://127.0.0.1:{port}/index.html"])):
        with ctx.capture("http2") as cap:
            cap.expect("tcp", port, "http2", variant="h2c-prior-knowledge", server=servers.NGINX, client=client,
                       how=f"{cmd(argv)} against nginx listen http2 (cleartext)")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
