"""The protocol table: one row per protocol portlens detects, and every list derived from it.

A row says what the rest of the code needs to know about a protocol, so that adding one
is a detector module plus one row here (CONTRIBUTING.md, `python tools/new_protocol.py`):

* `name`        the canonical name (detector SPEC.name, output `protocol`, site files);
* `transports`  what its detector probes ("tcp", "udp"); must equal the SPEC's;
* `module`      its detector module in classifier/detectors/ (default: name, "-" -> "_");
* `ndpi`        nDPI master names that mean this protocol (label agreement, the model's
                reference data); a name in several rows (NetBIOS) names none of them alone;
* `ndpi_by_port` nDPI names given by port that also agree (IMAPS for a STARTTLS imap flow);
* `ndpi_inside` nDPI names of applications it recognises inside this protocol's flows
                (ApplePush inside TLS): they agree on the flow but do not mean the
                protocol, so, like `ndpi_by_port`, they are not the model's reference data;
* `suricata`    Suricata 7's app_proto for it (EVE's app_proto; None: none, so EVE
                writes the canonical name); `suricata_note` qualifies it in the docs;
* `iana`        IANA service names that imply it: "svc" on every transport the service is
                registered on, "svc/tcp,sctp" on those transports only;
* `compatible`  other observed protocols that satisfy a port implying this one;
* `metadata`    the metadata keys its detector reports (docs).

ORDER MATTERS: the table's order is the detectors' (classifier/detectors/
detector_list.py imports the modules in this order), and that order is the engine's
tie-break when two detectors match with the same confidence.  Most specific first:
  1. protocols that reuse another's syntax or framing (http-proxy before http; rtsp,
     sip and ssdp before http; smb before netbios-ssn; mdns/llmnr/netbios-ns are
     exclusive with dns by construction but listed first anyway);
  2. protocols with long magic strings, checksums or exact length fields;
  3. weak statistical or short-magic detectors last (rtp, rtmp, ntp, syslog,
     smallchat), so they only win when nothing stronger matched.

IANA services vs wire protocols (what `iana` holds): the IANA registry names *services*
("www-http", "microsoft-ds", "submissions"); the detectors name *wire protocols*.  Rules:

* A service maps to the protocol its port carries **from the first byte**.  Implicit-TLS
  services ("https", "imaps", "ldaps", "submissions", ...) map to `tls` (`dtls` on UDP),
  because a flow on 993/tcp opens with a TLS ClientHello, not an IMAP greeting.
  STARTTLS services keep their own protocol ("submission" -> smtp, "imap" -> imap).
* A mapping may depend on the transport: `https` is `tls` on TCP and `quic` on UDP
  (HTTP/3, RFC 9114, is the only HTTPS that runs over UDP 443; DTLS on 443/udp, e.g.
  a VPN's data channel, is therefore a mismatch worth a look).
* A service may imply several protocols when the registration itself does:
  `domain-s`/udp is "DNS over DTLS or QUIC" (listed in both rows; table order).
* A service not listed here implies itself: the verdict then reads
  "2181/tcp implies eforward; payload is zookeeper".  Site conventions that IANA does
  not know (zookeeper on 2181, syslog on 514/tcp) belong in a site overrides file.
* Protocols without a registration of their own, each with its reason (a test reads
  this list): http-proxy (rides on the http ports, see `compatible`), http2 (likewise),
  zookeeper (2181 is registered to "eforward"), bittorrent (6881-6889 are unassigned),
  wireguard (51820 is in the dynamic range), oicq (QQ's 8000 is registered to "irdmi"),
  alicloud (no registration; its agent's port 8999 is "bctp"), avast (rides on port 80),
  spotify (LAN discovery's 57621 is in the dynamic range; the access points use 4070,
  registered to "tripe", 443 and 80), syncthing (local discovery's 21027 is unassigned),
  roughtime (its usual 2002 is registered to "globe"), ookla (rides on 8080,
  "http-alt"), whatsapp (rides on 443 and 5222, "xmpp-client"), softether (its NAT-traversal
  servers use 5004, "avt-profile-1"), tailscale (41641 is unassigned), teamviewer (5938 is
  unassigned; it also rides on 443 and 80), telegram (rides on 443, 80 and 5222); the
  games, peer-to-peer and media protocols of issue 14 have none: sd-rtn (Agora's servers pick the port), raknet (19132 and the
  game's own ports are unassigned), teamspeak (its 9987 is registered to dsm-scm-target),
  netcode (the game picks it), bitcoin (8333 is unassigned), a2s (27015 is unassigned),
  nano (7075 is unassigned), genshin (the game's servers pick them), zoom
  (8801-8810 are unassigned), photon (its 5055 is registered to unot), edonkey (its
  4661-4662 are registered to kar2ouche and oms), kcp (the application picks it),
  stratum (each pool picks its port), discord (Discord's voice servers pick it),
  multistream (it runs on every libp2p port); of the IoT and industrial ones: tuya-lp (6666/6667 are ircu's on TCP,
  reserved on UDP), caneth (11898 is unassigned), atg (its usual 10001 is registered to
  scp-config), ieee-c37118 (4712/4713 are unassigned), egd (18246 is
  unassigned), ethersio (6060 lies in x11's
  6000-6063), someip (30490/30491 are unassigned);
  of the enterprise and infrastructure ones: dnscrypt (rides on the https and domain
  ports), collectd (25826 is unassigned), ajp (8009 is registered to "nvme-disc"),
  fastcgi (9000 is "cslistener"), openwire (61616 is in the dynamic range), stomp
  (61613 is in the dynamic range), lustre (988 is unassigned), nats (4222
  is in vrml-multi-use's 4200-4299);
  of the queue, database and gateway ones: kafka (its 9092 is registered to XmlIpcRegSvc),
  cassandra (9042 is unassigned), zeromq (the application picks the port; 5555, the
  guide's, is personal-agent), beanstalkd (11300 is unassigned); of the automation ones: knxnet-ip (its 3671 is
  registered to efcp), fins (its 9600 is micromuse-ncpw's), mqtt-sn (gateways listen
  on mqtt's 1883 or a port of their choosing), miio (54321 is in the dynamic range),
  ether-s-bus (its 5050 is registered to "mmcc"), websocket (rides on the http ports
  after an Upgrade, see http's `upgrade`);
  of the games known from nDPI's signatures: zug (nDPI's capture uses 19000,
  registered to igrid), lolwildrift (Riot's servers pick the port), activision (the
  players' 3074 is registered to xbox, the game port many titles share), codmobile (the
  game's servers pick them);
  protobuf (a message encoding, not a
  service: each application picks its port), tencentgame (TConnd's port is the game's
  choice), pathofexile (its game servers' 6112 is registered to dtspcd), starcraft
  (1119, bnetgame, is every Battle.net game's); mikrotik (MNDP's 5678 is registered to
  rrac); of the messaging apps: viber (its servers'
  4244 lies in vrml-multi-use's 4200-4299, 5242 is "attune", its media's 7985-7987 are
  unassigned), threema (rides on 5222, "xmpp-client"), imo (relays and peers pick the
  port).

This module imports nothing from the package, so anything may import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

__all__ = ["Protocol", "TABLE", "NAMES", "BY_NAME", "split_alias", "iana_aliases", "compatible",
           "suricata_app_proto", "ndpi_agreeing", "ndpi_to_canonical", "ndpi_ambiguous",
           "docs_table"]


@dataclass(frozen=True)
class Protocol:
    name: str
    transports: Tuple[str, ...]
    ndpi: Tuple[str, ...] = ()
    ndpi_by_port: Tuple[str, ...] = ()
    ndpi_inside: Tuple[str, ...] = ()
    ndpi_note: str = ""
    suricata: Optional[str] = None
    suricata_note: str = ""
    iana: Tuple[str, ...] = ()
    compatible: Tuple[str, ...] = ()
    metadata: str = ""
    module: str = ""

    @property
    def module_name(self) -> str:
        return self.module or self.name.replace("-", "_")


P = Protocol
TCP, UDP, BOTH = ("tcp",), ("udp",), ("tcp", "udp")
# Implicit TLS: TLS on the stream transports, DTLS on the datagram ones.
_S, _D = "/tcp,sctp", "/udp,dccp"

TABLE: Tuple[Protocol, ...] = (
    # HTTP-syntax family: the specialised ones before plain http.
    P("http-proxy", TCP, ndpi=("HTTP_Connect", "HTTP_Proxy"), suricata="http",
      metadata="method, host (target), user_agent"),
    P("rtsp", BOTH, ndpi=("RTSP",), iana=("rtsp", "rtsp-alt"),   # rtsp-alt: 8554
      metadata="method, uri, status, user_agent, server"),
    P("sip", BOTH, ndpi=("SIP",), suricata="sip", iana=("sip",),
      metadata="method, status, user_agent, from_, to, call_id"),
    P("ssdp", UDP, ndpi=("SSDP",), iana=("ssdp",), metadata="method, st, server, user_agent, location"),
    P("http2", TCP, ndpi=("HTTP2",), suricata="http2",
      metadata="preface (cleartext h2c; h2 inside TLS is `tls`, ALPN h2)"),
    P("http", TCP, ndpi=("HTTP",), suricata="http",
      # Applications nDPI names from an HTTP request's contents: a SOAP call (SOAPAction
      # header or envelope; metadata soap_action), the MapleStory client's requests.
      ndpi_inside=("SOAP", "MapleStory"),
      iana=("http", "www", "www-http",
            "http-alt",                 # 591, 8008, 8080 "HTTP Alternate"
            "ipp",                      # 631: the Internet Printing Protocol is HTTP (RFC 8010)
            "hkp",                      # 11371: OpenPGP HTTP Keyserver
            "xmpp-bosh",                # 5280: XMPP over BOSH is HTTP long-polling
            "docker/tcp",               # 2375: Docker REST API, plain text
            "wsman"),                   # 5985: WS-Management over HTTP
      # h2c (RFC 9113 3.3) and a proxy request are HTTP on the wire's terms.
      compatible=("http2", "http-proxy"),
      metadata="method, uri, host, user_agent, upgrade, soap_action, status, server"),
    # Encrypted transports with strict record/header formats.
    P("tls", TCP, ndpi=("TLS", "IMAPS", "SMTPS", "POP3S", "FTPS"),
      ndpi_inside=("ApplePush",),       # APNs: TLS to Apple's push servers (SNI, 5223)
      ndpi_note="the last four: implicit TLS, named by its port",
      suricata="tls",
      iana=("https" + _S, "ipps" + _S, "docker-s" + _S, "wsmans" + _S,
            "pcsync-https" + _S,        # 8443, the usual HTTPS-alternate port
            "sun-sr-https" + _S,        # 6443, also the Kubernetes API server's port
            "oracleas-https" + _S, "tungsten-https" + _S, "compaq-https" + _S, "wbem-https" + _S,
            "domain-s/tcp",             # 853: DNS over TLS
            "telnets" + _S, "ftps" + _S, "ftps-data" + _S, "submissions" + _S, "pop3s" + _S,
            "imaps" + _S, "ircs-u" + _S, "ldaps" + _S, "msft-gc-ssl" + _S,
            "radsec" + _S,              # 2083: RADIUS over TLS (RFC 6614)
            "snmptls" + _S, "snmptls-trap" + _S, "syslog-tls" + _S, "secure-mqtt" + _S,
            "amqps" + _S, "stuns" + _S, "turns" + _S, "stun-behaviors" + _S,
            "mbap-s" + _S,              # 802: Modbus/TCP Security is Modbus inside TLS
            "rtsps" + _S, "sips" + _S, "coaps/tcp"),
      metadata="sni, alpn, alpn_selected, version, client_version, supported_versions; "
               "ja4, ja3, ja3s (docs/output.md, Fingerprints); sslv2_hello (an SSLv2-format "
               "ClientHello opened the flow)"),
    P("dtls", UDP, ndpi=("DTLS",), suricata="dtls", suricata_note="7.0+",
      iana=("domain-s/udp",             # 853: DNS over DTLS (or QUIC, below)
            "telnets" + _D, "ftps" + _D, "ftps-data" + _D, "pop3s" + _D, "ldaps" + _D,
            "radsec" + _D,              # 2083: RADIUS over DTLS (RFC 7360)
            "snmpdtls/udp", "snmpdtls-trap/udp", "syslog-tls" + _D, "stuns" + _D, "turns" + _D,
            "coaps/udp"),
      metadata="version, sni, alpn, supported_versions"),
    P("quic", UDP, ndpi=("QUIC",), suricata="quic",
      iana=("https/udp",                # HTTP/3 is the only HTTPS over UDP 443
            "domain-s/udp"),            # 853: DNS over QUIC (RFC 9250)
      metadata="version; sni, alpn, supported_versions, ja4 (`q` variant) decrypted from the "
               "client Initial (RFC 9001)"),
    # DNS-format family (one shared parser; mutually exclusive flavour rule).  One wire
    # format whose flavour the detectors decide from the header (id, RD/RA/AA, the QU
    # bit, answers without a question) together with the names asked (".local", single
    # labels), so any of the three on a port of the family is a match.
    P("mdns", UDP, ndpi=("MDNS",), iana=("mdns",), compatible=("dns", "llmnr"),
      metadata="qname, qtype, response"),
    P("llmnr", UDP, ndpi=("LLMNR",), iana=("llmnr",), compatible=("dns", "mdns"),
      metadata="qname, qtype, response"),
    P("netbios-ns", UDP, ndpi=("NetBIOS",), iana=("netbios-ns",),
      metadata="qname (decoded NetBIOS name), qtype"),
    # nDPI's DNScrypt also names DNSCrypt's certificate fetch, a plain DNS TXT query: it
    # agrees (ndpi_by_port: agreement only), but labels no training flow dns.
    P("dns", BOTH, ndpi=("DNS",), ndpi_by_port=("DNScrypt",), ndpi_note="DNScrypt: its certificate fetch",
      suricata="dns", iana=("domain",), compatible=("mdns", "llmnr"),
      metadata="qname, qtype, response, rcode"),
    # Banner / command protocols (ftp and smtp share one decision function).
    P("ssh", TCP, ndpi=("SSH",), suricata="ssh", iana=("ssh",), metadata="client_banner, server_banner; "
      "hassh, hassh_server from each side's KEXINIT"),
    P("ftp", TCP, ndpi=("FTP_CONTROL",), ndpi_by_port=("FTPS",), suricata="ftp", iana=("ftp",),
      metadata="banner, expect (endpoints announced by PASV/EPSV/PORT/EPRT)"),
    P("ftp-data", TCP, ndpi=("FTP_DATA",), suricata="ftp-data", iana=("ftp-data",),
      metadata="— (labelled through an expectation, see below)"),
    P("smtp", TCP, ndpi=("SMTP",), ndpi_by_port=("SMTPS",), ndpi_note="STARTTLS",
      suricata="smtp", iana=("smtp", "submission"), metadata="banner, helo"),
    P("pop3", TCP, ndpi=("POP3",), ndpi_by_port=("POP3S",), suricata="pop3", suricata_note="8.0+",
      iana=("pop3",), metadata="banner"),
    P("imap", TCP, ndpi=("IMAP",), ndpi_by_port=("IMAPS",), ndpi_note="STARTTLS",
      suricata="imap", iana=("imap",), metadata="banner"),
    P("irc", TCP, ndpi=("IRC",), suricata="irc", suricata_note="detection only",
      iana=("irc", "ircu"),             # ircu: 6665-6669/tcp
      metadata="nick, server"),
    P("xmpp", TCP, ndpi=("Jabber", "XMPP"), suricata="jabber", suricata_note="detection only",
      ndpi_inside=("TruPhone",),        # TruPhone's client is an XMPP client (its stream's to=)
      iana=("xmpp-client", "xmpp-server"), metadata="to, namespace"),
    P("telnet", TCP, ndpi=("Telnet",), suricata="telnet", iana=("telnet",), metadata="options"),
    # Session / directory / auth: smb before its netbios-ssn framing.
    # slp before radius: SLPv1's 2-byte length sits where RADIUS keeps its own.
    # SMB runs inside NetBIOS session framing on 139, and SMB's "direct TCP" framing on
    # 445 is the same 4-byte header, so either label fits either port.
    # nDPI names SMB whose NetBIOS session framing its netbios dissector saw first
    # "NetBIOS.SMBv1" (master NetBIOS, application SMBv1: smb_frags.pcap): the same flow,
    # named by its carrier, so NetBIOS agrees with smb without meaning it.
    P("smb", TCP, ndpi=("SMBv1", "SMBv23"), suricata="smb",
      ndpi_inside=("NetBIOS",),
      iana=("microsoft-ds",),           # 445
      compatible=("netbios-ssn",), metadata="dialect_family, command"),
    P("netbios-ssn", TCP, ndpi=("NetBIOS",), iana=("netbios-ssn",), compatible=("smb",),
      metadata="called_name, calling_name"),
    P("netbios-dgm", UDP, ndpi=("NetBIOS",), iana=("netbios-dgm",),
      metadata="type, source_name, destination_name"),
    P("rdp", TCP, ndpi=("RDP",), suricata="rdp", iana=("ms-wbt-server",),   # 3389
      metadata="cookie, requested_protocols"),
    P("vnc", TCP, ndpi=("VNC",), suricata="rfb",
      iana=("rfb",),                    # 5900: the Remote Framebuffer protocol is VNC's
      metadata="client_version, server_version"),
    P("ldap", BOTH, ndpi=("LDAP",), suricata="ldap", suricata_note="8.0+",
      iana=("ldap", "msft-gc"),         # 3268: the Global Catalog speaks LDAP
      metadata="operation, bind_dn / base_dn"),
    P("kerberos", BOTH, ndpi=("Kerberos",), suricata="krb5",
      iana=("kerberos",
            "kpasswd"),                 # 464: RFC 3244 messages are Kerberos AP-REQ + KRB-PRIV
      metadata="msg_type"),
    P("slp", BOTH, ndpi=("Service_Location_Protocol",), iana=("svrloc",), metadata="version, function, lang"),
    P("radius", UDP, ndpi=("Radius",), iana=("radius", "radius-acct", "radius-dynauth"),
      metadata="code, user_name"),
    P("snmp", UDP, ndpi=("SNMP",), suricata="snmp", iana=("snmp", "snmptrap"),
      metadata="version, community, pdu"),
    # Databases and messaging.
    P("mysql", TCP, ndpi=("MySQL",), iana=("mysql",), metadata="server_version"),
    P("postgresql", TCP, ndpi=("PostgreSQL",), suricata="pgsql", iana=("postgresql",),
      metadata="request, user, database"),
    P("mssql-tds", TCP, ndpi=("MsSQL-TDS",),
      iana=("ms-sql-s",),               # 1433 (1434 "ms-sql-m" is the SQL Browser, not TDS)
      metadata="packet_type"),
    P("redis", TCP, ndpi=("RESP", "Redis"), iana=("redis",), metadata="command"),
    P("mongodb", TCP, ndpi=("MongoDB",), iana=("mongodb",), metadata="op"),
    P("memcached", BOTH, ndpi=("Memcached",), iana=("memcache",),   # 11211
      metadata="command, protocol (text/binary)"),
    P("zookeeper", TCP, ndpi=("Zookeeper",), metadata="timeout_ms, command"),
    P("mqtt", TCP, ndpi=("MQTT",), suricata="mqtt", iana=("mqtt",), metadata="version, client_id"),
    P("amqp", TCP, ndpi=("AMQP",), iana=("amqp",), metadata="version"),
    # Tools, proxies, peer-to-peer.
    P("git", TCP, ndpi=("Git",), iana=("git",), metadata="service, path, host"),
    P("rsync", TCP, ndpi=("RSYNC",), iana=("rsync",), metadata="version"),
    P("socks", TCP, ndpi=("SOCKS",), iana=("socks",), metadata="version, target"),
    P("bittorrent", BOTH, ndpi=("BitTorrent",), suricata_note="bittorrent-dht (DHT only)",
      metadata="transport_kind (tcp/dht/utp), info_hash"),
    # VPN / NAT traversal.
    P("openvpn", BOTH, ndpi=("OpenVPN",), iana=("openvpn",), metadata="opcode, hmac_size, tls_crypt"),
    P("tailscale", UDP, ndpi=("Tailscale",), metadata="disco, wireguard"),
    P("wireguard", UDP, ndpi=("WireGuard",), metadata="messages"),
    P("ike", UDP, ndpi=("IPSec",), ndpi_note="IKE", suricata="ike",
      iana=("isakmp",                   # 500
            "ipsec-nat-t"),             # 4500: IKE after NAT detection (ESP-in-UDP stays unidentified)
      metadata="ike_version, exchange"),
    P("stun", BOTH, ndpi=("STUN",), suricata="stun", suricata_note="detection only",
      iana=("stun", "turn", "stun-behavior"),   # 3478: TURN is STUN
      metadata="method, class, software, username"),
    # Routing and industrial: checksummed or exact-length framing.
    P("bgp", TCP, ndpi=("BGP",), iana=("bgp",), metadata="message, asn, hold_time"),
    P("dnp3", BOTH, ndpi=("DNP3",), suricata="dnp3", iana=("dnp",),   # 20000
      metadata="source, destination"),
    P("iec104", TCP, ndpi=("IEC60870",), iana=("iec-104",), metadata="first_frame"),   # 2404
    P("modbus", TCP, ndpi=("Modbus",), suricata="modbus", iana=("mbap",), metadata="function"),   # 502
    # Small binary UDP headers and statistical detectors: last.
    P("dhcp", UDP, ndpi=("DHCP",), suricata="dhcp", iana=("bootps", "bootpc"),
      metadata="message_type, hostname, vendor_class"),
    P("dhcpv6", UDP, ndpi=("DHCPV6",), iana=("dhcpv6-client", "dhcpv6-server"), metadata="message_type"),
    P("tftp", UDP, ndpi=("TFTP",), suricata="tftp", iana=("tftp",), metadata="opcode, filename, mode"),
    P("dropbox", UDP, ndpi=("Dropbox",), iana=("db-lsp-disc",), metadata="version, port, displayname"),
    P("coap", UDP, ndpi=("COAP",), iana=("coap",), metadata="type, code, uri_path",
      # nDPI names CoAP requests to 17500 whose Uri-Path is Bus17Cmd Dropbox (its LAN
      # sync port): the messages are CoAP on the wire.
      ndpi_inside=("Dropbox",)),
    P("rtcp", UDP, ndpi=("RTCP",), iana=("avt-profile-2",), metadata="packet_types"),   # 5005
    # RTCP multiplexed on the RTP port (RFC 5761) is a match on 5004.
    P("rtp", UDP, ndpi=("RTP", "SRTP"), iana=("avt-profile-1",), compatible=("rtcp",),
      metadata="payload_type, ssrc"),
    P("rtmp", TCP, ndpi=("RTMP",),
      iana=("macromedia-fcs",),         # 1935: RTMP is the Flash Communication Server's protocol
      metadata="version"),
    P("ntp", UDP, ndpi=("NTP",), suricata="ntp", iana=("ntp",), metadata="version, mode, stratum"),
    P("syslog", BOTH, ndpi=("Syslog",),
      iana=("syslog", "syslog-conn"),   # 514/udp, 601 (RFC 3195)
      metadata="facility, severity, format"),
    P("smallchat", UDP, iana=("smallchat",),   # 4412/udp
      metadata="types, chat_id"),
    P("gopher", TCP, iana=("gopher",), metadata="selector, item_types"),
    P("oicq", UDP, ndpi=("OICQ",), metadata="version, command"),
    P("alicloud", TCP, ndpi=("AliCloud",), metadata="frames"),
    P("avast", TCP, ndpi=("AVAST",), metadata="messages"),
    P("spotify", BOTH, ndpi=("Spotify",), metadata="kind"),
    P("syncthing", UDP, ndpi=("Syncthing",), metadata="addresses"),
    P("roughtime", BOTH, ndpi=("Roughtime",), metadata="tags, framed"),
    P("ookla", TCP, ndpi=("Ookla",), metadata="server_version, client_id"),
    P("whatsapp", TCP, ndpi=("WhatsApp",), metadata="version, era"),
    P("softether", UDP, ndpi=("Softether",), metadata="reflected, elements"),
    P("tinc", TCP, ndpi=("TINC",), iana=("tinc",), metadata="client_name, server_name, protocol"),
    P("teamviewer", BOTH, ndpi=("TeamViewer",), metadata="version, command"),
    P("telegram", TCP, ndpi=("Telegram",), metadata="transport, request"),
    # Games, peer-to-peer, crypto and real-time media (issue 14).  Those that can reach
    # 1.0 (long magics, fixed strings, checksums) first, then the weaker ones by falling
    # ceiling (sd-rtn, zoom, photon, edonkey 0.9; kcp 0.8, no magic at all), so that a
    # flow another detector already matched at 0.9 is not probed by the weak ones.
    P("raknet", UDP, ndpi=("RakNet",), metadata="messages, server_name (Unconnected Pong string)"),
    P("teamspeak", UDP, ndpi=("TeamSpeak",), metadata="steps (TS3INIT1 handshake steps), announced_port, slots (a server's weblist announcement)"),
    P("netcode", UDP, ndpi=("Yojimbo",), ndpi_note="nDPI names netcode.io after the Yojimbo library",
      metadata="version, protocol_id"),
    P("bitcoin", TCP, ndpi=("Bitcoin",), metadata="network, commands, user_agent"),
    P("gnutella", TCP, ndpi=("Gnutella",), iana=("gnutella-svc", "gnutella-rtr"),   # 6346, 6347
      metadata="version, status, user_agent"),
    P("a2s", UDP, metadata="query, answer"),
    P("stratum", TCP, ndpi=("Mining",), ndpi_note="Stratum; nDPI's Mining also covers other miners", metadata="method, agent"),
    P("iax2", UDP, ndpi=("IAX",), iana=("iax",), metadata="subclass, called_number"),   # 4569
    P("mgcp", UDP, iana=("mgcp-gateway", "mgcp-callagent"), metadata="verb, endpoint, code"),   # 2427, 2727
    P("discord", UDP, ndpi=("Discord",), ndpi_note="voice IP discovery", metadata="ssrc, address"),
    P("multistream", TCP, metadata="protocols"),
    P("genshin", BOTH, ndpi=("GenshinImpact",),
      ndpi_note="named shorter than nDPI's: the table's PROTOCOL column holds 11 characters",
      metadata="conv (from the server's accept; UDP)"),
    P("nano", TCP, ndpi=("Nano",), metadata="network, version_using"),
    P("sd-rtn", UDP, ndpi=("SD-RTN",), metadata="sni (the edge host name)"),
    P("zoom", UDP, ndpi=("Zoom",), ndpi_note="peer-to-peer, SFU media, setup and keep-alive exchanges", metadata="kind, media"),
    P("photon", UDP, ndpi=("TocaBoca",), ndpi_note="nDPI names Photon after the Toca Boca games",
      metadata="commands"),
    P("edonkey", TCP, ndpi=("eDonkey",), metadata="opcodes (client's first, server's first)"),
    P("kcp", UDP, ndpi=("KCP",), metadata="conv, commands"),
    P("tuya-lp", UDP, ndpi=("TuyaLP",), metadata="version, command"),
    P("bacnet", UDP, ndpi=("BACnet",), iana=("bacnet/udp",), metadata="function, apdu_type"),
    P("bjnp", UDP, ndpi=("BJNP",), iana=("canon-bjnp1/udp", "canon-bjnp2/udp",), metadata="magic, command, reply"),
    P("caneth", UDP, ndpi=("Controller_Area_Network",), metadata="frames"),   # Wireshark: CAN-ETH
    P("ethernetip", BOTH, ndpi=("EthernetIP",), suricata="enip",
      # 44818, explicit messaging (2222 is CIP I/O), under both of IANA's names for it.
      iana=("ethernet-ip-2", "ethernet/ip-2"),
      metadata="command"),
    P("trdp", BOTH, ndpi=("TRDP",), iana=("trdp-pd", "trdp-md",), metadata="msg_type, com_id"),
    P("atg", TCP, ndpi=("ATG",), metadata="function"),
    P("ansi-c1222", BOTH, ndpi=("ANSI_C1222",), iana=("c1222-acse",), metadata="called_ap_title, calling_ap_title"),
    P("iec62056", BOTH, ndpi=("IEC62056",), iana=("dlms-cosem",), metadata="framing; apdu (wrapper) or control (hdlc)"),
    P("ieee-c37118", BOTH, ndpi=("IEEE-C37118",), metadata="frame_type, idcode"),
    P("egd", UDP, ndpi=("EthernetGlobalData",), metadata="producer_id, exchange_id"),
    P("ethersio", UDP, ndpi=("EtherSIO",), metadata="telegram"),
    P("s7comm", TCP, ndpi=("S7Comm",), iana=("iso-tsap/tcp",),   # 102: ISO-TSAP carries S7comm and MMS alike
      metadata="rosctr, function, calling_tsap, called_tsap"),
    P("iso9506-mms", TCP, ndpi=("ISO9506-1-MMS",), iana=("iso-tsap/tcp",), metadata="spdu"),
    P("rtps", UDP, ndpi=("RTPS",), iana=("rtps-discovery/udp",), metadata="vendor_id, version"),
    # A SOME/IP-SD datagram also parses as a DNS header (0.9 there); someip checks it
    # field by field and says 1.0, so it wins from here.
    P("someip", BOTH, ndpi=("SOMEIP",), metadata="service_id, message_type, sd"),
    # At most 0.85 and led by 0x01/0x02 (which STUN responses share): last, so the early
    # stop skips it when a 0.9 match is already in hand.
    P("hart-ip", BOTH, ndpi=("HART-IP",), iana=("hart-ip",), metadata="message_id"),
    P("dcerpc", BOTH, ndpi=("DCERPC",), suricata="dcerpc", iana=("epmap",), metadata="version, ptype, interface, interface_version, interface_name, opnum"),
    P("dnscrypt", BOTH, ndpi=("DNScrypt",), metadata="client_magic"),
    P("hsrp", UDP, ndpi=("HSRP",), iana=("hsrp",), metadata="version, op, state, group"),
    P("teredo", UDP, ndpi=("Teredo",), iana=("teredo",), metadata="kinds, next_header"),
    P("collectd", UDP, ndpi=("collectd",), metadata="host, plugin, signed, encrypted"),
    P("bfd", UDP, ndpi=("BFD",), iana=("bfd-control",), metadata="state, diag"),
    P("capwap", UDP, ndpi=("CAPWAP",), iana=("capwap-control", "capwap-data",), metadata="kind, message"),
    P("munin", TCP, ndpi=("Munin",), iana=("munin",), metadata="node, command"),
    P("nat-pmp", UDP, ndpi=("NAT-PMP",), iana=("pcp",), metadata="protocol, opcode"),
    P("ajp", TCP, ndpi=("AJP",), metadata="method, protocol, uri, status"),
    P("usenet", TCP, ndpi=("Usenet",), iana=("nntp",), metadata="greeting, command"),
    P("wsd", UDP, ndpi=("WSD",), iana=("ws-discovery",), metadata="action"),
    P("afp", TCP, ndpi=("AFP",), iana=("afpovertcp",), metadata="command"),
    P("checkmk", TCP, ndpi=("CHECKMK",), iana=("checkmk-agent",), metadata="version, agent_os"),
    P("drda", TCP, ndpi=("DRDA",), iana=("ddm-rdb",), metadata="codepoint"),
    P("fastcgi", TCP, ndpi=("FastCGI",), metadata="role, records"),
    P("gtp", UDP, ndpi=("GTP",), iana=("gtp-control", "gtp-user",), metadata="version, message"),
    P("hl7", TCP, ndpi=("HL7",), iana=("hl7/tcp",), metadata="message_type, version"),
    P("jrmi", TCP, ndpi=("JRMI",), iana=("rmiregistry",), metadata="version, protocol, client_host"),
    P("netflow", UDP, ndpi=("NetFlow",), iana=("ipfix",), metadata="version"),
    P("openflow", TCP, ndpi=("OpenFlow",), iana=("openflow",), metadata="version"),
    P("openwire", TCP, ndpi=("OpenWire",), metadata="version"),
    P("pfcp", UDP, ndpi=("PFCP",), iana=("pfcp",), metadata="message"),
    P("pptp", TCP, ndpi=("PPTP",), iana=("pptp",), metadata="message, hostname, vendor"),
    P("sflow", UDP, ndpi=("sFlow",), iana=("sflow",), metadata="version, samples"),
    P("stomp", TCP, ndpi=("STOMP",), metadata="version, host, server"),
    P("xdmcp", UDP, ndpi=("XDMCP",), iana=("xdmcp",), metadata="opcode"),
    P("lisp", BOTH, ndpi=("LISP",), iana=("lisp-control",), metadata="message, records"),
    P("lustre", TCP, ndpi=("Lustre",), metadata="kind, version"),
    P("zabbix", TCP, ndpi=("Zabbix",), iana=("zabbix-agent", "zabbix-trapper",), metadata="flags, request"),
    P("nats", TCP, ndpi=("Nats",), metadata="server_version, client_lang"),
    P("tacacs", TCP, ndpi=("TACACS",), iana=("tacacs/tcp",), metadata="type, obfuscated"),
    P("diameter", TCP, ndpi=("Diameter",), iana=("diameter/tcp",), metadata="command, request"),
    P("x11", TCP, ndpi=("X11",), iana=("x11/tcp",), metadata="byte_order, auth, result"),
    P("nfs", BOTH, ndpi=("NFS",), suricata="nfs", iana=("nfs",), metadata="program, program_name, version, procedure"),
    # nDPI calls every ONC RPC flow it sees NFS (portmapper calls too): it agrees with
    # onc-rpc (ndpi_by_port: agreement only) while NFS stays nfs's one name.
    P("onc-rpc", BOTH, ndpi_by_port=("NFS",), ndpi_note="NFS: any ONC RPC program", iana=("sunrpc",), metadata="program, program_name, version, procedure"),
    P("rx", UDP, ndpi=("RX",), iana=("afs3-fileserver", "afs3-callback", "afs3-prserver", "afs3-vlserver",), metadata="service_id, types"),
    P("skinny", TCP, ndpi=("CiscoSkinny",), iana=("cisco-sccp",), metadata="message, header_version"),
    P("kafka", TCP, metadata="api_key, api_version, client_id"),
    P("cassandra", TCP, ndpi=("Cassandra",), metadata="version, opcode, cql_version"),
    P("oracle", TCP, ndpi=("Oracle",), iana=("ttc/tcp",), metadata="version, answer"),
    P("zeromq", TCP, ndpi=("ZeroMQ",), metadata="version, mechanism"),
    P("beanstalkd", TCP, metadata="command, tube"),
    P("gearman", TCP, ndpi=("Gearman",), iana=("gearman/tcp",), metadata="packet, function"),
    P("smpp", TCP, ndpi=("SMPP",), iana=("smpp/tcp",), metadata="command, system_id, interface_version"),
    P("lpd", TCP, iana=("printer/tcp",), metadata="command, queue"),
    P("opc-ua", TCP, ndpi=("OPC-UA",), iana=("opcua-tcp",), metadata="endpoint_url, message_types"),
    P("knxnet-ip", BOTH, ndpi=("KNXnet_IP",), metadata="service"),
    P("fins", BOTH, ndpi=("FINS",), metadata="command, sid"),
    P("mqtt-sn", UDP, metadata="message, client_id"),
    P("miio", UDP, metadata="hello, device_id"),
    P("ptpv2", UDP, ndpi=("PTPv2",), iana=("ptp-event", "ptp-general",), metadata="message, domain"),
    P("rmcp", UDP, ndpi=("RMCP",), iana=("asf-rmcp",), metadata="message_class, message"),
    P("l2tp", UDP, iana=("l2tp",), metadata="message, tunnel_id"),
    P("whois", TCP, ndpi=("Whois-DAS",), iana=("nicname/tcp",), metadata="query, referral"),
    P("ether-s-bus", UDP, ndpi=("Ether-S-Bus",), metadata="telegram, command"),
    P("websocket", TCP, ndpi=("WebSocket",), metadata="client_side, frames, text (midstream frames; from the start it is http, upgrade)"),
    P("zug", UDP, ndpi=("ZUG",), metadata="datagrams"),
    P("lolwildrift", UDP, ndpi=("LoLWildRift",), metadata="message (match-start, keepalive)"),
    P("activision", UDP, ndpi=("Activision",), metadata="client_opening"),
    P("codmobile", UDP, ndpi=("CoD_Mobile",), metadata="sent_by"),
    P("protobuf", TCP, ndpi=("Protobuf",), metadata="messages, fields (parsed)"),
    P("tencentgame", TCP, ndpi=("TencentGames",),
      ndpi_note="named shorter than nDPI's: the table's PROTOCOL column holds 11 characters",
      metadata="shape, commands (each side's first TGCP command)"),
    P("pathofexile", TCP, ndpi=("PathofExile",), metadata="character (the nickname in the login)"),
    P("starcraft", TCP, ndpi=("Starcraft",), ndpi_note="the Battle.net login connection only",
      metadata="— (nothing public describes the bytes after the opening)"),
    P("mikrotik", UDP, ndpi=("MikroTik",), metadata="identity, version, platform, board"),
    P("viber", BOTH, ndpi=("Viber",), metadata="kind (tcp, or the client's first UDP message type)"),
    P("threema", TCP, ndpi=("Threema",), metadata="login"),
    P("imo", UDP, ndpi=("IMO",), metadata="shape"),
    # tools/new_protocol.py adds rows above this line (or before --before NAME's row).
)

NAMES: Tuple[str, ...] = tuple(p.name for p in TABLE)
BY_NAME: Dict[str, Protocol] = {p.name: p for p in TABLE}


# --- derived lists ---------------------------------------------------------------------

TRANSPORTS = frozenset(("tcp", "udp", "sctp", "dccp"))


def split_alias(alias: str) -> Tuple[str, Optional[Tuple[str, ...]]]:
    """An `iana` entry's (service, transports or None).  The suffix after the last "/"
    names transports only when every part of it is one: a few legacy IANA names hold a
    "/" themselves ("ethernet/ip-2", kept beside its well-formed "ethernet-ip-2")."""
    service, sep, ts = alias.rpartition("/")
    if not sep or not set(ts.split(",")) <= TRANSPORTS:
        return alias, None
    return service, tuple(ts.split(","))


def iana_aliases() -> Dict[str, List[Tuple[str, Optional[Tuple[str, ...]]]]]:
    """IANA service name -> [(protocol, transports or None for every transport)], in
    table order (so `domain-s`/udp implies dtls, then quic)."""
    out: Dict[str, List[Tuple[str, Optional[Tuple[str, ...]]]]] = {}
    for p in TABLE:
        for alias in p.iana:
            service, ts = split_alias(alias)
            out.setdefault(service.lower(), []).append((p.name, ts))
    return out


def compatible() -> Dict[str, FrozenSet[str]]:
    """Port-implied protocol -> the observed protocols that count as a match (itself
    included), for the protocols that accept more than themselves."""
    return {p.name: frozenset((p.name,) + p.compatible) for p in TABLE if p.compatible}


def suricata_app_proto() -> Dict[str, str]:
    """Canonical name -> Suricata's app_proto, where the two differ."""
    return {p.name: p.suricata for p in TABLE if p.suricata and p.suricata != p.name}


