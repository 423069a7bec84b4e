"""The port registry: the shipped IANA table, lookups both ways, port classes, the
canonical-name mapping, site overrides and their errors."""
import os
import subprocess
import sys

import pytest

from classifier.ports import (PROTOCOLS, ConfigError, IANA_TO_CANONICAL, canonical_for, default_registry,
                              load_registry, parse_port_spec, port_class)
from classifier.ports.registry import TABLE_PATH, load_table
from refdata import ROOT, SHARED

IANA_CSV = os.path.join(SHARED, "data", "iana-service-names-port-numbers.csv")
needs_csv = pytest.mark.skipif(not os.path.exists(IANA_CSV), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def reg():
    return default_registry()


# -- the shipped table ---------------------------------------------------------------

def test_table_is_compact_and_dated():
    assert os.path.getsize(TABLE_PATH) < 1_000_000
    t = load_table()
    assert t["date"] == "2024-04-30" and len(t["csv_sha256"]) == 64
    assert t["columns"] == ["low", "high", "transport", "service", "description", "status"]
    assert len(t["rows"]) > 13000


@needs_csv
def test_table_rebuilds_from_the_iana_csv_byte_for_byte(tmp_path):
    out = tmp_path / "t.json.gz"
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_port_table.py"), IANA_CSV,
                          "--out", str(out)], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == open(TABLE_PATH, "rb").read()


