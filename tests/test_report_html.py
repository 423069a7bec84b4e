"""The HTML report: self-contained, attacker text escaped, memory bounded. The matrix
as a browser renders it is checked in tests/test_report_browser.py (headless Chromium)."""
import io
import json
import os
import re

from html.parser import HTMLParser

import pytest

from clirun import portlens

from classifier.output import report
from classifier.output.report import HtmlWriter, TopK
from pcapgen import eth_wrap, tcp_conversation, write_pcap
from refdata import CORPUS_DIR

CORPUS = os.path.join(CORPUS_DIR, "corpus")
EVIL_HOST = "<script>document.title='pwned'</script>"


def run(*args):
    return portlens(*args, timeout=120)


def write_evil_capture(folder):
    """HTTP on 53/tcp (a mismatch) whose Host header and User-Agent carry markup."""
    req = (f"GET /<img/src=x> HTTP/1.1\r\nHost: {EVIL_HOST}\r\n"
           f"User-Agent: \"><script>alert(1)</script>\r\n\r\n").encode()
    p = folder / "evil.pcap"
    write_pcap(p, eth_wrap(tcp_conversation(sport=53, request=req)))
    return p


def write_report(folder):
    """`portlens analyze -f html` of the crafted capture, the demos and three others."""
    out = folder / "report.html"
    demos = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.startswith("mismatch-"))
    others = [os.path.join(CORPUS, f) for f in ("dns-1.pcap", "dns-9.pcap", "tls-1.pcap")]  # random, iana, random
    res = run("analyze", str(write_evil_capture(folder)), *demos, *others, "-f", "html", "-o", str(out), "-q")
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture
def report_file(tmp_path):
    return write_report(tmp_path)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script and style element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.texts, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs), [])

    def handle_data(self, data):
        if self._in:
            self._in[2].append(data)

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            self.texts.append((tag, self._in[1], "".join(self._in[2])))
            self._in = None


def _parse(html):
    p = _Tags()
    p.feed(html)
    p.close()
    return p


def test_report_is_self_contained(report_file):
    html = report_file.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert 'id="matrix"' in html and 'id="mismatches"' in html and 'id="protocols"' in html
    assert 'id="flow-table"' in html
    p = _parse(html)
    # Nothing is fetched: no element that loads anything, no attribute naming a resource,
    # no url() or @import in the styles.
    loaders = {"link", "img", "iframe", "object", "embed", "base", "video", "audio", "source", "frame"}
    assert not [t for t, _ in p.tags if t in loaders]
    resource_attrs = {"src", "href", "action", "formaction", "srcset", "poster", "data", "ping",
                      "background", "xlink:href", "manifest"}
    assert not [(t, a) for t, attrs in p.tags for a in attrs if a in resource_attrs]
    styles = [text for tag, _, text in p.texts if tag == "style"] + \
        [a["style"] for _, a in p.tags if "style" in a]
    assert styles and not [s for s in styles if re.search(r"url\s*\(|@import", s, re.I)]
    # Exactly two script elements: the JSON data block, and the report's own script,
    # which the Content-Security-Policy allows by its hash, and nothing else.
    scripts = [(a, text) for tag, a, text in p.texts if tag == "script"]
    assert [a.get("type") for a, _ in scripts] == ["application/json", None], scripts
    csp = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    policy = dict((d.split()[0], d.split()[1:]) for d in csp[0].split(";") if d.strip())
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [f"'{report.csp_hash(scripts[1][1])}'"]
    assert "connect-src" not in policy                      # default-src 'none' covers fetches


def test_capture_text_is_escaped(report_file):
    html = report_file.read_text()
    assert EVIL_HOST not in html
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert "<img/src=x>" not in html


def test_mismatches_come_first(report_file):
    html = report_file.read_text()
    rows = re.findall(r'<th class="row( has-mis)?" scope="row">([^<]*)</th>', html)
    flags = [bool(m) for m, _ in rows]
    assert flags and flags[0] and flags == sorted(flags, reverse=True), rows   # all mismatch rows first
    assert "53/tcp" in html and "payload is http" in html


