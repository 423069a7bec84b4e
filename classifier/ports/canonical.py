"""IANA service names -> portlens' canonical protocol names, in one explicit table.

The IANA registry names *services* ("www-http", "microsoft-ds", "submissions"); the
detectors name *wire protocols* (docs/protocols.md: "http", "smb", "tls").  This module
is the only place where the two vocabularies meet.  Rules:

* A service maps to the protocol its port carries **from the first byte**.  Implicit-TLS
  services ("https", "imaps", "ldaps", "submissions", ...) map to `tls` (`dtls` on UDP),
  because a flow on 993/tcp opens with a TLS ClientHello, not an IMAP greeting.
  STARTTLS services keep their own protocol ("submission" -> smtp, "imap" -> imap).
* A mapping may depend on the transport: `https` is `tls` on TCP and `quic` on UDP
  (HTTP/3, RFC 9114, is the only HTTPS that runs over UDP 443; DTLS on 443/udp, e.g.
  a VPN's data channel, is therefore a mismatch worth a look).
* A mapping may name several protocols when the registration itself does:
  `domain-s`/udp is "DNS over DTLS or QUIC".
* A service not listed here implies itself: the verdict then reads
  "2181/tcp implies eforward; payload is zookeeper".  Site conventions that IANA does
  not know (zookeeper on 2181, syslog on 514/tcp) belong in a site overrides file.

`COMPATIBLE` says which observed protocols satisfy a port-implied protocol beyond
the protocol itself (documented in docs/output.md):

* http:  http2 (cleartext h2c, RFC 9113 3.3) and http-proxy (a proxy request is an
  HTTP request) are HTTP on the wire's terms;
* dns / mdns / llmnr: one wire format whose flavour the detectors decide from the names
  asked (".local", single labels), so any of the three on a port of the family is a match;
* netbios-ssn / smb: SMB runs inside NetBIOS session framing on 139, and SMB's "direct
  TCP" framing on 445 is the same 4-byte header, so either label fits either port;
* rtp: RTCP multiplexed on the RTP port (RFC 5761) is a match on 5004.

Every canonical name of docs/protocols.md whose protocol has an IANA registration is
covered (tests/test_ports.py checks this table against the registry and the detectors).
Protocols without a registration of their own: http-proxy, http2 (both ride on the
http ports, see COMPATIBLE), dtls (only as the secured form of other services),
zookeeper (2181 is registered to "eforward"), bittorrent (6881-6889 are unassigned),
wireguard (51820 is in the dynamic range).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Tuple, Union

# The canonical protocol names, as in docs/protocols.md (the detectors' registry order).
PROTOCOLS: Tuple[str, ...] = (
    "http-proxy", "rtsp", "sip", "ssdp", "http2", "http", "tls", "dtls", "quic",
    "mdns", "llmnr", "netbios-ns", "dns", "ssh", "ftp", "ftp-data", "smtp", "pop3",
    "imap", "irc", "xmpp", "telnet", "smb", "netbios-ssn", "netbios-dgm", "rdp", "vnc",
    "ldap", "kerberos", "slp", "radius", "snmp", "mysql", "postgresql", "mssql-tds",
    "redis", "mongodb", "memcached", "zookeeper", "mqtt", "amqp", "git", "rsync",
    "socks", "bittorrent", "openvpn", "wireguard", "ike", "stun", "bgp", "dnp3",
    "iec104", "modbus", "dhcp", "dhcpv6", "tftp", "coap", "rtcp", "rtp", "rtmp", "ntp",
    "syslog", "smallchat",
)

_Map = Union[str, Tuple[str, ...], Dict[str, Union[str, Tuple[str, ...]]]]

# TLS on stream transports, DTLS on datagram ones: the secured form of a service.
_SECURED = {"tcp": "tls", "sctp": "tls", "udp": "dtls", "dccp": "dtls"}
_TLS_TCP = {"tcp": "tls", "sctp": "tls"}

# IANA service name -> canonical protocol(s). A string or tuple holds for every
# transport the service is registered on; a dict maps transport -> protocol(s), and a
# transport missing from the dict leaves the service unmapped on it.
IANA_TO_CANONICAL: Dict[str, _Map] = {
    # --- web ---
    "http": "http", "www": "http", "www-http": "http",
    "http-alt": "http",                 # 591, 8008, 8080 "HTTP Alternate"
    "ipp": "http",                      # 631: the Internet Printing Protocol is HTTP (RFC 8010)
    "hkp": "http",                      # 11371: OpenPGP HTTP Keyserver
    "xmpp-bosh": "http",                # 5280: XMPP over BOSH is HTTP long-polling
    "docker": {"tcp": "http"},          # 2375: Docker REST API, plain text
    "wsman": "http",                    # 5985: WS-Management over HTTP
    "https": {"tcp": "tls", "sctp": "tls", "udp": "quic"},
    "ipps": _TLS_TCP,                   # 631/tcp as well: IPP over HTTPS
    "docker-s": _TLS_TCP, "wsmans": _TLS_TCP,
    "pcsync-https": _TLS_TCP,           # 8443, the usual HTTPS-alternate port
    "sun-sr-https": _TLS_TCP,           # 6443, also the Kubernetes API server's port
    "oracleas-https": _TLS_TCP, "tungsten-https": _TLS_TCP, "compaq-https": _TLS_TCP,
    "wbem-https": _TLS_TCP,
    # --- names and discovery ---
    "domain": "dns",
    "domain-s": {"tcp": "tls", "udp": ("dtls", "quic")},   # 853: DoT; DoDTLS or DoQ on UDP
    "mdns": "mdns", "llmnr": "llmnr",
    "netbios-ns": "netbios-ns", "netbios-dgm": "netbios-dgm", "netbios-ssn": "netbios-ssn",
    "ssdp": "ssdp", "svrloc": "slp",
    "bootps": "dhcp", "bootpc": "dhcp",
    "dhcpv6-client": "dhcpv6", "dhcpv6-server": "dhcpv6",
    # --- remote access and files ---
    "ssh": "ssh", "telnet": "telnet", "telnets": _SECURED,
    "ftp": "ftp", "ftp-data": "ftp-data", "ftps": _SECURED, "ftps-data": _SECURED,
    "tftp": "tftp", "rsync": "rsync", "git": "git",
    "microsoft-ds": "smb",              # 445
    "ms-wbt-server": "rdp",             # 3389
    "rfb": "vnc",                       # 5900: the Remote Framebuffer protocol is VNC's
    "socks": "socks",
    # --- mail and chat ---
    "smtp": "smtp", "submission": "smtp", "submissions": _TLS_TCP,
    "pop3": "pop3", "pop3s": _SECURED, "imap": "imap", "imaps": _TLS_TCP,
    "irc": "irc", "ircu": "irc",        # ircu: 6665-6669/tcp
    "ircs-u": _TLS_TCP,
    "xmpp-client": "xmpp", "xmpp-server": "xmpp",
    "smallchat": "smallchat",           # 4412/udp
    # --- directory, auth, management ---
    "ldap": "ldap", "msft-gc": "ldap",  # 3268: the Global Catalog speaks LDAP
    "ldaps": _SECURED, "msft-gc-ssl": _TLS_TCP,
    "kerberos": "kerberos",
    "kpasswd": "kerberos",              # 464: RFC 3244 messages are Kerberos AP-REQ + KRB-PRIV
    "radius": "radius", "radius-acct": "radius", "radius-dynauth": "radius",
    "radsec": _SECURED,                 # 2083: RADIUS over TLS/DTLS (RFC 6614, 7360)
    "snmp": "snmp", "snmptrap": "snmp",
    "snmptls": _TLS_TCP, "snmpdtls": {"udp": "dtls"},
    "snmptls-trap": _TLS_TCP, "snmpdtls-trap": {"udp": "dtls"},
    "syslog": "syslog", "syslog-conn": "syslog",   # 514/udp, 601 (RFC 3195)
    "syslog-tls": _SECURED,             # 6514: TLS on TCP, DTLS on UDP/DCCP
    "ntp": "ntp",
    # --- databases and messaging ---
    "mysql": "mysql", "postgresql": "postgresql",
    "ms-sql-s": "mssql-tds",            # 1433 (1434 "ms-sql-m" is the SQL Browser, not TDS)
    "redis": "redis", "mongodb": "mongodb",
    "memcache": "memcached",            # 11211
    "mqtt": "mqtt", "secure-mqtt": _TLS_TCP,
    "amqp": "amqp", "amqps": _TLS_TCP,
    # --- VPN and NAT traversal ---
    "openvpn": "openvpn",
    "isakmp": "ike",                    # 500
    "ipsec-nat-t": "ike",               # 4500: IKE after NAT detection (ESP-in-UDP stays unidentified)
    "stun": "stun", "turn": "stun", "stun-behavior": "stun",      # 3478: TURN is STUN
    "stuns": _SECURED, "turns": _SECURED, "stun-behaviors": _TLS_TCP,   # 5349
    # --- routing and industrial ---
    "bgp": "bgp",
    "dnp": "dnp3",                      # 20000
    "iec-104": "iec104",                # 2404
    "mbap": "modbus",                   # 502
    "mbap-s": _TLS_TCP,                 # 802: Modbus/TCP Security is Modbus inside TLS
    # --- media and IoT ---
    "rtsp": "rtsp", "rtsps": _TLS_TCP,
    "sip": "sip", "sips": _TLS_TCP,
    "avt-profile-1": "rtp",             # 5004
    "avt-profile-2": "rtcp",            # 5005
    "macromedia-fcs": "rtmp",           # 1935: RTMP is the Flash Communication Server's protocol
    "coap": "coap", "coaps": {"tcp": "tls", "udp": "dtls"},
}

# Port-implied protocol -> the observed protocols that also count as a match.
COMPATIBLE: Dict[str, FrozenSet[str]] = {
    "http": frozenset({"http", "http2", "http-proxy"}),
    "dns": frozenset({"dns", "mdns", "llmnr"}),
    "mdns": frozenset({"mdns", "dns", "llmnr"}),
    "llmnr": frozenset({"llmnr", "dns", "mdns"}),
    "netbios-ssn": frozenset({"netbios-ssn", "smb"}),
    "smb": frozenset({"smb", "netbios-ssn"}),
    "rtp": frozenset({"rtp", "rtcp"}),
}


def canonical_for(service: str, transport: str) -> Tuple[str, ...]:
    """The canonical protocol(s) an IANA service implies on a transport; () if unmapped."""
    m = IANA_TO_CANONICAL.get(service.lower())
    if m is None:
        return ()
    if isinstance(m, dict):
        m = m.get(transport)
        if m is None:
            return ()
    return (m,) if isinstance(m, str) else tuple(m)


def accepts(implied: str) -> FrozenSet[str]:
    """Observed protocols that match a port implying `implied`."""
    return COMPATIBLE.get(implied) or frozenset((implied,))