def ndpi_agreeing() -> Dict[str, Set[str]]:
    """nDPI master name -> our names that agree with it (by payload, by nDPI's port name, or
    an application nDPI names inside our protocol)."""
    out: Dict[str, Set[str]] = {}
    for p in TABLE:
        for n in p.ndpi + p.ndpi_by_port + p.ndpi_inside:
            out.setdefault(n, set()).add(p.name)
    return out


def ndpi_ambiguous() -> Set[str]:
    """nDPI names that cover several of our protocols (NetBIOS): no single label."""
    seen: Dict[str, int] = {}
    for p in TABLE:
        for n in p.ndpi:
            seen[n] = seen.get(n, 0) + 1
    return {n for n, k in seen.items() if k > 1}


def ndpi_to_canonical() -> Dict[str, str]:
    """nDPI master name -> our one name for it (the ambiguous names left out)."""
    amb = ndpi_ambiguous()
    return {n: p.name for p in TABLE for n in p.ndpi if n not in amb}


# --- the docs table (docs/protocols.md; `python tools/protocol_docs.py` writes it) ------

DOCS_BEGIN = "<!-- protocol table: generated from classifier/protocols.py by `python tools/protocol_docs.py`; do not edit -->"
DOCS_END = "<!-- end of generated protocol table -->"


def _cell(names: str, note: str) -> str:
    if names and note:
        return f"{names} ({note})"
    return names or note or "—"


def docs_table(protocols=None) -> str:
    """The markdown table of `protocols` (default: the whole table), between the markers."""
    rows = ["| canonical | nDPI name(s) | Suricata 7 app_proto | transport | metadata |",
            "|---|---|---|---|---|"]
    for p in (TABLE if protocols is None else protocols):
        ndpi = ", ".join(p.ndpi) + (f"; {', '.join(p.ndpi_by_port)} by port" if p.ndpi_by_port else "")
        inside = f"; {', '.join(p.ndpi_inside)} inside" if p.ndpi_inside else ""
        rows.append(f"| `{p.name}` | {_cell(ndpi, p.ndpi_note)}{inside} | "
                    f"{_cell(p.suricata or '', p.suricata_note)} | {', '.join(p.transports)} | "
                    f"{p.metadata or '—'} |")
    return "\n".join([DOCS_BEGIN] + rows + [DOCS_END]) + "\n"