def _rec(i, verdict="mismatch", protocol="http", port_protocol="dns"):
    return {"capture": "c.pcap", "ts_start": 1.0 + i, "ts_end": 2.0 + i, "transport": "tcp",
            "client": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "client_port": 40000,
            "server": f"192.0.2.{i % 250}", "server_port": 1 + i % 60000, "protocol": protocol,
            "port_protocol": port_protocol, "verdict": verdict, "bytes_c2s": 10, "bytes_s2c": 20,
            "metadata": {"host": f"h{i}.example"}, "verdict_reason": "x"}


def test_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(report, "MAX_MATRIX_CELLS", 50)
    monkeypatch.setattr(report, "MAX_DETAIL_CELLS", 10)
    w = HtmlWriter(io.StringIO())
    for i in range(20000):
        w.write(_rec(i, port_protocol=f"svc{i % 400}"))
    assert len(w.cells) == 50 and len(w.details) == 10
    for d in w.details.values():
        assert len(d.servers.counts) <= 2 * report.SKETCH and len(d.clients.counts) <= 2 * report.SKETCH
        assert len(d.evidence.counts) <= 2 * 16
    w.close()
    html = w.stream.getvalue()
    assert "counted in the totals only" in html and "20000" in html


def test_top_k_keeps_heavy_hitters():
    s = TopK(8)
    for i in range(5000):
        s.add("heavy" if i % 3 == 0 else f"noise{i}")
        s.add(f"warm{i % 4}")
    assert len(s.counts) <= 16
    top = s.top(5)
    assert top[0][:2] == ("heavy", 1667) and not top[0][2]          # exact: never dropped
    assert {k for k, _, _ in top[1:]} == {"warm0", "warm1", "warm2", "warm3"}


def test_empty_report_renders():
    w = HtmlWriter(io.StringIO())
    w.close()
    assert 'id="matrix"' in w.stream.getvalue()


def test_control_characters_are_made_visible():
    assert report._clip("qname=*\x00\x01\x7f") == "qname=*\\x00\\x01\\x7f"
    assert len(report._clip("x" * 1000)) == report.TEXT_MAX


# -- the flows table, its data block, model-only labels, unjudged flows (issue 16) -------

CRAFTED_SNI = "</script><script>document.title='pwned'</script><!--<script>"


def _flow(port, protocol, verdict, port_protocol, transport="tcp", source="dpi", meta=None, i=0):
    return {"capture": "c.pcap", "ts_start": 100.0 + i, "ts_end": 100.5 + i, "transport": transport,
            "client": f"10.0.0.{i + 1}", "client_port": 40000 + i, "server": "192.0.2.1",
            "server_port": port, "vlan": None, "tunnel": None, "packets_c2s": 3, "packets_s2c": 2,
            "bytes_c2s": 100 * (i + 1), "bytes_s2c": 50, "protocol": protocol, "source": source,
            "confidence": 0.9 if source == "ml" else 1.0, "port_protocol": port_protocol,
            "verdict": verdict, "metadata": meta or {}, "end_reason": "eof",
            "tcp_flags": {"c2s": "SPA", "s2c": "SPA"} if transport == "tcp" else None,
            "payload": {"c2s": 10, "s2c": 20, "notes": ["gap"]},
            "ml": {"protocol": protocol, "probability": 0.9} if source == "ml" else None,
            "port_service": port_protocol, "port_class": "system",
            "verdict_reason": f"{port}/{transport} implies {port_protocol}; payload is {protocol}"}


def _render(recs):
    w = HtmlWriter(io.StringIO())
    for r in recs:
        w.write(r)
    w.close()
    return w.stream.getvalue()


def _flow_data(html):
    blocks = [text for tag, a, text in _parse(html).texts if tag == "script" and a.get("type") == "application/json"]
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_flow_data_block_cannot_be_closed_by_capture_text():
    html = _render([_flow(443, "tls", "match", "tls", meta={"sni": CRAFTED_SNI, "host": "a&b>c"})])
    # The only script tags are the report's own two; the crafted text is in neither as markup.
    assert html.count("<script") == 2 and html.count("</script") == 2 and "<!--" not in html
    assert "document.title='pwned'" not in _parse(html).texts[-1][2]     # not in the executable script
    recs = _flow_data(html)
    assert recs[0]["metadata"] == {"sni": CRAFTED_SNI, "host": "a&b>c"}  # read back exactly
    assert recs[0]["server_port"] == 443 and recs[0]["verdict"] == "match"


