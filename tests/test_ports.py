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

def test_every_mapped_iana_name_exists_and_maps_to_a_canonical_protocol(reg):
    names = set(reg.service_names())
    for name, entries in IANA_TO_CANONICAL.items():
        assert name in names, f"{name} is not an IANA service name"
        for t in ("tcp", "udp", "sctp", "dccp"):
            for p in canonical_for(name, t):
                assert p in PROTOCOLS, (name, p)
        limited = {t for _p, ts in entries if ts for t in ts}
        if limited:
            registered = {i.transport for i in reg.find(name)}
            assert limited & registered, (name, entries, registered)


def test_every_protocol_with_a_registration_is_mapped(reg):
    """Each protocol of the table with IANA aliases has ports that imply it; the ones
    without say why in classifier/protocols.py (they ride on other ports or have none)."""
    from classifier.protocols import TABLE
    for p in TABLE:
        if not p.iana:
            continue
        ports = reg.find(p.name)
        assert ports, p.name
        assert all(p.name in i.implied for i in ports), p.name
    # A protocol without aliases must say why in the table's docstring.
    import classifier.protocols as table
    why = table.__doc__.split("Protocols without a registration of their own", 1)[1]
    for p in TABLE:
        if not p.iana:
            assert f"{p.name} (" in " ".join(why.split()), f"{p.name}: no IANA alias and no reason given"
    # spot checks: registrations that carry another name than the protocol's
    for proto, port, t in [("smb", 445, "tcp"), ("rdp", 3389, "tcp"), ("vnc", 5900, "tcp"),
                           ("slp", 427, "udp"), ("dnp3", 20000, "tcp"), ("iec104", 2404, "tcp"),
                           ("modbus", 502, "tcp"), ("rtp", 5004, "udp"), ("rtcp", 5005, "udp"),
                           ("rtmp", 1935, "tcp"), ("mssql-tds", 1433, "tcp"), ("dtls", 5684, "udp")]:
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
