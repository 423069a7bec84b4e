"""DNS over UDP and TCP: dnsmasq answering from its own records; dig, host, Python."""

import sys

from .core import cmd, deb_version

NAME = "dns"
PREFIXES = ("dns",)
MODES = ("random", "iana")

DNSMASQ = ("dnsmasq", deb_version("dnsmasq-base"))
DIG = f"dig {deb_version('bind9-dnsutils')}"
PY = f"python-socket {sys.version.split()[0]}"

# A hand-built query for www.portlens.test A, sent by Python over UDP: a third client.
PY_QUERY = """
import socket, struct, sys, random
q = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in "www.portlens.test".split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(q, ("127.0.0.1", int(sys.argv[1]))); s.recvfrom(512)
"""


def run(ctx):
    port = ctx.port(53)
    conf = ctx.write(f"{ctx.tmp('dnsmasq')}/dnsmasq.conf", "\n".join([
        "no-resolv", "no-hosts", "bind-interfaces", "listen-address=127.0.0.1",
        "address=/portlens.test/10.0.0.1", "address=/portlens.test/fd00::1",
        "mx-host=portlens.test,mail.portlens.test,10",
        "txt-record=portlens.test,\"v=spf1 -all\",\"portlens corpus\"",
        "srv-host=_sip._udp.portlens.test,sip.portlens.test,5060",
        "ptr-record=1.0.0.10.in-addr.arpa,www.portlens.test",
        "cname=alias.portlens.test,www.portlens.test", ""]))
    srv = ctx.start("dnsmasq", ["dnsmasq", "-k", "-C", conf, "-p", str(port), "--user=root", "--pid-file="],
                    wait=("udp", port))
    dig = ["dig", "@127.0.0.1", "-p", str(port)]
    cases = [
        ("udp", "query-a", DIG, dig + ["www.portlens.test", "A"]),
        ("udp", "query-aaaa-noedns", DIG, dig + ["+noedns", "www.portlens.test", "AAAA"]),
        ("udp", "query-mx-txt-srv", DIG, dig + ["portlens.test", "MX", "portlens.test", "TXT",
                                                "_sip._udp.portlens.test", "SRV"]),
        ("udp", "query-ptr-cookie", DIG, dig + ["+cookie", "-x", "10.0.0.1"]),
        ("tcp", "query-a-tcp", DIG, dig + ["+tcp", "www.portlens.test", "A"]),
        ("tcp", "query-any-tcp", DIG, dig + ["+tcp", "+dnssec", "alias.portlens.test", "ANY"]),
        ("udp", "query-a", PY, [sys.executable, "-c", PY_QUERY, str(port)]),
        ("udp", "query-a", f"host {deb_version('bind9-host') or deb_version('bind9-dnsutils')}",
         ["host", "-t", "A", "www.portlens.test", "127.0.0.1"]),
    ]
    for transport, variant, client, argv in cases:
        if argv[0] == "host":
            if ctx.mode != "iana":      # host(1) cannot pick a port: IANA run only
                continue
        with ctx.capture("dns") as cap:
            cap.expect(transport, port, "dns", variant=variant, server=DNSMASQ, client=client,
                       how=f"{cmd(argv)} against dnsmasq")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