def test_flows_table_lists_every_field_and_mismatches_first():
    recs = [_flow(443, "tls", "match", "tls", i=0), _flow(53, "http", "mismatch", "dns", i=1,
                                                         meta={"host": "x.example"})]
    html = _render(recs)
    rows = re.findall(r'<tr data-i="(\d+)" data-v="([^"]+)"', html)
    assert rows == [("0", "mismatch"), ("1", "match")]
    data = _flow_data(html)
    assert [r["verdict"] for r in data] == ["mismatch", "match"]
    from classifier.schema import FIELDS, FLOW_EXTRA, STAGE_FIELDS
    assert set(FIELDS + FLOW_EXTRA + STAGE_FIELDS) <= set(data[0])
    assert data[0]["metadata"] == {"host": "x.example"} and data[0]["payload"]["notes"] == ["gap"]
    assert "host=x.example" in html                                     # the evidence column


def test_flows_table_is_capped_and_says_what_it_left_out(monkeypatch):
    monkeypatch.setattr(report, "MAX_FLOW_ROWS", 10)
    recs = [_flow(443, "tls", "match", "tls", i=i) for i in range(30)]
    recs += [_flow(53, "http", "mismatch", "dns", i=30 + i) for i in range(4)]
    recs += [_flow(9, "unknown", "unidentified", "discard", i=40)]
    html = _render(recs)
    data = _flow_data(html)
    assert len(data) == 10
    assert [r["verdict"] for r in data] == ["mismatch"] * 4 + ["unidentified"] + ["match"] * 5
    assert [r["ts_start"] for r in data[5:]] == [100.0, 101.0, 102.0, 103.0, 104.0]   # the first matches kept
    assert "The flows table lists 10 of 35 flows (at most 10, mismatches first); 25 are left out of it (25 match)" in html


def test_model_only_labels_are_marked_everywhere():
    recs = [_flow(1194, "openvpn", "match", "openvpn", transport="udp", source="ml", i=0),
            _flow(53, "dns", "match", "dns", transport="udp", i=1),
            _flow(53, "dns", "match", "dns", transport="udp", source="ml", i=2)]
    html = _render(recs)
    # Matrix: the all-model cell is styled, the half-model cell has the marker only.
    cells = dict((v, c) for c, v in re.findall(r'<td class="c v-match( ml(?:-some)?)?"[^>]*>(\d+)', html))
    assert cells == {"1": " ml", "2": " ml-some"}
    assert '<th class="col ml" scope="col"><span class="ml"' in html      # the openvpn column
    # Flows table: the model's rows carry data-ml and an italic label with the marker.
    ml_rows = re.findall(r'<tr data-i="\d+" data-v="match" data-p="(\w+)" data-pp="\w+" data-t="udp" data-ml="1"', html)
    assert sorted(ml_rows) == ["dns", "openvpn"]
    assert html.count('<span class="ml" title="labelled by the model alone') >= 3
    assert "a label the statistical model gave alone" in html               # the legend


def test_unjudged_flows_are_not_called_no_port(tmp_path):
    """`flows -f html`: no verdict stage ran, so no verdict (and no "no port") is claimed."""
    out = tmp_path / "flows.html"
    files = [os.path.join(CORPUS, f) for f in ("dns-1.pcap", "tls-1.pcap", "mismatch-http-on-53tcp.pcap")]
    res = run("flows", *files, "-f", "html", "-o", str(out), "-q")
    assert res.returncode == 0, res.stderr
    html = out.read_text()
    text = re.sub(r"<[^>]+>", " ", html.split('<script type="application/json"')[0])
    assert "no port" not in text and "% of flows" in text
    assert "tcp flows" in text and "udp flows" in text and "port registry" not in text
    assert 'id="matrix"' not in html and 'id="mismatches"' not in html and 'id="flow-verdict"' not in html
    assert "neither protocol detection nor a verdict on the server port was run" in text
    assert 'id="server-ports"' in html and "53/tcp" in html
    assert len(_flow_data(html)) == len(re.findall(r"<tr data-i=", html)) >= 3


