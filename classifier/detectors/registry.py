"""The one list of detectors.  No import magic: adding a protocol = one module + one line.

ORDER MATTERS: it is the engine's tie-break when two detectors match with the same
confidence (see engine.py).  Most specific first:
  1. protocols that reuse another's syntax or framing (http-proxy before http; rtsp,
     sip and ssdp before http; smb before netbios-ssn; mdns/llmnr/netbios-ns are
     exclusive with dns by construction but listed first anyway);
  2. protocols with long magic strings, checksums or exact length fields;
  3. weak statistical or short-magic detectors last (rtp, rtmp, ntp, syslog,
     smallchat), so they only win when nothing stronger matched.
"""
from __future__ import annotations

from . import (
    http_proxy, rtsp, sip, ssdp, http2, http,
    tls, dtls, quic,
    mdns, llmnr, netbios_ns, dns,
    ssh, ftp, ftp_data, smtp, pop3, imap, irc, xmpp, telnet,
    smb, netbios_ssn, netbios_dgm, rdp, vnc, ldap, kerberos, slp, radius, snmp,
    mysql, postgresql, mssql_tds, redis, mongodb, memcached, zookeeper,
    mqtt, amqp, git, rsync, socks, bittorrent,
    openvpn, wireguard, ike, stun,
    bgp, dnp3, iec104, modbus,
    dhcp, dhcpv6, tftp, coap, rtcp, rtp, rtmp, ntp, syslog, smallchat,
)

DETECTORS = [
    # HTTP-syntax family: the specialised ones before plain http.
    http_proxy, rtsp, sip, ssdp, http2, http,
    # Encrypted transports with strict record/header formats.
    tls, dtls, quic,
    # DNS-format family (one shared parser; mutually exclusive flavour rule).
    mdns, llmnr, netbios_ns, dns,
    # Banner / command protocols (ftp and smtp share one decision function).
    ssh, ftp, ftp_data, smtp, pop3, imap, irc, xmpp, telnet,
    # Session / directory / auth: smb before its netbios-ssn framing.
    # slp before radius: SLPv1's 2-byte length sits where RADIUS keeps its own.
    smb, netbios_ssn, netbios_dgm, rdp, vnc, ldap, kerberos, slp, radius, snmp,
    # Databases and messaging.
    mysql, postgresql, mssql_tds, redis, mongodb, memcached, zookeeper, mqtt, amqp,
    # Tools, proxies, peer-to-peer.
    git, rsync, socks, bittorrent,
    # VPN / NAT traversal.
    openvpn, wireguard, ike, stun,
    # Routing and industrial: checksummed or exact-length framing.
    bgp, dnp3, iec104, modbus,
    # Small binary UDP headers and statistical detectors: last.
    dhcp, dhcpv6, tftp, coap, rtcp, rtp, rtmp, ntp, syslog, smallchat,
]

SPECS = [m.SPEC for m in DETECTORS]
NAMES = [s.name for s in SPECS]
