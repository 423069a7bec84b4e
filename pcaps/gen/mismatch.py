"""Mismatch demos: a protocol deliberately served on another protocol's well-known port.

For the README and the tests: a classifier that trusts ports gets each one wrong.
Captures are named ``mismatch-<protocol>-on-<port><transport>.pcap``; port_mode is
``mismatch-demo``.
"""

import os
import subprocess
import sys

from . import servers
from .core import cmd, deb_version, pip_version

NAME = "mismatch"
PREFIXES = ("mismatch",)
MODES = ("mismatch-demo",)
ORDER = 1                     # after every protocol module (pcaps/gen/__init__.py)


def _http_on_53(ctx):
    port = ctx.port(53)
    srv = servers.nginx(ctx, "nginx-53", [(port, "")])
    argv = ["curl", "-sS", "-o", "/dev/null", f"http://127.0.0.1:{port}/index.html"]
    with ctx.capture("http", name="mismatch-http-on-53tcp.pcap") as cap:
        cap.expect("tcp", port, "http", variant="http1.1-get", server=servers.NGINX,
                   client=f"curl {deb_version('curl')}", how=f"{cmd(argv)} against nginx listening on 53/tcp")
        cap.start()
        ctx.run(argv)
    ctx.stop(srv)


def _ssh_on_443(ctx):
    d = ctx.tmp("dropbear")
    key = os.path.join(d, "hostkey")
    if not os.path.exists(key):
        subprocess.run(["dropbearkey", "-t", "ed25519", "-f", key], check=True, capture_output=True)
    port = ctx.port(443)
    srv = ctx.start("dropbear-443", ["dropbear", "-F", "-E", "-s", "-p", f"127.0.0.1:{port}", "-r", key,
                                     "-P", f"{d}/pid"], wait=("tcp", port))
    # No account needed: the key exchange and the refused auth are the demo.
    argv = ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "PreferredAuthentications=none,publickey", "-p", str(port), "nobody@127.0.0.1", "true"]
    with ctx.capture("ssh", name="mismatch-ssh-on-443.pcap") as cap:
        cap.expect("tcp", port, "ssh", variant="dropbear-openssh", server=("dropbear", deb_version("dropbear-bin")),
                   client=f"openssh-ssh {deb_version('openssh-client')}", how=f"{cmd(argv)} against dropbear on 443/tcp")
        cap.start()
        ctx.run(argv, check=False)
    ctx.stop(srv)


def _dns_on_80(ctx):
    port = ctx.port(80)
    srv = ctx.start("dnsmasq-80", ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                                   "--bind-interfaces", "--listen-address=127.0.0.1", "-p", str(port),
                                   "--address=/portlens.test/10.0.0.1", "--user=root", "--pid-file="],
                    wait=("udp", port))
    argv = ["dig", "@127.0.0.1", "-p", str(port), "www.portlens.test", "A"]
    with ctx.capture("dns", name="mismatch-dns-on-80udp.pcap") as cap:
        cap.expect("udp", port, "dns", variant="query-a", server=("dnsmasq", deb_version("dnsmasq-base")),
                   client=f"dig {deb_version('bind9-dnsutils')}", how=f"{cmd(argv)} against dnsmasq on 80/udp")
        cap.start()
        ctx.run(argv)
    ctx.stop(srv)


def _tls_on_22(ctx):
    crt, key = servers.cert(ctx)
    port = ctx.port(22)
    srv = ctx.start("s_server-22", ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", crt,
                                    "-key", key, "-www"], wait=("tcp", port))
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "portlens.test", "-ign_eof", "-quiet"]
    with ctx.capture("tls", name="mismatch-tls-on-22.pcap") as cap:
        cap.expect("tcp", port, "tls", inner="http", variant="tls1.3-sni", server=("openssl-s_server", deb_version("openssl")),
                   client=f"openssl-s_client {deb_version('openssl')}", how=f"{cmd(argv)} sending GET, against openssl s_server on 22/tcp")
        cap.start()
        ctx.run(argv, input="GET / HTTP/1.0\r\n\r\n", check=False, timeout=10)
    ctx.stop(srv)


def _smtp_on_8080(ctx):
    port = ctx.port(8080)
    srv = ctx.start("aiosmtpd-8080", [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"],
                    wait=("tcp", port))
    argv = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--from", "alice@portlens.test",
            "--to", "bob@portlens.test", "--silent", "1"]
    with ctx.capture("smtp", name="mismatch-smtp-on-8080.pcap") as cap:
        cap.expect("tcp", port, "smtp", variant="esmtp", server=("aiosmtpd", pip_version("aiosmtpd")),
                   client=f"swaks {deb_version('swaks')}", how=f"{cmd(argv)} against aiosmtpd on 8080/tcp")
        cap.start()
        ctx.run(argv)
    ctx.stop(srv)


def _redis_on_443(ctx):
    port = ctx.port(443)
    srv = ctx.start("redis-443", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", ctx.tmp("redis")], wait=("tcp", port))
    argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "SET", "portlens:mismatch", "443"]
    with ctx.capture("redis", name="mismatch-redis-on-443.pcap") as cap:
        cap.expect("tcp", port, "redis", variant="resp2-set-get", server=("redis-server", deb_version("redis-server")),
                   client=f"redis-cli {deb_version('redis-tools')}", how=f"{cmd(argv)} against redis-server on 443/tcp")
        cap.start()
        ctx.run(argv)
    ctx.stop(srv)


def run(ctx):
    errors = []
    for demo in (_http_on_53, _ssh_on_443, _dns_on_80, _tls_on_22, _smtp_on_8080, _redis_on_443):
        try:
            demo(ctx)
        except Exception as exc:
            errors.append(f"{demo.__name__}: {exc}")
            ctx.stop_all()
    if errors:
        raise RuntimeError("; ".join(errors))
