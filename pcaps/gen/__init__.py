"""Per-protocol corpus generator modules, in the order ``pcaps/generate`` runs them.

Each module exports NAME, PREFIXES (the capture-name prefixes it owns: rerunning the
module replaces exactly those captures), MODES (port modes it runs in) and run(ctx).
The registry is explicit: adding a protocol is one module and one line here.
"""

from . import (amqp, apps, bittorrent, coap, dns, ftp, games, git, gopher, http, http2, industrial, irc, ldap, mail, memcached, mismatch, modbus, mqtt, mysql,
               ntp, openvpn, postgresql, quic, rdp, redis, rsync, rtp, rtsp, sip, smb, snmp, ssh, stun, syslog, telnet, tftp, tinc, tls, vnc, wireguard, xmpp,
               zookeeper)

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
    quic,
    modbus,
    coap,
    sip,
    tftp,
    telnet,
    irc,
    git,
    rsync,
    syslog,
    stun,
    amqp,
    zookeeper,
    xmpp,
    smb,
    vnc,
    rtp,
    rtsp,
    openvpn,
    wireguard,
    bittorrent,
    rdp,
    gopher,
    apps,
    tinc,
    games,
    industrial,
    mismatch,
]
