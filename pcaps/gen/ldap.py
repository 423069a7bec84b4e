"""LDAP: OpenLDAP slapd with an mdb database; ldapadd, ldapsearch, ldapwhoami (+StartTLS)."""

import os

from . import servers
from .core import cmd, deb_version

NAME = "ldap"
PREFIXES = ("ldap",)
MODES = ("random", "iana")

SERVER = ("slapd", deb_version("slapd"))
TOOLS = f"ldap-utils {deb_version('ldap-utils')}"
BASE = "dc=portlens,dc=test"
ADMIN = f"cn=admin,{BASE}"


def run(ctx):
    crt, key = servers.cert(ctx)
    d = ctx.tmp("slapd")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = ctx.write(os.path.join(d, "slapd.conf"), f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {d}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile {crt}
TLSCertificateKeyFile {key}
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "{ADMIN}"
rootpw portlens
directory {d}/db
""")
    ldif = ctx.write(os.path.join(d, "base.ldif"), f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: portlens
dc: portlens

dn: cn=alice,{BASE}
objectClass: inetOrgPerson
cn: alice
sn: Liddell
mail: alice@portlens.test
""")
    port = ctx.port(389)
    url = f"ldap://127.0.0.1:{port}"
    srv = ctx.start("slapd", ["slapd", "-d", "0", "-h", f"{url}/", "-f", conf], wait=("tcp", port))
    env = {"LDAPTLS_REQCERT": "never"}
    cases = [
        ("bind-simple-add", ["ldapadd", "-x", "-c", "-H", url, "-D", ADMIN, "-w", "portlens", "-f", ldif]),
        ("rootdse-anonymous", ["ldapsearch", "-x", "-H", url, "-b", "", "-s", "base", "+"]),
        ("search-filter", ["ldapsearch", "-x", "-H", url, "-D", ADMIN, "-w", "portlens", "-b", BASE,
                           "(&(objectClass=inetOrgPerson)(mail=*))", "cn", "mail"]),
        ("whoami-exop", ["ldapwhoami", "-x", "-H", url, "-D", ADMIN, "-w", "portlens"]),
        ("compare", ["ldapcompare", "-x", "-H", url, f"cn=alice,{BASE}", "sn:Liddell"]),
        ("starttls-search", ["ldapsearch", "-x", "-ZZ", "-H", url, "-b", BASE, "-s", "one"]),
    ]
    for variant, argv in cases:
        with ctx.capture("ldap") as cap:
            cap.expect("tcp", port, "ldap", variant=variant, server=SERVER, client=TOOLS,
                       how=f"{cmd(argv)} against slapd")
            cap.start()
            ctx.run(argv, env=env, check=argv[0] not in ("ldapadd", "ldapcompare"))
    ctx.stop(srv)
