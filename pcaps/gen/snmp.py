"""SNMP v1, v2c and v3 (authPriv): net-snmp snmpd; snmpget/snmpwalk/snmpbulkwalk."""

import os

from .core import cmd, deb_version

NAME = "snmp"
PREFIXES = ("snmp",)
MODES = ("random", "iana")

SERVER = ("net-snmp-snmpd", deb_version("snmpd"))
TOOLS = f"net-snmp-tools {deb_version('snmp')}"
SYS = "1.3.6.1.2.1.1"
V3 = ["-v3", "-u", "plv3", "-l", "authPriv", "-a", "SHA", "-A", "portlensauth", "-x", "AES", "-X", "portlenspriv"]


def run(ctx):
    d = ctx.tmp("snmpd")
    port = ctx.port(161)
    conf = ctx.write(os.path.join(d, "snmpd.conf"), "\n".join([
        f"agentAddress udp:127.0.0.1:{port}", "rocommunity public 127.0.0.1", "rocommunity corpus 127.0.0.1",
        'createUser plv3 SHA "portlensauth" AES "portlenspriv"', "rouser plv3 priv",
        "sysLocation portlens corpus lab", "sysContact corpus@portlens.test", "master no", ""]))
    env = {"MIBS": "", "SNMP_PERSISTENT_DIR": d, "SNMPCONFPATH": d}
    srv = ctx.start("snmpd", ["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", f"{d}/snmpd.pid", "-I", "-smux"],
                    wait=("udp", port), env=env, delay=0.3)
    target = f"udp:127.0.0.1:{port}"
    cases = [
        ("snmpv1-get", ["snmpget", "-v1", "-c", "public", "-On", target, f"{SYS}.1.0", f"{SYS}.3.0"]),
        ("snmpv2c-walk", ["snmpwalk", "-v2c", "-c", "public", "-On", target, SYS]),
        ("snmpv2c-bulkwalk", ["snmpbulkwalk", "-v2c", "-c", "corpus", "-On", "-Cr5", target, "1.3.6.1.2.1.2"]),
        ("snmpv2c-getnext", ["snmpgetnext", "-v2c", "-c", "public", "-On", target, f"{SYS}.5"]),
        ("snmpv3-authpriv-get", ["snmpget", *V3, "-On", target, f"{SYS}.5.0", f"{SYS}.6.0"]),
        ("snmpv3-authpriv-walk", ["snmpwalk", *V3, "-On", target, SYS]),
    ]
    for variant, argv in cases:
        with ctx.capture("snmp") as cap:
            cap.expect("udp", port, "snmp", variant=variant, server=SERVER, client=TOOLS,
                       how=f"{cmd(argv)} against snmpd -f")
            cap.start()
            ctx.run(argv, env={"MIBS": "", "SNMP_PERSISTENT_DIR": d + "/client"})
    ctx.stop(srv)
