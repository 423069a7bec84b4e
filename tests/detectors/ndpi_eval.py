"""Agreement with nDPI's DPI labels on ../shared/ndpi-dev.

Run: PYTHONPATH=/work/main python3 tests/detectors/ndpi_eval.py [-v]
Also used by test_ndpi_agreement.py.
"""
from __future__ import annotations

import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dpkt_flows  # noqa: E402

from classifier.detectors.engine import classify_many  # noqa: E402

# nDPI master protocol (per l4) -> set of our canonical names that agree with it.
NDPI_MAP = {
    "HTTP": {"http"}, "HTTP2": {"http2"}, "HTTP_Connect": {"http-proxy"},
    "HTTP_Proxy": {"http-proxy"}, "TLS": {"tls"}, "DTLS": {"dtls"}, "QUIC": {"quic"},
    "DNS": {"dns"}, "MDNS": {"mdns"}, "LLMNR": {"llmnr"},
    "NetBIOS": {"netbios-ns", "netbios-ssn", "netbios-dgm"},
    "SSDP": {"ssdp"}, "DHCP": {"dhcp"}, "DHCPV6": {"dhcpv6"}, "NTP": {"ntp"},
    "SNMP": {"snmp"}, "Syslog": {"syslog"}, "TFTP": {"tftp"}, "SSH": {"ssh"},
    "Telnet": {"telnet"}, "FTP_CONTROL": {"ftp"}, "FTP_DATA": {"ftp-data"},
    "SMTP": {"smtp"}, "POP3": {"pop3"}, "IMAP": {"imap"}, "LDAP": {"ldap"},
    "Kerberos": {"kerberos"}, "Radius": {"radius"}, "SMBv1": {"smb"}, "SMBv23": {"smb"},
    "RDP": {"rdp"}, "VNC": {"vnc"}, "SIP": {"sip"}, "RTP": {"rtp"}, "SRTP": {"rtp"},
    "RTCP": {"rtcp"}, "RTSP": {"rtsp"}, "RTMP": {"rtmp"}, "STUN": {"stun"},
    "BitTorrent": {"bittorrent"}, "MySQL": {"mysql"}, "PostgreSQL": {"postgresql"},
    "MsSQL-TDS": {"mssql-tds"}, "RESP": {"redis"}, "Redis": {"redis"},
    "MongoDB": {"mongodb"}, "Memcached": {"memcached"}, "MQTT": {"mqtt"},
    "AMQP": {"amqp"}, "Zookeeper": {"zookeeper"}, "IRC": {"irc"}, "Jabber": {"xmpp"},
    "XMPP": {"xmpp"}, "Git": {"git"}, "RSYNC": {"rsync"}, "SOCKS": {"socks"},
    "OpenVPN": {"openvpn"}, "WireGuard": {"wireguard"}, "IPSec": {"ike"},
    "Modbus": {"modbus"}, "DNP3": {"dnp3"}, "IEC60870": {"iec104"}, "COAP": {"coap"},
    "BGP": {"bgp"}, "Service_Location_Protocol": {"slp"},
    # nDPI names STARTTLS/implicit-TLS mail by the mail protocol; bytes are TLS.
    "IMAPS": {"tls", "imap"}, "SMTPS": {"tls", "smtp"}, "POP3S": {"tls", "pop3"},
    "FTPS": {"tls", "ftp"},
}


def evaluate(verbose: bool = False):
    labels = dpkt_flows.ndpi_labels()
    pdir = os.path.join(dpkt_flows.NDPI_DIR, "pcaps")
    per = collections.defaultdict(lambda: [0, 0])
    disagree = collections.Counter()
    examples = collections.defaultdict(list)
    for name in sorted(os.listdir(pdir)):
        if not name.endswith((".pcap", ".pcapng", ".cap")):
            continue
        rows = dpkt_flows.flows_with_tuples(os.path.join(pdir, name))
        if not rows:
            continue
        views = [r[0] for r in rows]
        tuples = [r[1] for r in rows]
        ours = classify_many(views, tuples)
        for (view, tup, fl), lab in zip(rows, ours):
            ref = labels.get((name, fl.transport, frozenset([fl.client, fl.server])))
            if not ref or ref["confidence"] != "DPI":
                continue
            want = NDPI_MAP.get(ref["master"])
            if want is None:
                continue
            key = ref["master"]
            per[key][1] += 1
            if lab.protocol in want:
                per[key][0] += 1
            else:
                disagree[(key, lab.protocol)] += 1
                examples[(key, lab.protocol)].append((name, tup, lab.pending))
    ok = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return ok, total, per, disagree, examples


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # allow `| head`
    ok, total, per, dis, ex = evaluate()
    print(f"agreement {ok}/{total} = {ok / max(total, 1):.4f}")
    for k, (a, n) in sorted(per.items(), key=lambda x: -x[1][1]):
        print(f"  {k:16s} {a:4d}/{n:<4d}")
    print("disagreements (nDPI, ours): count")
    for k, n in dis.most_common():
        print(f"  {k}: {n}", ex[k][:3] if "-v" in sys.argv else "")
