"""The one list of detectors.  No import magic: adding a protocol = one module + one line.

ORDER MATTERS: it is the engine's tie-break when two detectors match with the same
confidence (see engine.py).  Most specific first:
  1. protocols that reuse another's syntax or framing (http-proxy before http; rtsp,
     sip and ssdp before http; smb before netbios-ssn; mdns/llmnr/netbios-ns are
     exclusive with dns by construction but listed first anyway);
  2. protocols with long magic strings or checksums (bgp, dnp3, ssh, bittorrent...);
  3. weak statistical or short-magic detectors last (rtp, rtmp, telnet, syslog), so
     they only win when nothing stronger matched.
"""
from __future__ import annotations

from . import (
    http_proxy, rtsp, sip, ssdp, http2, http,
    tls, dtls, quic,
    mdns, llmnr, netbios_ns, dns,
    ssh, ftp, smtp, pop3, imap,
)

DETECTORS = [
    # HTTP-syntax family: the specialised ones before plain http.
    http_proxy, rtsp, sip, ssdp, http2, http,
    # Encrypted transports.
    tls, dtls, quic,
    # DNS-format family (one shared parser; mutually exclusive flavour rule).
    mdns, llmnr, netbios_ns, dns,
    # Banner / command protocols.
    ssh, ftp, smtp, pop3, imap,
]

SPECS = [m.SPEC for m in DETECTORS]