def test_null_verdicts_say_why():
    judged_icmp = _flow(None, "unknown", None, None, transport="icmp")
    unjudged = {k: v for k, v in _flow(80, "http", None, None, i=1).items() if k != "verdict_reason"}
    html = _render([judged_icmp, unjudged, _flow(443, "tls", "match", "tls", i=2)])
    cards = re.findall(r'<div class="card v-[^"]+"><div class="muted">([^<]+)</div><div class="n">(\d+)', html)
    assert ("no port (not TCP/UDP)", "1") in cards and ("not judged", "1") in cards and ("match", "1") in cards


def test_flows_table_keeps_the_most_important_flows_first_come(monkeypatch):
    """Against a reference: whatever the order of arrival, the table keeps the `cap`
    flows first by verdict importance, then by arrival, and counts the rest."""
    import random
    rnd = random.Random(16)
    for _ in range(300):
        cap = rnd.randint(0, 12)
        monkeypatch.setattr(report, "MAX_FLOW_ROWS", cap)
        verdicts = [rnd.choice(["mismatch", "match", "unidentified", "unregistered-port", None])
                    for _ in range(rnd.randint(0, 40))]
        w = HtmlWriter(io.StringIO())
        for i, v in enumerate(verdicts):
            w.write(_flow(80, "http", v, "http", i=i))
        kept = sorted(r["ts_start"] for rank in w.listed for r in rank)
        want = sorted(range(len(verdicts)), key=lambda i: (report.FLOW_RANK.get(verdicts[i], 9), i))[:cap]
        assert kept == sorted(100.0 + i for i in want), (cap, verdicts)
        assert sum(w.unlisted.values()) == len(verdicts) - len(kept)


def test_report_size_stays_bounded_with_hostile_metadata():
    """Each listed flow keeps a bounded share of the page, however much text its
    metadata carries (escaped characters cost up to 6 bytes each)."""
    w = HtmlWriter(io.StringIO())
    big = "<\u00e9\U0001F600&" * 300
    for i in range(3 * report.MAX_FLOW_ROWS // 2):
        r = _flow(80, "http", "mismatch", "dns", i=i % 100, meta={f"k{j}" + "<" * 50: big for j in range(40)})
        r["capture"] = "<&>" * 100
        w.write(r)
    w.close()
    html = w.stream.getvalue()
    assert len(html.encode()) < 20_000_000
    meta = _flow_data(html)[0]["metadata"]
    assert sum(len(k) + len(v) for k, v in meta.items() if k != "\u2026") <= report.DETAIL_META_CHARS
    assert meta["\u2026"].endswith("more keys not kept")


def test_undecodable_text_is_made_visible_not_fatal():
    """A capture named with bytes that are not UTF-8 (os.fsdecode gives lone surrogates)
    and such text in metadata: the page still encodes as UTF-8, the bytes shown as \\x.."""
    rec = _flow(443, "tls", "match", "tls", meta={"sni": "a\udcffb"})
    rec["capture"] = "cap\udce9.pcap"
    w = HtmlWriter(io.StringIO(), meta={"site_files": ["site\udcff.toml"]})
    w.write(rec)
    w.add_capture("other\udcff.pcap", {"packets": 0}, error="other\udcff.pcap: not a capture")
    w.close()
    html = w.stream.getvalue()
    html.encode("utf-8")
    assert "site\\xdcff.toml" in html and "other\\xdcff.pcap: not a capture" in html
    assert "cap\\xdce9.pcap" in html and _flow_data(html)[0]["metadata"]["sni"] == "a\\xdcffb"


def test_timestamps_beyond_the_calendar_do_not_break_the_report():
    rec = _flow(443, "tls", "match", "tls")
    rec["ts_start"], rec["ts_end"] = 1e300, 1e300
    html = _render([rec, _flow(443, "tls", "match", "tls", i=1)])
    assert "1e+300" in html and _flow_data(html)[1]["ts_start"] == 1e300