@needs_csv
def test_every_registered_port_of_the_csv_is_in_the_table(reg):
    import csv
    with open(IANA_CSV, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Port Number"] and r["Service Name"]]
    for r in rows:
        lo = int(r["Port Number"].split("-")[0])
        transports = [r["Transport Protocol"]] if r["Transport Protocol"] else ["tcp", "udp"]
        for t in transports:
            assert r["Service Name"] in [s.name for s in reg.lookup(lo, t).services], r


# -- lookups ---------------------------------------------------------------------------

@pytest.mark.parametrize("port,transport,services,implied", [
    (443, "tcp", ["https"], ("tls",)),
    (443, "udp", ["https"], ("quic",)),
    (53, "udp", ["domain"], ("dns",)),
    (53, "tcp", ["domain"], ("dns",)),
    (80, "tcp", ["http", "www", "www-http"], ("http",)),
    (4412, "udp", ["smallchat"], ("smallchat",)),
    (3478, "udp", ["stun", "stun-behavior", "turn"], ("stun",)),
    (5353, "udp", ["mdns"], ("mdns",)),
    (137, "udp", ["netbios-ns"], ("netbios-ns",)),
    (20, "tcp", ["ftp-data"], ("ftp-data",)),
    (445, "tcp", ["microsoft-ds"], ("smb",)),
    (631, "tcp", ["ipp", "ipps"], ("http", "tls")),
    (853, "udp", ["domain-s"], ("dtls", "quic")),
    (2181, "tcp", ["eforward"], ("eforward",)),       # unmapped: implies its own name
    (6667, "tcp", ["ircu"], ("irc",)),                 # from the 6665-6669 range line
])
def test_lookup_by_port(reg, port, transport, services, implied):
    info = reg.lookup(port, transport)
    assert [s.name for s in info.services] == services
    assert info.implied == implied and info.registered and info.status == "assigned"


@pytest.mark.parametrize("port,cls", [(0, "system"), (1023, "system"), (1024, "user"), (49151, "user"),
                                      (49152, "dynamic"), (65535, "dynamic")])
def test_port_class_boundaries(reg, port, cls):
    assert port_class(port) == cls
    assert reg.lookup(port, "tcp").port_class == cls


@pytest.mark.parametrize("port,transport,status", [
    (1023, "tcp", "reserved"), (1024, "udp", "reserved"), (49151, "tcp", "reserved"),
    (49152, "udp", "dynamic"), (65535, "tcp", "dynamic"), (6881, "tcp", "unassigned"),
    (4412, "tcp", "reserved"), (143, "udp", "reserved"), (0, "tcp", "reserved"),
])
def test_unregistered_ports_say_why(reg, port, transport, status):
    info = reg.lookup(port, transport)
    assert not info.registered and info.status == status and info.implied == ()


def test_lookup_by_name_both_ways(reg):
    assert [i.spec for i in reg.find("smallchat")] == ["4412/udp"]
    assert [i.spec for i in reg.find("SmallChat")] == ["4412/udp"]
    assert [i.spec for i in reg.find("domain")] == ["53/tcp", "53/udp"]
    http = [i.spec for i in reg.find("http")]          # a canonical protocol: every port implying it
    assert {"80/tcp", "8080/tcp", "8008/tcp", "591/tcp"} <= set(http)
    assert "443/tcp" in [i.spec for i in reg.find("tls")] and "993/tcp" in [i.spec for i in reg.find("tls")]
    assert [i.spec for i in reg.find("quic")][:1] == ["443/udp"]
    assert reg.find("no-such-service") == []


# -- canonical mapping -------------------------------------------------------------------

def test_canonical_names_are_the_detectors_names():
    from classifier.detectors.registry import NAMES
    assert list(PROTOCOLS) == list(NAMES)
    with open(os.path.join(ROOT, "docs", "protocols.md")) as fh:
        doc = fh.read()
    for p in PROTOCOLS:
        assert f"| `{p}` |" in doc, p


def test_every_mapped_iana_name_exists_and_maps_to_a_canonical_protocol(reg):
    names = set(reg.service_names())
    for name, target in IANA_TO_CANONICAL.items():
        assert name in names, f"{name} is not an IANA service name"
        for t in ("tcp", "udp", "sctp", "dccp"):
            for p in canonical_for(name, t):
                assert p in PROTOCOLS, (name, p)
        if isinstance(target, dict):
            registered = {i.transport for i in reg.find(name)}
            assert set(target) & registered, (name, target, registered)


def test_every_protocol_with_a_registration_is_mapped(reg):
    # Protocols whose IANA registration carries another name, checked by port.
    expected = {
        "rtsp": (554, "tcp"), "sip": (5060, "udp"), "ssdp": (1900, "udp"), "http": (80, "tcp"),
        "tls": (443, "tcp"), "dtls": (5684, "udp"), "quic": (443, "udp"), "mdns": (5353, "udp"),
        "llmnr": (5355, "udp"), "netbios-ns": (137, "udp"), "dns": (53, "udp"), "ssh": (22, "tcp"),
        "ftp": (21, "tcp"), "ftp-data": (20, "tcp"), "smtp": (25, "tcp"), "pop3": (110, "tcp"),
        "imap": (143, "tcp"), "irc": (194, "tcp"), "xmpp": (5222, "tcp"), "telnet": (23, "tcp"),
        "smb": (445, "tcp"), "netbios-ssn": (139, "tcp"), "netbios-dgm": (138, "udp"),
        "rdp": (3389, "tcp"), "vnc": (5900, "tcp"), "ldap": (389, "tcp"), "kerberos": (88, "udp"),
        "slp": (427, "udp"), "radius": (1812, "udp"), "snmp": (161, "udp"), "mysql": (3306, "tcp"),
        "postgresql": (5432, "tcp"), "mssql-tds": (1433, "tcp"), "redis": (6379, "tcp"),
        "mongodb": (27017, "tcp"), "memcached": (11211, "tcp"), "mqtt": (1883, "tcp"),
        "amqp": (5672, "tcp"), "git": (9418, "tcp"), "rsync": (873, "tcp"), "socks": (1080, "tcp"),
        "openvpn": (1194, "udp"), "ike": (500, "udp"), "stun": (3478, "udp"), "bgp": (179, "tcp"),
        "dnp3": (20000, "tcp"), "iec104": (2404, "tcp"), "modbus": (502, "tcp"), "dhcp": (67, "udp"),
        "dhcpv6": (547, "udp"), "tftp": (69, "udp"), "coap": (5683, "udp"), "rtcp": (5005, "udp"),
        "rtp": (5004, "udp"), "rtmp": (1935, "tcp"), "ntp": (123, "udp"), "syslog": (514, "udp"),
        "smallchat": (4412, "udp"),
    }
    unregistered = {"http-proxy", "http2", "zookeeper", "bittorrent", "wireguard"}
    assert set(expected) | unregistered == set(PROTOCOLS)
    for proto, (port, t) in expected.items():
        assert proto in reg.lookup(port, t).implied, (proto, port, t)


# -- port specs ------------------------------------------------------------------------

def test_port_specs():
    assert parse_port_spec("443/tcp") == (443, 443, ("tcp",))
    assert parse_port_spec(" 49152-65535 / UDP ") == (49152, 65535, ("udp",))
    assert parse_port_spec("53", default_transports=("tcp", "udp")) == (53, 53, ("tcp", "udp"))
    for bad in ("53", "70000/tcp", "10-5/tcp", "443/xyz", "https", "-1/tcp"):
        with pytest.raises(ValueError):
            parse_port_spec(bad)


# -- site overrides ------------------------------------------------------------------------

def test_site_overrides_replace_or_extend(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('''
[[port]]
port = "8443/tcp"
protocols = ["tls"]
service = "https-alt"

[[port]]
port = ["2181/tcp"]
protocol = "zookeeper"

[[port]]
port = "443/udp"
protocol = "dtls"
extend = true

[[port]]
port = "6881-6889/tcp"
protocol = "bittorrent"
''')
    reg = load_registry([str(site)])
    info = reg.lookup(8443, "tcp")
    assert [s.name for s in info.services] == ["https-alt"] and info.status == "site"
    assert reg.lookup(2181, "tcp").implied == ("zookeeper",)          # eforward replaced
    assert reg.lookup(443, "udp").implied == ("quic", "dtls")         # extended
    assert reg.lookup(6885, "tcp").implied == ("bittorrent",) and reg.lookup(6885, "tcp").port_class == "user"
    assert reg.lookup(6885, "udp").implied == ()                      # only the transport named
    assert [i.spec for i in reg.find("zookeeper")] == ["2181/tcp"]
    assert "2181/tcp" not in [i.spec for i in reg.find("eforward")]
    assert default_registry().lookup(2181, "tcp").implied == ("eforward",)   # the default is untouched


def test_shipped_site_example_loads():
    reg = load_registry([os.path.join(ROOT, "examples", "site-ports.toml")])
    assert reg.lookup(3128, "tcp").implied == ("http-proxy",)


@pytest.mark.parametrize("text,message", [
    ('[[port]]\nport = "8443/tcp"\nprotocols = ["tls"\n', "not valid TOML"),
    ('[[port]]\nport = "8443/tcp"\nprotocols = ["tls"]\n\n[[port]]\nport = "80/tcp"\nprotocols = ["htp"]\n',
     "[[port]] entry 2 (line 5): unknown protocol 'htp'"),
    ('[[port]]\nport = "8443"\nprotocol = "tls"\n', "names no transport"),
    ('[[port]]\nport = "8443/tcp"\n', "exactly one of 'protocols'"),
    ('[[port]]\nport = "8443/tcp"\nprotocol = "tls"\ncolour = "red"\n', "unknown key 'colour'"),
    ('[ports]\n"8443/tcp" = "tls"\n', "unknown top-level key 'ports'"),
    ('[[port]]\nport = "8443/tcp"\nprotocol = "tls"\nextend = "yes"\n', "'extend' must be true or false"),
])
def test_bad_site_file_is_one_clear_error(tmp_path, text, message):
    site = tmp_path / "site.toml"
    site.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_registry([str(site)])
    assert str(e.value).startswith(str(site) + ":") and message in str(e.value), str(e.value)


def test_bad_toml_error_names_line_and_column(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[[port]]\nport = "8443/tcp"\nprotocol = tls\n')
    with pytest.raises(ConfigError) as e:
        load_registry([str(site)])
    assert "line 3" in str(e.value)


def test_missing_site_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_registry([str(tmp_path / "absent.toml")])
