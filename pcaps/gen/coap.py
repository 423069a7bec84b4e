"""CoAP: libcoap's coap-server-notls; coap-client-notls GET/PUT/observe, CON and NON."""

from .core import cmd, deb_version

NAME = "coap"
PREFIXES = ("coap",)
MODES = ("random", "iana")

LIBCOAP = deb_version("libcoap3-bin")


def run(ctx):
    port = ctx.port(5683)
    srv = ctx.start("coap-server", ["coap-server-notls", "-A", "127.0.0.1", "-p", str(port)], wait=("udp", port))
    url = f"coap://127.0.0.1:{port}"
    cases = [
        ("con-get-well-known-core", ["coap-client-notls", "-B", "3", "-m", "get", f"{url}/.well-known/core"]),
        ("con-get-time", ["coap-client-notls", "-B", "3", "-m", "get", f"{url}/time"]),
        ("non-get", ["coap-client-notls", "-B", "3", "-N", "-m", "get", f"{url}/"]),
        ("con-put", ["coap-client-notls", "-B", "3", "-m", "put", "-e", "portlens corpus", f"{url}/example_data"]),
        ("observe", ["coap-client-notls", "-B", "3", "-s", "2", "-m", "get", f"{url}/time"]),
    ]
    for variant, argv in cases:
        with ctx.capture("coap") as cap:
            cap.expect("udp", port, "coap", variant=variant, server=("libcoap-server", LIBCOAP),
                       client=f"libcoap-client {LIBCOAP}", how=f"{cmd(argv)} against coap-server-notls")
            cap.start()
            ctx.run(argv, timeout=10)
    ctx.stop(srv)
