"""OpenVPN: static-key mode over UDP and TLS mode over UDP and TCP, ``--dev null``.

Server and client are both the openvpn binary; the client is stopped after a few
seconds (handshake plus keepalive pings), which keeps each capture short.
"""

import os
import subprocess

from .core import cmd, deb_version

NAME = "openvpn"
PREFIXES = ("openvpn",)
MODES = ("random", "iana")

VERSION = deb_version("openvpn")


def _pki(ctx, d):
    def run(*a):
        subprocess.run(a, check=True, capture_output=True, cwd=d)
    if os.path.exists(os.path.join(d, "client.crt")):
        return
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "30", "-subj", "/CN=portlens-ca", "-keyout", "ca.key", "-out", "ca.crt")
    for name, ext in (("server", "serverAuth"), ("client", "clientAuth")):
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.csr")
        with open(os.path.join(d, f"{name}.ext"), "w") as fh:
            fh.write(f"extendedKeyUsage={ext}\nkeyUsage=digitalSignature,keyAgreement\n")
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "30", "-extfile", f"{name}.ext", "-out", f"{name}.crt")
    run("openvpn", "--genkey", "secret", "static.key")
    run("openvpn", "--genkey", "tls-crypt", "tc.key")


def run(ctx):
    d = ctx.tmp("openvpn")
    _pki(ctx, d)
    common = ["openvpn", "--dev", "null", "--verb", "3", "--ping", "1", "--cd", d]
    static = ["--secret", "static.key", "--cipher", "AES-256-CBC", "--auth", "SHA256"]
    tls_srv = ["--tls-server", "--ca", "ca.crt", "--cert", "server.crt", "--key", "server.key", "--dh", "none"]
    tls_cli = ["--tls-client", "--ca", "ca.crt", "--cert", "client.crt", "--key", "client.key",
               "--remote-cert-tls", "server"]
    cases = [
        ("udp", "static-key", static + ["--proto", "udp"], static + ["--proto", "udp"]),
        ("udp", "tls-udp", tls_srv + ["--proto", "udp"], tls_cli + ["--proto", "udp"]),
        ("tcp", "tls-tcp", tls_srv + ["--proto", "tcp-server"], tls_cli + ["--proto", "tcp-client"]),
        ("udp", "tls-crypt-udp", tls_srv + ["--proto", "udp", "--tls-crypt", "tc.key"],
         tls_cli + ["--proto", "udp", "--tls-crypt", "tc.key"]),
    ]
    for transport, variant, srv_args, cli_args in cases:
        port = ctx.port(1194)
        srv = ctx.start(f"openvpn-{variant}", common + srv_args + ["--local", "127.0.0.1", "--lport", str(port)],
                        wait=(transport, port))
        argv = common + cli_args + ["--remote", "127.0.0.1", str(port), "--nobind"]
        with ctx.capture("openvpn") as cap:
            cap.expect(transport, port, "openvpn", variant=variant, server=("openvpn", VERSION),
                       client=f"openvpn {VERSION}", how=f"{cmd(argv)} (stopped after 4 s) against openvpn --dev null")
            cap.start()
            ctx.run(argv, timeout=4, check=False)
        ctx.stop(srv)
