"""Per-protocol corpus generator modules, in the order ``pcaps/generate`` runs them.

Each module exports NAME, PREFIXES (the capture-name prefixes it owns: rerunning the
module replaces exactly those captures), MODES (port modes it runs in) and run(ctx).
The registry is explicit: adding a protocol is one module and one line here.
"""

from . import (dns, ftp, http, http2, ldap, mail, memcached, mqtt, mysql, ntp, postgresql, redis, snmp,
               ssh, tls)

MODULES = [
    http,
    http2,
    tls,
    dns,
    ssh,
    ftp,
    redis,
    memcached,
    mqtt,
    mail,
    postgresql,
    mysql,
    ldap,
    ntp,
    snmp,
]
