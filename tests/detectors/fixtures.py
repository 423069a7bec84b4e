"""Per-protocol byte fixtures for the detector tests.

Real traffic wherever a capture exists: ``ndpi:<file>`` is a capture of
../shared/ndpi-dev/pcaps (nDPI's regression suite), ``corpus:<file>`` one of this
project's pcaps/corpus (real servers on random ports).  Only the few hundred bytes a
detector needs are kept, cut at message boundaries unless said otherwise.  Protocols
with no capture available are built from their specification and say so.

Each Fx: the protocol, a FlowView (payload only: no ports, no addresses), which side
speaks first (for fragmented delivery), metadata the detector must extract, and
optionally an explicit truncated view that must give NEED_MORE.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from classifier.detectors.flowview import FlowView


def hx(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts))


def der(tag: int, *content: bytes) -> bytes:
    """A DER TLV (definite length) -- to build ASN.1 fixtures readably."""
    body = b"".join(content)
    n = len(body)
    ln = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + body


@dataclass
class Fx:
    id: str
    proto: str
    view: FlowView
    first: str = "c"                      # "c": client speaks first, "s": server first
    meta: dict = field(default_factory=dict)
    trunc: FlowView | None = None         # explicit truncated view (else: first 3 bytes)
    conf_min: float = 0.5


def tcp(c=b"", s=b"", **kw):
    return FlowView.tcp(c, s)


def udp(c=(), s=()):
    return FlowView.udp(list(c), list(s))


FIXTURES: list[Fx] = []


def add(*a, **kw):
    FIXTURES.append(Fx(*a, **kw))


# ---------------------------------------------------------------- HTTP-syntax family
# ndpi:1kxun.pcap, flow 192.168.115.8:49597 -> 106.185.35.110 (request line, headers).
HTTP_REQ = (b"GET /api/videos/10410.json?callback=jQuery18306855657112319022_1470103242123"
            b"&_=1470104377698 HTTP/1.1\r\n"          # method SP target SP version CRLF
            b"Host: jp.kankan.1kxun.mobi\r\n"
            b"Connection: keep-alive\r\nAccept: */*\r\n"
            b"User-Agent: Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.22 (KHTML, like Gecko)"
            b" Chrome/25.0.1364.152 Safari/537.22\r\n\r\n")
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nServer: openresty/1.9.7.1\r\n"   # version SP status SP reason
             b"Date: Tue, 02 Aug 2016 02:20:04 GMT\r\n\r\n")
add("http-1kxun", "http", tcp(HTTP_REQ, HTTP_RESP),
    meta={"method": "GET", "host": "jp.kankan.1kxun.mobi", "status": 200,
          "user_agent": "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.22 (KHTML, like Gecko) "
                        "Chrome/25.0.1364.152 Safari/537.22", "server": "openresty/1.9.7.1"})
# Mid-stream capture: only the response direction was seen.
add("http-response-only", "http", tcp(b"", HTTP_RESP), first="s", meta={"status": 200})

# ndpi:http_connect.pcap, 192.168.1.103:1714 -> proxy: CONNECT in authority-form.
add("http-proxy-connect", "http-proxy",
    tcp(b"CONNECT apache.org:443 HTTP/1.1\r\n"
        b"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:92.0) Gecko/20100101 Firefox/92.0\r\n"
        b"Proxy-Connection: keep-alive\r\nConnection: keep-alive\r\nHost: apache.org:443\r\n\r\n",
        b"HTTP/1.0 200 Connection Established\r\nProxy-agent: Apache/2.4.41 (Ubuntu)\r\n\r\n"
        + hx("1603030000")),                  # the tunnelled TLS starts right after
    meta={"method": "CONNECT", "host": "apache.org:443"})

# ndpi:rtsp.pcap, 10.1.1.10:52470 -> 10.2.2.2 (VLC keep-alive request).
add("rtsp-vlc", "rtsp",
    tcp(b"GET_PARAMETER rtsp://10.2.2.2:8554/ RTSP/1.0\r\nCSeq: 7\r\n"
        b"User-Agent: LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)\r\n"
        b"Session: 660fc4c0c6ad43a1\r\n\r\n"),
    meta={"method": "GET_PARAMETER", "uri": "rtsp://10.2.2.2:8554/"})

# ndpi:sip.pcap, REGISTER over UDP and its 401 challenge (headers cut after Call-ID).
SIP_REG = (b"REGISTER sip:sip.cybercity.dk SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP 192.168.1.2;branch=z9hG4bKnp151248737-46ea715e192.168.1.2;rport\r\n"
           b"From: <sip:voi18063@sip.cybercity.dk>;tag=903df0a\r\n"
           b"To: <sip:voi18063@sip.cybercity.dk>\r\n"
           b"Call-ID: 578222729-4665d775@578222732-4665d772\r\n"
           b"User-Agent: Nero SIPPS IP Phone Version 2.0.51.16\r\n\r\n")
SIP_401 = (b"SIP/2.0 401 Unauthorized\r\nCall-ID: 578222729-4665d775@578222732-4665d772\r\n"
           b"CSeq: 68 REGISTER\r\n\r\n")
add("sip-register", "sip", udp([SIP_REG], [SIP_401]),
    meta={"method": "REGISTER", "call_id": "578222729-4665d775@578222732-4665d772",
          "user_agent": "Nero SIPPS IP Phone Version 2.0.51.16"})
# ndpi:sip_hello.pcapng: vendor keep-alives ("hello") precede the SIP messages.
add("sip-after-keepalives", "sip", udp([b"hello", b"hello", SIP_401], [b"hello"]))

# ndpi:1kxun.pcap, UPnP discovery to 239.255.255.250.
add("ssdp-msearch", "ssdp",
    udp([b"M-SEARCH * HTTP/1.1\r\nHost:239.255.255.250:1900\r\n"
         b"ST:urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
         b"Man:\"ssdp:discover\"\r\nMX:3\r\n\r\n"]),
    meta={"method": "M-SEARCH", "st": "urn:schemas-upnp-org:device:InternetGatewayDevice:1"})

# ndpi:http2.pcapng, 127.0.0.1:37824: client preface then a SETTINGS frame
# (length 0x000012, type 0x04, flags 0, stream 0); server SETTINGS (length 0x18).
add("http2-h2c", "http2",
    tcp(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        + hx("000012" "04" "00" "00000000"            # SETTINGS header
             "0002 00000000" "0004 00400000" "0006 00a00000"),  # 3 settings (id, value)
        hx("000018" "04" "00" "00000000"
           "0005 00100000" "0003 000000fa" "0006 00100140" "0004 00100000")),
    meta={"preface": True})

# ------------------------------------------------------------------- TLS / DTLS / QUIC
# corpus:tls-1.pcap (openssl s_client -servername portlens.test, TLS 1.2).
TLS_CH = hx(
    "16" "0301" "00cd"                 # record: handshake, TLS1.0 record version, 205 bytes
    "01" "0000c9"                      # ClientHello, 201 bytes
    "0303"                             # legacy_version TLS1.2
    "5891133cc5fc81a0fa9fc231065ecc543b01a4ac4c1c850ec56818d61f915f0b"   # random
    "00"                               # session id: empty
    "0038" "c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067"
    "c00ac0140039c009c0130033009d009c003d003c0035002f00ff"              # 28 suites
    "01" "00"                          # compression: null
    "0068"                             # extensions, 104 bytes
    "0000" "0012" "0010" "00" "000d" "706f72746c656e732e74657374"       # SNI portlens.test
    "000b000403000102" "000a000c000a001d0017001e00190018"
    "00230000" "00160000" "00170000"
    "000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302"
    "040205020602")
TLS_SH = hx(
    "16" "0303" "0041"                 # record: handshake, TLS1.2, 65 bytes
    "02" "00003d" "0303"               # ServerHello, 61 bytes, TLS1.2
    "b6585837eee79de8fc22943470092d88953b269ed15b3a73ce21e87577eff85c"
    "00" "c030" "00"                   # no session id, suite c030, null compression
    "0015" "ff01000100" "000b00040300010200230000" "00170000")
add("tls-openssl12", "tls", tcp(TLS_CH, TLS_SH),
    meta={"sni": "portlens.test", "version": "TLSv1.2", "client_version": "TLSv1.2"})
add("tls-client-hello-only", "tls", tcp(TLS_CH), meta={"sni": "portlens.test"})
# ndpi:android.pcap 192.168.2.17:50702: capture started mid-session -- one 31-byte
# alert record (type 0x15, TLS1.2, length 0x1a) exactly filling the direction.
add("tls-midstream-alert", "tls",
    tcp(hx("15" "0303" "001a" "0000000000000002" "b9566bad000d638c81895f62b961146bfe2a")),
    conf_min=0.6,
    trunc=tcp(hx("150303001a0000")))

# ndpi:tls_cipher_lens.pcap: a ClientHello whose cipher_suites length (0x0085) is odd --
# malformed inside, yet record (0xae) and handshake (0xaa) lengths agree: TLS, flagged.
add("tls-malformed-hello", "tls",
    tcp(hx("16" "0301" "00ae" "01" "0000aa" "0301"
           "52efc37bceda522242fc28a2b4f13d3dfb2e1479d1f7064903c9288f9f73d123"
           "00" "0085" "00ffc00ac0140088008700390038c00fc005"
           "00840035c009c007c013c0110045004400330032c00ec00cc004c00200960041"
           "002f00050004c008c01200160013c00dc003feff000a01000039000000120010"
           "00000d7777772e676f6f676c652e6974000a00080006001700180019000b0002"
           "01000023000033740000000500050100000000")),
    meta={"malformed": True})

# ndpi:dtls_old_version.pcapng: OpenSSL pre-RFC DTLS (version 0x0100) ClientHello.
add("dtls-old-version", "dtls",
    udp([hx("16" "0100" "0000" "000000000000" "0056"   # type, version, epoch, seq, len 86
            "01" "00004a" "0000" "000000" "00004a"     # ClientHello, len, msg_seq, frag
            "0100" "5ee9ea2262f79f376b50167f0617d3426e3a52f63f66b6afe34a0736863deaa5"
            "20" "03c229be15d620515eef0eca0aafdbc938e008fee8f21a81a57206fd375b6bd8"
            "00" "0002" "0035" "0100")],              # cookie 0, 1 suite, null compr.
        [hx("16010000000000000000000023030000170000000000000017"
            "010014942f25f0c265c288f24cd680e7072353a8d5df74")]),  # HelloVerifyRequest
    meta={"handshake": True})

# ndpi:doq.pcapng (DNS over QUIC, draft-32): first 48 bytes of each side's Initial.
# Header only (no decryption possible on a cut packet): version from the long header.
add("quic-draft32-header", "quic",
    udp([hx("cd" "ff000020" "08" "70b1896db29b3e5a" "08" "4e2fe3b9882631f9"  # flags,
            "0044b6088920d2c08f7f3e081f42a8058d18327f1edd067593")],          # ver, cids
        [hx("cd" "ff000020" "08" "4e2fe3b9882631f9" "08" "bbd9e39c87930fed"
            "00409c2c6907f6731e16ad042317c314fc7d2acbf5676dfd91")]),
    meta={"version": "draft-32"})
# ndpi:quic_q46.pcap: Google QUIC Q046 long header (flags 0xc3, "Q046", CID nibbles 0x50).
add("quic-gquic-q046", "quic",
    udp([hx("c3" "51303436" "50" "eacfe6e706df272d" "00000004"     # flags, version, CIDs, pn
            "60da58929f6839d0860efc58a4010400040043484c4f1a00000050414400b601"
            "0000534e4900c501000053544b00")]),                      # ... "CHLO" tags
    meta={"version": "Q046"})

# ------------------------------------------------------------------- DNS-format family
# corpus:dns-1.pcap (dig against dnsmasq): query and answer for www.portlens.test A.
add("dns-query-answer", "dns",
    udp([hx("6cf0" "0120" "0001 0000 0000 0001"          # id, flags RD+AD, QD1 AR1
            "03777777" "08706f72746c656e73" "0474657374" "00"   # www.portlens.test
            "0001" "0001"                                # A, IN
            "00" "0029" "04d0" "00000000" "000c" "000a000895f2460c6f1ce1c4")],  # OPT+cookie
        [hx("6cf0" "8580" "0001 0001 0000 0001"
            "0377777708706f72746c656e73047465737400" "0001" "0001"
            "c00c" "0001" "0001" "00000000" "0004" "0a000001"   # answer: 10.0.0.1
            "00" "0029" "04d0" "00000000" "0000")]),
    meta={"qname": "www.portlens.test", "qtype": "A"})
# ndpi:dns_invert_query.pcapng: an inverse query (opcode 1) carrying an answer record
# instead of a question, refused with a bare NOTIMP header (flags 0x8984, no records).
add("dns-inverse-query", "dns",
    udp([hx("77fc" "0900" "0000 0001 0000 0000" "03323136" "023538" "03323032" "0134" "00"
            "0001" "0001" "00000000" "0000")],
        [hx("77fc" "8984" "0000 0000 0000 0000")]))
# DNS over TCP: the same query behind its 2-byte length prefix (RFC 1035 4.2.2).
_DNSQ = hx("6cf0012000010000000000000377777708706f72746c656e7304746573740000010001")
add("dns-over-tcp", "dns", tcp(struct.pack(">H", len(_DNSQ)) + _DNSQ),
    meta={"qname": "www.portlens.test"}, trunc=tcp(b"\x00\x23\x6c\xf0\x01"))
# ndpi:1kxun.pcap: mDNS PTR query, id 0, _googlecast._tcp.local.
add("mdns-googlecast", "mdns",
    udp([hx("0000" "0000" "0001 0000 0000 0000" "0b5f676f6f676c6563617374" "045f746370"
            "056c6f63616c" "00" "000c" "0001")]),
    meta={"qname": "_googlecast._tcp.local", "qtype": "PTR"})
# ndpi:1kxun.pcap: LLMNR ANY query for the single label "jason-PC".
add("llmnr-jason", "llmnr",
    udp([hx("e6a1" "0000" "0001 0000 0000 0000" "08" "6a61736f6e2d5043" "00" "00ff" "0001")]),
    meta={"qname": "jason-PC", "qtype": "ANY"})
# ndpi:1kxun.pcap: NetBIOS name query (NB) with a first-level encoded name (RFC 1001).
add("netbios-ns-query", "netbios-ns",
    udp([hx("0015" "0110" "0001 0000 0000 0000"
            "20" "46444542454f454b454a434e454d454a45474546454345504550454c434e4341" "00"
            "0020" "0001")]),
    meta={"qname": "SANJI-LIFEBOOK-", "qtype": "NB"})
# RFC 1002 4.2.17: NODE STATUS REQUEST for the wildcard name "*" (first-level encoded,
# padded with NULs: "CK" then "AA" x 15); QUESTION_TYPE 0x0021 is NBSTAT here, not the
# DNS SRV that number means in DNS (ndpi:netbios.pcap sends one to port 53).
add("netbios-ns-nbstat", "netbios-ns",
    udp([hx("80f0" "0000" "0001 0000 0000 0000"
            "20" "434b4141414141414141414141414141414141414141414141414141414141" "41" "00"
            "0021" "0001")]),
    meta={"qname": "*", "qtype": "NBSTAT"})

# --------------------------------------------------------------------- banner protocols
# corpus:ssh-1.pcap (OpenSSH 9.2 both sides); binary KEXINIT follows each banner.
add("ssh-openssh", "ssh",
    tcp(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n" + hx("0000061408149ac2b3dd"),
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n" + hx("000004540714909db587")),
    meta={"client_banner": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10",
          "server_banner": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"})

# corpus:ftp-1.pcap (curl against vsftpd, EPSV): control channel of both directions.
FTP_C = b"USER anonymous\r\nPASS ftp@example.com\r\nPWD\r\nEPSV\r\nTYPE I\r\nRETR readme.txt\r\nQUIT\r\n"
FTP_S = (b"220 portlens FTP\r\n331 Please specify the password.\r\n230 Login successful.\r\n"
         b"257 \"/\" is the current directory\r\n"
         b"229 Entering Extended Passive Mode (|||26336|)\r\n"
         b"200 Switching to Binary mode.\r\n")
add("ftp-vsftpd-epsv", "ftp", tcp(FTP_C, FTP_S), first="s",
    meta={"banner": "portlens FTP", "expect": [{"via": "EPSV", "host": None, "port": 26336}]})
# A passive-mode reply and an active-mode command (RFC 959 formats).
add("ftp-pasv-port", "ftp",
    tcp(b"USER ftp\r\nPORT 10,0,0,2,19,137\r\n",
        b"220 ProFTPD Server ready.\r\n331 ok\r\n227 Entering Passive Mode (192,168,1,5,195,80).\r\n"),
    first="s",
    meta={"expect": [{"via": "PASV", "host": "192.168.1.5", "port": 50000},
                     {"via": "PORT", "host": "10.0.0.2", "port": 5001}]})

# corpus:smtp-1.pcap (smtplib against aiosmtpd).
add("smtp-aiosmtpd", "smtp",
    tcp(b"EHLO client.portlens.test\r\nMAIL FROM:<alice@portlens.test>\r\n",
        b"220 localhost Python SMTP 1.4.6\r\n250-localhost\r\n250-8BITMIME\r\n"
        b"250-STARTTLS\r\n250 HELP\r\n"),
    first="s", meta={"banner": "localhost Python SMTP 1.4.6", "helo": "client.portlens.test"})
# ndpi:smtp-starttls.pcap: Google's greeting, EHLO, STARTTLS then TLS.
add("smtp-starttls-gmail", "smtp",
    tcp(b"EHLO xxxxxxxxxxxxx.xxx.com\r\nSTARTTLS\r\n" + hx("160301006b010000670301"),
        b"220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
    first="s", meta={"banner": "mx.google.com ESMTP s4si9696358qcc.63 - gsmtp"})

# ndpi:pop3.pcap 143.225.229.181:35287 (lower-case commands are legal, RFC 1939 3).
add("pop3-greeting", "pop3",
    tcp(b"user cicciopernacchio@mail.com\r\npass pippozzo\r\nlist\r\n",
        b"+OK POP server ready H migmxus005\r\n"
        b"+OK password required for user \"cicciopernacchio@mail.com\"\r\n"),
    first="s", meta={"banner": "POP server ready H migmxus005"})

# corpus:imap-1.pcap (curl against dovecot).
add("imap-dovecot", "imap",
    tcp(b"A001 CAPABILITY\r\nA002 AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmx\r\n",
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
        b"STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n"),
    first="s")

# ndpi:irc.pcap 10.180.156.249:45921 -> freenode.
add("irc-freenode", "irc",
    tcp(b"USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\nNICK molochtest\r\nUSERHOST molochtest\r\n",
        b":card.freenode.net NOTICE * :*** Looking up your hostname...\r\n"),
    meta={"nick": "molochtest", "server": "card.freenode.net"})

# corpus:xmpp-1.pcap (slixmpp against prosody): stream headers, then STARTTLS.
add("xmpp-prosody", "xmpp",
    tcp(b"<stream:stream to='portlens.test' xmlns:stream='http://etherx.jabber.org/streams' "
        b"xmlns='jabber:client' xml:lang='en' version='1.0'>"
        b"<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" />",
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' from='portlens.test' "
        b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en' "
        b"id='cf3ab9bb-9537-44f9-a37a-838c115447a3'>"),
    meta={"to": "portlens.test", "namespace": "jabber:client"})
# RFC 6120 4.2 / 9.1.1 stream headers (the specification's example).
add("xmpp-stream-open", "xmpp",
    tcp(b"<?xml version='1.0'?><stream:stream from='juliet@im.example.com' "
        b"to='im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams'>",
        b"<?xml version='1.0'?><stream:stream from='im.example.com' id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' "
        b"to='juliet@im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams'>"),
    meta={"to": "im.example.com", "namespace": "jabber:client"})

# ndpi:telnet.pcap: IAC DO(0xfd) opt 3, IAC WILL(0xfb) 24 (terminal type) ...
add("telnet-negotiation", "telnet",
    tcp(hx("fffd03" "fffb18" "fffb1f" "fffb20" "fffb21" "fffb22" "fffb27" "fffd05"),
        hx("fffd25" "fffb03" "fffd18" "fffd1f" "fffd20" "fffd21" "fffd22")),
    trunc=tcp(hx("fffd")))                  # IAC DO without its option byte

# --------------------------------------------------------------- sessions / directory
# ndpi:smb_frags.pcap: NetBIOS session header (type 0, length 0x2f) + SMB1 NEGOTIATE
# (protocol id 0xff 'SMB', command 0x72) offering "NT LM 0.12".
add("smb1-negotiate", "smb",
    tcp(hx("00" "00002f" "ff534d42" "72" "00000000" "18" "05d8" "0000" "0000000000000000"
           "0000" "ffff" "0100" "ffff" "0100" "00" "0c00" "02" "4e54204c4d20302e313200")),
    meta={"dialect_family": "smb1", "command": 0x72})
# corpus:smb-1.pcap (smbclient -m SMB3 against samba): session header (length 0xe2)
# + SMB2 header (0xfe 'SMB', header length 64, command 0 = NEGOTIATE) ...
add("smb2-negotiate", "smb",
    tcp(hx("00" "0000e2" "fe534d42" "4000" "0000" "00000000" "0000" "1f00" "00000000"
           "00000000" "0000000000000000" "00000000" "00000000" "0000000000000000"
           "00000000000000000000000000000000" "24000500")),
    meta={"dialect_family": "smb2", "command": 0})
# RFC 1002 4.3.2: SESSION REQUEST (0x81), length 68, called "*SMBSERVER" and calling
# "WORKSTATION" in first-level encoding (built from the RFC; no capture available).
add("netbios-ssn-request", "netbios-ssn",
    tcp(hx("81" "00" "0044"
           "20" "434b4644454e4543464445464643464745464643434143414341434143414341" "00"
           "20" "464845504643454c4644464545424645454a4550454f43414341434143414141" "00"),
        hx("82000000")),                           # POSITIVE SESSION RESPONSE
    meta={"called_name": "*SMBSERVER", "calling_name": "WORKSTATION"})
# ndpi:1kxun.pcap: NetBIOS datagram (0x11 direct group) from SANJI-LIFEBOOK- to WORKGROUP.
add("netbios-dgm-browser", "netbios-dgm",
    udp([hx("11" "0a" "2e43" "c0a80543" "008a" "00e6" "0000"       # type, flags, id, ip, port,
            "2046444542454f454b454a434e454d454a45474546454345504550454c434e414100"  # len, off
            "20464845504643454c45484643455046464641434143414341434143414341424f00")
         + bytes(196)]),                          # SMB browser payload replaced by zeros
    meta={"source_name": "SANJI-LIFEBOOK-", "destination_name": "WORKGROUP"})
# ndpi:rdp.pcap: TPKT(3,0,len 0x13) + X.224 CR (LI 0x0e, 0xe0) + RDP_NEG_REQ
# (type 1, flags 0, length 8, requestedProtocols 0x0b); server CC with RDP_NEG_RSP.
# corpus:rdp-1.pcap (xfreerdp -> xrdp): CR carrying "Cookie: mstshash=alice" then
# RDP_NEG_REQ asking for TLS (requestedProtocols 1).
add("rdp-cookie", "rdp",
    tcp(hx("0300" "002b" "26" "e0" "0000" "0000" "00") + b"Cookie: mstshash=alice\r\n"
        + hx("01" "00" "0800" "01000000"),
        hx("0300" "0013" "0e" "d0" "0000" "1234" "00" "02" "01" "0800" "01000000")),
    meta={"cookie": "mstshash=alice", "requested_protocols": 1})
add("rdp-negotiation", "rdp",
    tcp(hx("0300" "0013" "0e" "e0" "0000" "0000" "00" "01" "00" "0800" "0b000000"),
        hx("0300" "0013" "0e" "d0" "0000" "1234" "00" "02" "1f" "0800" "08000000")),
    meta={"requested_protocols": 11})
# ndpi:vnc.pcap: RFB 004.001 version strings.
add("vnc-rfb", "vnc", tcp(b"RFB 004.001\n", b"RFB 004.001\n" + hx("070d85058106")),
    first="s", meta={"server_version": "4.1", "client_version": "4.1"})
# corpus:ldap-1.pcap (ldapsearch against slapd): BindRequest, messageID 1, version 3.
add("ldap-bind", "ldap",
    tcp(hx("30" "30" "020101" "60" "2b" "020103" "04" "1c")
        + b"cn=admin,dc=portlens,dc=test" + hx("8008") + b"portlens",
        hx("300c" "020101" "6107" "0a0100" "0400" "0400")),    # BindResponse success
    meta={"operation": "bindRequest", "bind_dn": "cn=admin,dc=portlens,dc=test"})
# RFC 4120 5.4.1 AS-REQ over TCP (4-byte record mark, 7.2.2), built from the spec:
# [APPLICATION 10] SEQUENCE { [1] pvno 5, [2] msg-type 10 (AS-REQ), [4] req-body
# SEQUENCE { [0] kdc-options BIT STRING, [2] realm "PORTLENS.TEST", [7] nonce } }.
_KRB = der(0x6A, der(0x30,
                     der(0xA1, der(0x02, b"\x05")),
                     der(0xA2, der(0x02, b"\x0a")),
                     der(0xA4, der(0x30,
                                   der(0xA0, der(0x03, hx("0040000010"))),
                                   der(0xA2, der(0x1B, b"PORTLENS.TEST")),
                                   der(0xA7, der(0x02, hx("1a2b3c4d")))))))
add("kerberos-as-req-tcp", "kerberos", tcp(struct.pack(">I", len(_KRB)) + _KRB),
    meta={"msg_type": "AS-REQ"})
# The same message over UDP (no record mark).
add("kerberos-as-req-udp", "kerberos", udp([_KRB]), meta={"msg_type": "AS-REQ"})
# ndpi:srvloc.pcap: SLPv2 SrvTypeRqst (version 2, function 9, length 29, lang "en").
add("slp-v2", "slp",
    udp([hx("02" "09" "00001d" "0000" "000000" "9df6" "0002" "656e"
            "0000" "ffff" "0007" "44454641554c54")]),
    meta={"version": 2, "function": "SrvTypeRqst", "lang": "en"})
# ndpi:fuzz-2020-02-16-11740.pcap: RADIUS Access-Challenge (code 11, id 10, length 137)
# with a User-Name attribute (type 1, length 0x35).
add("radius-challenge", "radius",
    udp([hx("0b0a0089233801169f99c3b95259d98164bf56b1013530333171343830323731"
            "35313634383040776c616e2e6d6e633438302e7d63633331312e336770706e65"
            "74776f726b2e6f72672c2035623232613064312f66633a64623a62333a30383a"
            "76663a31342f3230354f0e0102000c170c00000c0140005012938ae66a3493f1"
            "42c60b5873477a7488")]),
    meta={"code": "Access-Challenge"})
# corpus:snmp-1.pcap (snmpget v1): SEQUENCE { version 0, community "public", GetRequest }.
add("snmp-v1-get", "snmp",
    udp([hx("3037" "020100" "0406" "7075626c6963" "a02a" "02045af66fd9" "020100" "020100"
            "301c300c06082b060102010101000500300c06082b060102010103000500")]),
    meta={"version": "1", "community": "public", "pdu": "get"})

# ------------------------------------------------------------------ databases, queues
# corpus:mysql-1.pcap: MariaDB greeting (length 0x64, seq 0, protocol 10, version).
add("mysql-mariadb-greeting", "mysql",
    tcp(hx("ce000001" "84a2bf00"),
        hx("640000" "00" "0a") + b"5.5.5-10.11.19-MariaDB-0+deb12u1\x00"
        + hx("0400000048575b437d6d2a2a00feff080200ff8115000000000000"
             "1d00000030522e2d376d423e4f52313d00") + b"mysql_native_password\x00"),
    first="s", meta={"server_version": "5.5.5-10.11.19-MariaDB-0+deb12u1"})
# MariaDB refusing a client before any greeting: ERR packet (0xff), error 1130
# (ER_HOST_NOT_PRIVILEGED), message -- the documented error-packet layout.
_MY_ERR = b"\xff\x6a\x04Host '10.0.0.9' is not allowed to connect to this MariaDB server"
add("mysql-host-refused", "mysql", tcp(b"", len(_MY_ERR).to_bytes(3, "little") + b"\x00" + _MY_ERR),
    first="s", meta={"error": 1130})
# corpus:postgresql-1.pcap: StartupMessage (length 63, protocol 3.0) then a query.
add("postgresql-startup", "postgresql",
    tcp(hx("0000003f" "00030000") + b"user\x00postgres\x00database\x00postgres\x00"
        b"application_name\x00psql\x00\x00",
        hx("52000000080000000053")),
    meta={"request": "startup", "user": "postgres", "database": "postgres"})
# PostgreSQL SSLRequest (length 8, code 80877103) answered 'N' (RFC-less; protocol docs).
add("postgresql-sslrequest", "postgresql", tcp(hx("00000008" "04d2162f"), b"N"),
    meta={"request": "ssl"})
# ndpi:mssql_tds.pcap: TDS SQL batch (type 1, status EOM, length 0xbe) and response (4).
# Header: type, status, length (BE), SPID, packet id, window; then ALL_HEADERS
# (total 0x16: transaction descriptor header) and the UTF-16LE SQL text.
add("mssql-tds-batch", "mssql-tds",
    tcp(hx("01" "01" "00be" "0000" "01" "00"
           "16000000" "12000000" "0200" "0000000000000000" "01000000"
           "2000"
           "73006500740020007400720061006e00730061006300740069006f006e002000"
           "690073006f006c006100740069006f006e0020006c006500760065006c002000"
           "20007200650061006400200063006f006d006d00690074007400650064002000"
           "2000730065007400200069006d0070006c0069006300690074005f0074007200"
           "61006e00730061006300740069006f006e00730020006f00660066002000"),
        hx("04" "01" "0022" "0035" "01" "00"
           "fd0100f9000000000000000000fd0000ba000000000000000000")),      # DONE tokens
    meta={"packet_type": "sql-batch"})
# MS-TDS 2.2.6.5 PRELOGIN: option VERSION at offset 0x1a len 6, ENCRYPTION, terminator.
add("mssql-tds-prelogin", "mssql-tds",
    tcp(hx("12" "01" "002f" "0000" "01" "00"
           "00" "001a" "0006" "01" "0020" "0001" "02" "0021" "0001" "03" "0022" "0004"
           "04" "0026" "0001" "ff"
           "0f001c2f0000" "02" "00" "00000000" "00")),
    meta={"packet_type": "prelogin"})
# corpus:redis-1.pcap (redis-cli PING): RESP array of one bulk string.
add("redis-ping", "redis", tcp(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n"), meta={"command": "PING"})
# ndpi:mongodb.pcap: OP_QUERY (opCode 2004) isMaster from PyMongo, no reply captured.
MONGO_Q = hx("f7000000" "98366e4d" "00000000" "d4070000"      # length 247, id, responseTo, op
             "00000000") + b"admin.$cmd\x00" + hx("00000000" "ffffffff" "d0000000")
add("mongodb-query", "mongodb", tcp(MONGO_Q + bytes(247 - len(MONGO_Q))),
    meta={"op": "OP_QUERY"}, trunc=tcp(MONGO_Q[:12]))
# corpus:memcached-1.pcap (text protocol set).
add("memcached-text-set", "memcached",
    tcp(b"set portlens.txt 0 0 25\r\nportlens memcached value\n\r\nquit\r\n", b"STORED\r\n"),
    meta={"command": "set", "protocol": "text"})
# corpus:memcached-12.pcap: UDP frame header (id 0x4242, seq 0, count 1, reserved 0).
add("memcached-udp", "memcached",
    udp([b"BB\x00\x00\x00\x01\x00\x00version\r\n"], [b"BB\x00\x00\x00\x01\x00\x00VERSION 1.6.18\r\n"]),
    meta={"command": "version"}, trunc=udp([b"BB\x00\x00\x00\x01\x00\x00ver"]))
# corpus:mqtt-1.pcap (mosquitto_pub 3.1.1): CONNECT (0x10, remaining 12, "MQTT", level 4).
add("mqtt-connect", "mqtt",
    tcp(hx("10" "0c" "0004" "4d515454" "04" "02" "003c" "0000"
           "3017000a706f72746c656e732f6168656c6c6f20332e312e31e000"),
        hx("20020000")),                                    # CONNACK
    meta={"version": "3.1.1"})
# corpus:amqp-1.pcap (pika against RabbitMQ): protocol header "AMQP" 0 0 9 1.
add("amqp-091", "amqp",
    tcp(b"AMQP\x00\x00\x09\x01" + hx("0100000000014000"),
        hx("010000000001f7000a000a0009")),
    meta={"version": "0-9-1"})
# corpus:zookeeper-1.pcap (kazoo): ConnectRequest, length 45, timeout 10000 ms,
# 16-byte empty password, readOnly 0.
add("zookeeper-connect", "zookeeper",
    tcp(hx("0000002d" "00000000" "0000000000000000" "00002710" "0000000000000000"
           "00000010" "00000000000000000000000000000000" "00"),
        hx("00000025" "00000000" "00002710" "0100001227760000")),
    meta={"timeout_ms": 10000})

# ------------------------------------------------------------------ tools, proxies, p2p
# corpus:git-1.pcap (git clone git://): pkt-line "0040git-upload-pack /corpus.git\0host=..\0".
add("git-upload-pack", "git",
    tcp(b"0040git-upload-pack /corpus.git\x00host=127.0.0.1:22581\x00\x00version=2\x00",
        b"000eversion 2\n0015agent=git/2.39.5\n"),
    meta={"service": "git-upload-pack", "path": "/corpus.git"})
# ndpi:rsync.pcap: daemon greeting "@RSYNCD: 30.0\n" both ways.
add("rsync-daemon", "rsync", tcp(b"@RSYNCD: 30.0\nflag\n", b"@RSYNCD: 30.0\n@RSYNCD: OK\n"),
    meta={"version": "30.0"})
# ndpi:shadowsocks.pcap: SOCKS5 greeting (ver 5, 2 methods: none, GSSAPI) + pipelined
# CONNECT to 128.95.155.198:80; server picks method 0 and answers the request.
add("socks5-connect", "socks",
    tcp(hx("05" "02" "0001" "05010001805f9bc60050") + b"GET / HTTP/1.1\r\n",
        hx("0500" "05000001000000001010")),
    meta={"version": 5})
# SOCKS4 CONNECT (cmd 1) to port 80, 93.184.216.34, user "bob" (NEC protocol text).
add("socks4-connect", "socks",
    tcp(hx("04" "01" "0050" "5db8d822") + b"bob\x00", hx("005a0050" "5db8d822")),
    meta={"version": 4, "target": "93.184.216.34"})
# Peer handshake (BEP 3): pstrlen 19, "BitTorrent protocol", reserved, info_hash.
add("bittorrent-tcp", "bittorrent",
    tcp(b"\x13BitTorrent protocol" + bytes(8) + hx("0123456789abcdef0123456789abcdef01234567")
        + b"-qB4250-abcdefghijkl"),
    meta={"transport_kind": "tcp", "info_hash": "0123456789abcdef0123456789abcdef01234567"})
# ndpi:bittorrent_utp.pcap 127.0.0.1:49861: uTP ST_SYN (0x41, conn id 0x4567) and the
# peer's ST_STATE (0x21) with the same connection id.
add("bittorrent-utp", "bittorrent",
    udp([hx("41" "00" "4567" "ed639296" "00000000" "00100000" "23c6" "0000")],
        [hx("21" "00" "4567" "ed639341" "00000000" "00100000" "4567" "23c6")]),
    meta={"transport_kind": "utp"}, trunc=udp([hx("4100456700")]))
# BEP 5 DHT ping query: d1:ad2:id20:<id>e1:q4:ping1:t2:aa1:y1:qe
add("bittorrent-dht", "bittorrent",
    udp([b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"]),
    meta={"transport_kind": "dht"}, trunc=udp([b"d1:ad2:id20:abc"]))

# ----------------------------------------------------------------- VPN / NAT traversal
# corpus:openvpn-2.pcap (openvpn --tls-client over UDP, no tls-auth):
# P_CONTROL_HARD_RESET_CLIENT_V2 = opcode 7 << 3 | key 0 (0x38), session id, 0 acks,
# packet id 0; the server's HARD_RESET_SERVER_V2 (0x40) acks packet 0 of the client's
# session id 91877820a2ee997f.
add("openvpn-reset", "openvpn",
    udp([hx("38" "91877820a2ee997f" "00" "00000000")],
        [hx("40" "68303ed2a113bc3a" "01" "00000000" "91877820a2ee997f" "00000000")]),
    meta={"opcode": 7, "hmac_size": 0})
# corpus:openvpn-3.pcap: the same over TCP, each packet behind a 2-byte length.
add("openvpn-tcp", "openvpn",
    tcp(hx("000e" "38" "a4d18631625d6f4d" "00" "00000000"),
        hx("001a" "40" "474200bbb67588c6" "01" "00000000" "a4d18631625d6f4d" "00000000")),
    meta={"opcode": 7})
# ndpi:openvpn-tlscrypt.pcap shape: tls-crypt resets keep opcode, session id, packet id
# and a Unix time (0x625a9e97) in clear; the rest is encrypted.
add("openvpn-tls-crypt", "openvpn",
    udp([hx("50" "aae06512392a3d71" "0a010001" "625a9e97") + bytes(range(40))],
        [hx("40" "53c96dd083724fd2" "00000001" "625a9e97") + bytes(range(40, 95))]),
    meta={"tls_crypt": True}, conf_min=0.8)
# ndpi:ossfuzz_seed_fake_traces_2.pcapng: WireGuard handshake initiation (type 1,
# 3 reserved zero bytes, 148 bytes in all) and a cookie reply (type 3, 64 bytes).
# corpus:wireguard-1.pcap (wireguard-go between namespaces): initiation (148 bytes,
# sender index 262af658) and response (92 bytes, sender 35900456, receiver 262af658).
add("wireguard-go-handshake", "wireguard",
    udp([hx("01000000262af6585927dcf6841322e0dc27f6ba31274ca88b975724bcfa1c4d"
            "808b77f5bcb4123bcba05c734b9abd70c7918ddf526eefc8b3ee614471fe3bf1"
            "79d949e0693400d57aec7fa90b5826b7d3f2fe3f5bb9ec544d2c3528cb33e0f6"
            "da4e1f9c50537851bbe20344bad3f3ba92a1f329c1e09c7f452dce4690fc19b5"
            "a36da5dd00000000000000000000000000000000")],
        [hx("0200000035900456262af658b84cc6ddacc845106dfddc14d6c19644d00a89d8"
            "8d557caf70983b7272969478725afab0f610fd58e669dfdeb3a3a8d161c56e18"
            "eb3c4e9eaac6f0739fc927b400000000000000000000000000000000")]),
    meta={"messages": [1, 2]})
add("wireguard-handshake", "wireguard",
    udp([hx("01000000" "d837d030" "5fcec7c8e5c8e2e3f7989eef60c228d82329d602b6b1e2bb9d068f89cf9d4d45"
            "32780f6d27264f7b98701fdc27a4ec00aeb6becdbef2332f1b4084cadb93823935c012ae255e7b25eff1"
            "3940c321fa6bd66a2a87b061db1430173e937f569349de2856dc5f2616763eeeafc0533b01dd965e7ec7"
            "6976e28f683d671200000000000000000000000000000000")],
        [hx("03000000" "30d037d8") + bytes(56)]),
    meta={"messages": [1, 3]})
# ndpi:ah.pcapng: IKEv2 IKE_SA_INIT request -- initiator SPI, zero responder SPI, next
# payload 0x21 (SA), version 0x20, exchange 34, flags 0x08, message id 0, length 358.
add("ike-v2-sa-init", "ike",
    udp([hx("1c1869f6d29ba0cc" "0000000000000000" "21" "20" "22" "08" "00000000" "00000166"
            "220000300000002c010100040300000c0100000c800e0100030000080200000603000008"
            "0300000d00000008040000142800006800140000a29f74cb78c798d31654621b"
            "3517ab39517330fe49a112e52154feb8671a1dc50301f67d6a0b9be2fde27d28"
            "6af620232ad77f5d9a085fbe9ed1248f5de731497ce04b51c93a9b09b737d783"
            "de9d14b04592f0695cf1e251bd53dbd8b6057cdd2b0000246cbde3730e815c3e"
            "d7b4d31374469cd49e1f506bdd9cedb49c58cd96da7b628c2b00001743495343"
            "4f2d44454c4554452d524541534f4e2b000013434953434f56504e2d5245562d"
            "30322b000017434953434f2d44594e414d49432d524f55544529000015464c45"
            "5856504e2d535550504f525445442900001c00004004236fb80b00e123217aba"
            "0d0c8b34b1ed5cd911090000001c000040051203d641f084b9af5e205e1c9d85"
            "4da14e7583db")]),
    meta={"ike_version": 2, "exchange": "IKE_SA_INIT"})
# ndpi:stun.pcap 192.168.12.169:43016: Binding request (type 1, length 0, magic cookie)
# and success response carrying XOR-MAPPED-ADDRESS (0x0020).
add("stun-binding", "stun",
    udp([hx("0001" "0000" "2112a442" "53486b6846386f6477677956")],
        [hx("0101" "000c" "2112a442" "53486b6846386f6477677956" "0020" "0008" "00017d527c3d45a3")]),
    meta={"method": "binding"})

# ------------------------------------------------------------- routing and industrial
# RFC 4271 4.2 OPEN: marker, length 29, type 1, version 4, AS 65001, hold 180, BGP id,
# no optional parameters (built from the RFC; no capture available).
add("bgp-open", "bgp",
    tcp(b"\xff" * 16 + hx("001d" "01" "04" "fde9" "00b4" "c0000201" "00"),
        b"\xff" * 16 + hx("0013" "04")),                        # KEEPALIVE
    meta={"message": "OPEN", "asn": 65001, "hold_time": 180})
# ndpi:dnp3.pcap 10.0.0.8:2789: link header 05 64, len 8, ctrl 0xc4, dst 4, src 3, CRC.
add("dnp3-link", "dnp3",
    tcp(hx("0564" "08" "c4" "0400" "0300" "b4b8" "c0d7007ace"),
        hx("0564" "0a" "44" "0300" "0400" "7cae" "e6f78210004fbd")),
    meta={"destination": 4, "source": 3})
# ndpi:iec60780-5-104.pcap: U-format STARTDT act (68 04 07 00 00 00), con (0b), TESTFR.
add("iec104-startdt", "iec104",
    tcp(hx("680407000000"), hx("68040b000000" "680483000000")),
    meta={"first_frame": "STARTDT act"})
# ndpi:modbus.pcap: read holding registers (function 3), transaction 0xd1, unit 1.
add("modbus-read", "modbus",
    tcp(hx("00d1" "0000" "0006" "01" "03" "0001" "0001"),
        hx("00d1" "0000" "0005" "01" "03" "02" "0000")),
    meta={"function": 3})

# ------------------------------------------------------------ small binary UDP headers
# ndpi:1kxun.pcap: DHCPACK (op 2, htype 1, hlen 6) with magic cookie and option 53=5.
add("dhcp-ack", "dhcp",
    udp([hx("02010600c091205200008000c0a80524c0a80524c0a877010000000000265ac26355")
         + bytes(236 - 34) + hx("63825363" "350105" "3604c0a87701" "ff")]),
    meta={"message_type": "ACK"})
# ndpi:1kxun.pcap: DHCPv6 INFORMATION-REQUEST (11), client id, ORO, elapsed time.
add("dhcpv6-info-request", "dhcpv6",
    udp([hx("0b" "27731d" "0001000e000100011db8e6fb703eacf0f007" "0006000400170018"
            "000800020000")]),
    meta={"message_type": "INFORMATION-REQUEST"})
# ndpi:tftp.pcap: RRQ (opcode 1) "rfc1350.txt" mode "octet".
add("tftp-rrq", "tftp", udp([hx("0001") + b"rfc1350.txt\x00octet\x00"]),
    meta={"opcode": "RRQ", "filename": "rfc1350.txt", "mode": "octet"})
# ndpi:tftp.pcap: a transfer flow between the new ports: DATA block 1 / ACK block 1.
add("tftp-transfer", "tftp",
    udp([hx("00030001") + b"Network Working Group" * 4], [hx("00040001")]),
    trunc=udp([hx("00030001") + b"Network"]))
# corpus:coap-1.pcap (coap-client against coap-server): CON GET (0x41: ver 1, type 0,
# TKL 1; code 0.01), message id a341, token 01, Uri-Port (delta 7, len 2) 31155,
# Uri-Path (delta 4 -> 11) ".well-known", Uri-Path "core"; 2.05 Content reply.
add("coap-get", "coap",
    udp([hx("41" "01" "a341" "01" "72" "79b3" "4b" "2e77656c6c2d6b6e6f776e" "04" "636f7265")],
        [hx("61" "45" "a341" "01" "c1" "28" "ff") + b'</>;title="General Info";ct=0']),
    meta={"type": "CON", "code": "0.01", "uri_path": ".well-known/core"})
# ndpi:coap_mqtt.pcap: a request whose token length (3) swallows its Uri-Port option --
# still a well-formed CoAP header, a single datagram: low confidence.
add("coap-ndpi", "coap",
    udp([hx("43" "01" "05ca" "721633" "2b" "2e77656c6c2d6b6e6f776e" "04" "636f7265")]),
    meta={"code": "0.01"})
# ndpi:rtcp_multiple_pkts_in_the_same_datagram.pcap: compound SR (200) + SDES (202).
add("rtcp-sr-sdes", "rtcp",
    udp([hx("81c8000c5d931534dd3ac1704d614df800007d00000000c800007d00000000000000"
            "00010000000000000000000000000000000081ca000e5d9315340108356439333135"
            "33340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565"
            "436f6e2e636f6d000000")]),
    meta={"packet_types": ["SDES", "SR"]})
# ndpi:sip.pcap 192.168.1.2:30000: G.711 A-law (PT 8) packets, same SSRC, seq +1.
_RTP_PAYLOAD = bytes.fromhex("d5") * 160
add("rtp-pcma", "rtp",
    udp([hx("80" "08" "6fae" "000004d8" "3796cb71") + _RTP_PAYLOAD,
         hx("80" "08" "6faf" "00000578" "3796cb71") + _RTP_PAYLOAD]),
    meta={"payload_type": 8, "ssrc": "3796cb71"},
    trunc=udp([hx("80086fae000004d83796cb71") + _RTP_PAYLOAD]))
# ndpi:NTPv4.pcap: client request (LI 0, VN 4, mode 3), stratum 2, poll 7.
add("ntp-v4-client", "ntp",
    udp([hx("23" "02" "07" "eb" "00000450" "000003ab" "83bc03df" "d94f51c33165b860"
            "d944575530336fd0" "d944575531b4e978" "d94f51f42d26e2f4")]),
    meta={"version": 4, "mode": "client", "stratum": 2})
# corpus:syslog-1.pcap (logger -n, RFC 3164): PRI 13 = user.notice.
add("syslog-3164", "syslog", udp([b"<13>Nov 21 00:17:23 vm portlens: corpus message over udp"]),
    meta={"facility": 1, "severity": 5, "format": "rfc3164"})
# RFC 5424 over TCP with octet-counting framing (RFC 6587 3.4.1).
add("syslog-5424-tcp", "syslog",
    tcp(b"60 <165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - x"),
    meta={"facility": 20, "severity": 5, "format": "rfc5424"})
# RTMP handshake: C0 = 3, C1 = time(4) zero(4) random(1528); S0 = 3 + S1 + S2
# (Adobe RTMP 5.2; built from the spec, no capture available).
_C1 = hx("00000000" "00000000") + bytes(range(256)) * 5 + bytes(248)
add("rtmp-handshake", "rtmp",
    tcp(b"\x03" + _C1, b"\x03" + _C1 + _C1), meta={"version": 3},
    trunc=tcp(b"\x03" + _C1[:500]))
# SmallChat (4412/udp): no public byte layout is known to us; these PDUs follow the
# registration's description (a chat ID then a three-letter type) as this detector
# assumes it -- see smallchat.py.
add("smallchat-hello", "smallchat",
    udp([b"\x00\x00\x30\x39HLO alice", b"\x00\x00\x30\x39MSG hi bob"], [b"\x00\x00\x30\x39ACK"]),
    meta={"types": ["ACK", "HLO", "MSG"], "chat_id": "00003039"})

# corpus:bittorrent-1.pcap shape: Message Stream Encryption that settled on plaintext --
# the clear handshake comes after the DH public key (96 bytes) and padding.
add("bittorrent-mse-plaintext", "bittorrent",
    tcp(bytes(range(96)) * 2, bytes(range(200, 255)) * 4 + b"\x13BitTorrent protocol" + bytes(8)
        + hx("0123456789abcdef0123456789abcdef01234567")),
    meta={"transport_kind": "tcp-mse"}, trunc=tcp(bytes(range(96))))


# ----------------------------------------- real, messy traffic (issue 14): DNS family
def _qname(name: str) -> bytes:
    return b"".join(bytes([len(x)]) + x for x in name.encode().split(b".")) + b"\x00"


def _dns(txid: int, flags: int, name: str, qtype: int = 1, qclass: int = 1, an=b"", ar=b"",
         counts=None) -> bytes:
    qd, nan, nar = counts or (1, 1 if an else 0, 1 if ar else 0)
    return (struct.pack(">HHHHHH", txid, flags, qd, nan, 0, nar) + _qname(name)
            + struct.pack(">HH", qtype, qclass) + an + ar)


_A_RR = hx("c00c" "0001" "0001" "00000258" "0004" "0a000a05")   # name -> 10.0.10.5, TTL 600
# A Windows client asks its Active Directory resolver for the domain controller of a
# ".local" domain: random id, RD set (flags 0x0100); the DC answers with AA, RD, RA
# (0x8580).  Unicast DNS, whatever the name ends in.
add("dns-ad-dot-local", "dns",
    udp([_dns(0x3a7c, 0x0100, "dc01.corp.local")],
        [_dns(0x3a7c, 0x8580, "dc01.corp.local", an=_A_RR)]),
    meta={"qname": "dc01.corp.local", "qtype": "A"})
# An LLMNR query for a ".local" name (RFC 4795 2.1.1): random id, every flag bit clear
# (no RD, the C/T/Z bits zero), one A question; the responder answers with the flags
# still clear (0x8000: C and T clear, no RA) and the question echoed.
add("llmnr-dot-local", "llmnr",
    udp([_dns(0x91e2, 0x0000, "fileserver.local")],
        [_dns(0x91e2, 0x8000, "fileserver.local", an=_A_RR)]),
    meta={"qname": "fileserver.local", "qtype": "A"})
# A Chromium-style mDNS browse (viber.pcap shape): a non-zero id (RFC 6762 18.1 only
# says SHOULD be zero) but two questions in one message (7.2; unicast DNS asks one,
# RFC 9619), PTR for a DNS-SD subtype under .local, RD clear.
add("mdns-two-questions-nonzero-id", "mdns",
    udp([_dns(0x0004, 0x0000, "_8057._sub._googlecast._tcp.local", 12, counts=(2, 0, 0))
         + hx("c017" "000c" "0001")]),                 # 2nd question: _googlecast._tcp.local
    meta={"qname": "_8057._sub._googlecast._tcp.local", "qtype": "PTR"})
# Leniency where resolvers are lenient: a query with the Z bit set (0x0140) and an
# unassigned opcode (3) still parse exactly to their end (resolvers answer FORMERR or
# NOTIMP); a response whose question name is a compression pointer FORWARD to the
# answer's owner name (dnsmasq and Unbound follow it); and a stray non-DNS datagram on
# a flow whose query and response pair up does not lose the flow.
_FWD = (struct.pack(">HHHHHH", 0x51c3, 0x8180, 1, 1, 0, 0) + hx("c012" "0001" "0001")
        + _qname("www.example.com") + hx("0001" "0001" "0000003c" "0004" "5db8d822"))
add("dns-lenient-z-opcode-forward-pointer", "dns",
    udp([_dns(0x51c3, 0x0140, "www.example.com"), _dns(0x51c4, 0x1900, "www.example.com")],
        [_FWD, b"\x17\x03\x03\x00\x10" + bytes(16)]),
    meta={"qname": "www.example.com", "qtype": "A"})

# --------------------------------------------------------- HTTP as attack tools write it
# HTTP/0.9's Simple-Request (RFC 1945 4.1), still sent by scanners: no version, and the
# server answers with the bare document.
add("http-09-simple-request", "http", tcp(b"GET /\r\n", b"<html>hello</html>\n"),
    meta={"method": "GET", "uri": "/"}, conf_min=0.85)
# Runs of spaces between the parts, LF-only line ends, a space inside the target (RFC
# 9112 3: recipients MAY split on whitespace; nginx keeps such a target) and a trailing
# blank after the version.
add("http-messy-request-line", "http",
    tcp(b"GET  /cgi-bin/test cgi.php?x=1   HTTP/1.0 \nHost: 10.0.0.1\nUser-Agent: sqlmap/1.7\n\n"),
    meta={"method": "GET", "uri": "/cgi-bin/test cgi.php?x=1", "host": "10.0.0.1",
          "user_agent": "sqlmap/1.7"})
# RFC 6455 4.1 opening handshake: the upgrade is reported (nDPI names such flows WebSocket).
add("http-websocket-upgrade", "http",
    tcp(b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
    meta={"upgrade": "websocket", "status": 101})
# A SOAP 1.1 call (SOAPAction header, W3C SOAP 1.1 6.1.1), as Windows' device metadata
# client sends it.
add("http-soap-call", "http",
    tcp(b"POST /fwlink/?LinkID=252669 HTTP/1.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        b'SOAPAction: "http://schemas.microsoft.com/windowsmetadata/services/2007/09/18/dms/'
        b'DeviceMetadataService/GetDeviceMetadata"\r\nHost: go.microsoft.com\r\n\r\n'
        b'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'),
    meta={"method": "POST", "soap_action": '"http://schemas.microsoft.com/windowsmetadata/'
          'services/2007/09/18/dms/DeviceMetadataService/GetDeviceMetadata"'})

# ------------------------------------------------------------- SSLv2-format ClientHello
# RFC 5246 E.2 / RFC 6101 E: what OpenSSL 0.9.8-era clients and scanners open with.
# 2-byte header (high bit set, length 103), CLIENT-HELLO (1), version 3.1, 78 bytes of
# cipher specs (26 x 3), no session id, 16-byte challenge.  The server answers with a
# TLS 1.0 ServerHello (record 0x16 0x0301).
_SSL2_SPECS = hx("000039" "000038" "000035" "000016" "000013" "00000a" "0700c0" "000033"
                 "000032" "00002f" "030080" "000005" "000004" "010080" "000015" "000012"
                 "000009" "060040" "000014" "000011" "000008" "000006" "040080" "000003"
                 "020080" "0000ff")
SSL2_CH = hx("8067" "01" "0301" "004e" "0000" "0010") + _SSL2_SPECS + bytes(range(16))
SSL2_SH = hx("16" "0301" "002a" "02" "000026" "0301") + bytes(range(32, 64)) + hx("00" "0035" "00")
add("tls-sslv2-client-hello", "tls", tcp(SSL2_CH, SSL2_SH),
    meta={"sslv2_hello": True, "client_version": "TLSv1.0", "version": "TLSv1.0"})

# ------------------------------------------------------------ SMB after a NetBIOS setup
# Port 139 (smbclient -p 139 shape): SESSION REQUEST "*SMBSERVER" / "WORKSTATION", then
# an SMB1 NEGOTIATE in a session message; the server's POSITIVE SESSION RESPONSE, then
# its NEGOTIATE reply.  The more specific smb names the flow (netbios-ssn matches too).
_NBSS_REQ = hx("81" "00" "0044"
               "20" "434b4644454e4543464445464643464745464643434143414341434143414341" "00"
               "20" "464845504643454c4644464545424645454a4550454f43414341434143414141" "00")
_SMB1_NEG = hx("00" "00002f" "ff534d42" "72" "00000000" "18" "01c8" "0000" "0000000000000000"
               "0000" "ffff" "fffe" "0000" "0000" "00" "0c00" "02" "4e54204c4d20302e313200")
_SMB1_NEG_RESP = hx("00" "000025" "ff534d42" "72" "00000000" "98" "01c8" "0000"
                    "0000000000000000" "0000" "ffff" "fffe" "0000" "0000" "01" "0000" "0000")
add("smb-after-netbios-session", "smb",
    tcp(_NBSS_REQ + _SMB1_NEG, hx("82000000") + _SMB1_NEG_RESP),
    meta={"dialect_family": "smb1", "command": 0x72})

# ------------------------------------------------------- RTP muxed with STUN and RTCP
# A WebRTC-style call leg (WhatsApp's shape): ICE STUN binding requests/answers with
# the magic cookie, media with a dynamic payload type (120), and RTCP sender reports on
# the same 5-tuple (RFC 5761: second byte 200-204 sits where RTP's marker + PT 72-76
# would).  The flow is named by its media.
_STUN_REQ = hx("0001" "0000" "2112a442" "5b1e22c0a3f19d0e4c8a6b21")
_STUN_OK = hx("0101" "0000" "2112a442" "5b1e22c0a3f19d0e4c8a6b21")
add("rtp-muxed-stun-rtcp", "rtp",
    udp([_STUN_REQ, hx("80" "78" "412e" "00003c00" "54592824") + bytes(120),
         hx("80" "78" "412f" "00004600" "54592824") + bytes(120)],
        [_STUN_OK, hx("80" "78" "254f" "00005000" "4c289e6d") + bytes(100),
         hx("81" "c8" "0006" "4c289e6d") + bytes(24),
         hx("80" "78" "2550" "00005a00" "4c289e6d") + bytes(100)]),
    meta={"payload_type": 120, "ssrc": "54592824"})

# --------------------------------------------------------- MongoDB, legacy OP_QUERY
# A legacy driver's OP_QUERY (getnonce) with responseTo -1 instead of 0.
_MQ = (hx("00000000" "87910000" "ffffffff" "d4070000" "00000000")
       + b"InactiveUserIdentity.$cmd\x00" + hx("00000000" "01000000" "13000000" "10")
       + b"getnonce\x00" + hx("01000000" "00"))
MONGO_LEGACY = struct.pack("<I", len(_MQ)) + _MQ[4:]          # messageLength fixed up
add("mongodb-legacy-query", "mongodb", tcp(MONGO_LEGACY), meta={"op": "OP_QUERY"},
    trunc=tcp(MONGO_LEGACY[:12]))


BY_ID = {f.id: f for f in FIXTURES}


def mutate(seed: bytes, flips, cut):
    """A fuzzing input grown from real bytes: `flips` are (position, byte) overwrites
    (positions wrap around the seed), then the result is cut to `cut` bytes."""
    b = bytearray(seed)
    for pos, val in flips:
        if b:
            b[pos % len(b)] = val
    return bytes(b[:cut])
