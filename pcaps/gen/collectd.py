"""collectd: two collectd daemons on loopback, one sending its load / memory / uptime
values with the network plugin, one listening (real software on both ends; the
receiver never answers).  Variants: plain, signed (SecurityLevel Sign: an HMAC-SHA-256
part first) and encrypted (SecurityLevel Encrypt: one AES-256 part)."""

import os

from .core import deb_version

NAME = "collectd"
PREFIXES = ("collectd",)
MODES = ("random", "iana")

SOFTWARE = ("collectd", deb_version("collectd-core"))
PLUGIN_DIR = "/usr/lib/collectd"


def _conf(d, name, body):
    return "\n".join([
        f'BaseDir "{d}/{name}"', f'PIDFile "{d}/{name}.pid"', f'PluginDir "{PLUGIN_DIR}"',
        'TypesDB "/usr/share/collectd/types.db"', "Interval 1", "FQDNLookup false",
        'Hostname "portlens-node"', body, ""])


def run(ctx):
    d = ctx.tmp("collectd")
    auth = ctx.write(os.path.join(d, "auth"), "portlens: secret\n")
    for variant, security in (("plain", ""), ("signed", "Sign"), ("encrypted", "Encrypt")):
        port = ctx.port(25826)      # collectd's port (not in the IANA registry)
        sec_srv = f'    SecurityLevel "{security}"\n    AuthFile "{auth}"\n' if security else ""
        sec_cli = f'    SecurityLevel "{security}"\n    Username "portlens"\n    Password "secret"\n' if security else ""
        listen = ctx.write(os.path.join(d, f"listen-{variant}.conf"), _conf(d, f"listen-{variant}", (
            'LoadPlugin network\n<Plugin network>\n'
            f'  <Listen "127.0.0.1" "{port}">\n{sec_srv}  </Listen>\n</Plugin>')))
        send = ctx.write(os.path.join(d, f"send-{variant}.conf"), _conf(d, f"send-{variant}", (
            'LoadPlugin load\nLoadPlugin memory\nLoadPlugin uptime\nLoadPlugin network\n<Plugin network>\n'
            f'  <Server "127.0.0.1" "{port}">\n{sec_cli}  </Server>\n</Plugin>')))
        srv = ctx.start(f"collectd-listen-{variant}", ["collectd", "-f", "-C", listen], wait=("udp", port), delay=0.5)
        with ctx.capture("collectd") as cap:
            cap.expect("udp", port, "collectd", variant=variant, server=SOFTWARE,
                       client=f"collectd {SOFTWARE[1]}",
                       how=f"collectd -f (network plugin Server, SecurityLevel {security or 'None'}) "
                           f"-> collectd -f (network plugin Listen)")
            cap.start()
            ctx.run(["timeout", "-s", "TERM", "4", "collectd", "-f", "-C", send], timeout=15, check=False)
        ctx.stop(srv)
