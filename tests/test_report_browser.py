"""The HTML report in a real browser (headless Chromium over the DevTools protocol,
tests/cdp.py, one browser for the module): the matrix and attacker text as rendered,
a screenshot, its script runs without errors and fetches nothing, a header click sorts
(numbers as numbers), the filters hide rows, a click on a flow opens every field of its
record, model-only labels carry their style, crafted capture text stays text, and a
large matrix scrolls inside its own box instead of widening the page."""
import base64
import io
import json
import os
import re

import pytest

from cdp import CHROMIUM, Browser
from classifier.output.report import HtmlWriter
from clirun import portlens
from refdata import CORPUS_DIR
from test_report_html import CRAFTED_SNI, _flow, write_report

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

CORPUS = os.path.join(CORPUS_DIR, "corpus")

# Server ports whose text order (22, 28700, 443, 53, 80, 8080) is not their numeric order.
RECORDS = [
    _flow(53, "http", "mismatch", "dns", i=0, meta={"host": "mis.example", "user_agent": "curl/8"}),
    _flow(443, "tls", "match", "tls", i=1, meta={"sni": CRAFTED_SNI}),
    _flow(53, "dns", "match", "dns", transport="udp", i=2, meta={"qname": "www.example.org"}),
    _flow(28700, "openvpn", "unregistered-port", None, transport="udp", source="ml", i=3),
    _flow(8080, "http", "match", "http", i=4, meta={"host": "alt.example"}),
    _flow(22, "ssh", "match", "ssh", i=5, meta={"client_banner": "SSH-2.0-OpenSSH_9.2"}),
    _flow(80, "tls", "mismatch", "http", i=6, meta={"sni": "odd.example"}),
]


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def report_url(tmp_path_factory):
    w = HtmlWriter(io.StringIO())
    for r in RECORDS:
        w.write(r)
    w.close()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(w.stream.getvalue(), encoding="utf-8")
    return path.as_uri()


@pytest.fixture
def page(browser, report_url):
    p = browser.open(report_url)
    yield p
    assert p.errors == []               # no test may leave a script error behind


ROWS = "[...document.querySelectorAll('#flow-table tbody tr')]"
VISIBLE = ROWS + ".filter(r => !r.hidden)"


def column(page, name):
    """The text of column `name` of the flows table, rows in page order (visible ones)."""
    return page.eval(f"""(() => {{
        const i = [...document.querySelectorAll('#flow-table thead th')].findIndex(
            th => th.textContent.trim() === {json.dumps(name)});
        return {VISIBLE}.map(r => r.cells[i].textContent.trim());
    }})()""")


def header(name):
    return f"#flow-table thead th:nth-child({HEADERS.index(name) + 1})"


HEADERS = ["#", "start (UTC)", "transport", "client", "server", "port", "protocol", "port implies",
           "verdict", "packets", "bytes", "SNI, Host, \u2026"]


def test_the_rendered_report_has_the_matrix_keeps_attacker_text_as_text_and_paints(browser, tmp_path):
    """`portlens analyze -f html` of the demo captures and a crafted one, after parsing,
    scripts and layout in the browser (the DOM the browser ends with, not the file)."""
    page = browser.open(write_report(tmp_path).as_uri())
    assert page.errors == []
    dom = page.eval("document.documentElement.outerHTML")
    m = re.search(r'<table class="matrix" id="matrix">(.*?)</table>', dom, re.S)
    assert m, dom[:2000]
    matrix = m.group(1)
    assert matrix.count('scope="row"') >= 4
    assert re.search(r'class="c v-mismatch[ "]', matrix) and re.search(r'class="c v-match[ "]', matrix)
    # The injected markup stayed text: only the report's two script elements, the title untouched.
    assert dom.count("<script") == 2 and "pwned" not in page.eval("document.title")
    assert "&lt;script&gt;document.title" in dom
    # It paints: a 1400x1000 screenshot of the page (a PNG of real content, not a blank one).
    page.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                     "mobile": False})
    png = base64.b64decode(page.send("Page.captureScreenshot", {"format": "png"})["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, len(png)


def test_page_runs_its_script_without_errors_and_fetches_nothing(page, report_url):
    assert page.errors == []
    # The script ran (the CSP hash matched): it made the headers sortable and counted rows.
    assert page.eval("document.querySelectorAll('th.sort').length") >= len(HEADERS)
    assert page.eval("document.getElementById('flow-count').textContent") == "7 of 7 listed flows shown"
    assert page.eval("[...document.querySelectorAll('#flow-table thead th')].map(t => t.textContent.trim())") == HEADERS
    page.click("#flow-table tbody tr")
    assert page.requests == [report_url]            # the file itself, nothing else


def test_header_click_sorts_numbers_as_numbers_and_toggles(page):
    assert column(page, "verdict")[:2] == ["mismatch", "mismatch"]     # mismatches first
    page.click(header("port"))
    assert column(page, "port") == ["22", "53", "53", "80", "443", "8080", "28700"]
    assert page.eval("document.querySelector('%s').getAttribute('aria-sort')" % header("port")) == "ascending"
    page.click(header("port"))
    assert column(page, "port") == ["28700", "8080", "443", "80", "53", "53", "22"]
    page.click(header("protocol"))
    assert column(page, "protocol") == sorted(column(page, "protocol"))
    assert column(page, "protocol")[0] == "dns"
    page.click(header("#"))
    assert column(page, "#") == ["1", "2", "3", "4", "5", "6", "7"]


def test_filters_hide_rows(page):
    page.type("#flow-filter", "example")
    assert column(page, "#") == ["1", "2", "5", "6"]     # the records with an example name in their metadata
    page.type("#flow-filter", ".org")
    assert column(page, "SNI, Host, \u2026") == ["qname=www.example.org"]
    assert page.eval("document.getElementById('flow-count').textContent") == "1 of 7 listed flows shown"
    page.eval("const f = document.getElementById('flow-filter'); f.value = ''; f.dispatchEvent(new Event('input'))")
    assert len(column(page, "#")) == 7
    page.eval("""const s = document.getElementById('flow-verdict'); s.value = 'mismatch';
                 s.dispatchEvent(new Event('change'))""")
    assert column(page, "verdict") == ["mismatch", "mismatch"]
    page.eval("""const p = document.getElementById('flow-protocol'); p.value = 'tls';
                 p.dispatchEvent(new Event('change'))""")
    assert column(page, "port") == ["80"]
    page.eval("""for (const id of ['flow-verdict', 'flow-protocol']) {
                   const e = document.getElementById(id); e.value = ''; e.dispatchEvent(new Event('change')); }""")
    page.click("#flow-ml")
    assert column(page, "protocol") == ["openvpnml"]         # the label and its marker


def test_matrix_cell_and_mismatch_row_list_their_flows(page):
    page.click('#matrix td[data-r="dns"][data-c="http"]')
    assert column(page, "port") == ["53"] and column(page, "protocol") == ["http"]
    assert page.eval("document.getElementById('flow-pair-text').textContent") == "port implies dns \u00d7 payload is http"
    page.click("#flow-pair-clear")
    assert len(column(page, "#")) == 7 and page.eval("document.getElementById('flow-pair').hidden") is True
    page.click('#mismatch-table tbody tr[data-r="http"][data-c="tls"]')
    assert column(page, "port") == ["80"] and column(page, "verdict") == ["mismatch"]
    page.click('#matrix td[data-r="dns"][data-c="dns"]')          # a match cell: the DNS flow on 53/udp
    assert column(page, "SNI, Host, \u2026") == ["qname=www.example.org"]


def test_row_click_shows_every_field_of_the_flow(page):
    assert page.eval("document.getElementById('flow-detail').hidden") is True
    page.click("#flow-table tbody tr:nth-child(1)")
    assert page.eval("document.getElementById('flow-detail').hidden") is False
    assert page.eval("getComputedStyle(document.getElementById('flow-detail')).display") != "none"
    fields = dict(page.eval("""[...document.querySelectorAll('#flow-detail-fields dt')].map(
        dt => [dt.textContent, dt.nextElementSibling.textContent])"""))
    assert fields["server_port"] == "53" and fields["client"] == "10.0.0.1" and fields["client_port"] == "40000"
    assert fields["verdict"] == "mismatch" and fields["port_protocol"] == "dns"
    assert fields["verdict_reason"] == "53/tcp implies dns; payload is http"
    assert fields["metadata.host"] == "mis.example" and fields["metadata.user_agent"] == "curl/8"
    assert fields["source"] == "dpi" and fields["confidence"] == "1"
    assert fields["packets_c2s"] == "3" and fields["bytes_c2s"] == "100" and fields["payload.notes"] == "gap"
    assert fields["ts_start"].startswith("1970-01-01 00:01:40.000 UTC")
    assert page.eval("document.getElementById('flow-detail-title').textContent") == \
        "10.0.0.1:40000 \u2192 192.0.2.1:53 tcp"
    assert page.eval("document.querySelector('#flow-table tbody tr.selected').dataset.i") == "0"
    page.click("#flow-detail-close")
    assert page.eval("document.getElementById('flow-detail').hidden") is True


def test_model_only_label_carries_its_style(page):
    label = "#flow-table tbody tr[data-ml] td span.ml"
    assert page.eval(f"document.querySelectorAll('{label}').length") == 1
    assert page.eval(f"document.querySelector('{label}').textContent") == "openvpnml"
    assert page.eval(f"getComputedStyle(document.querySelector('{label}')).fontStyle") == "italic"
    plain = "#flow-table tbody tr:not([data-ml]) td:nth-child(7)"
    assert page.eval(f"getComputedStyle(document.querySelector('{plain}')).fontStyle") == "normal"
    cell = "#matrix td.c.ml"
    assert page.eval(f"document.querySelectorAll('{cell}').length") == 1
    assert page.eval(f"getComputedStyle(document.querySelector('{cell}')).outlineStyle") == "dashed"
    page.click("#flow-table tbody tr[data-ml]")
    assert page.eval("document.querySelector('#flow-detail-fields dd.ml').textContent").startswith("ml (the model alone")


def test_crafted_sni_stays_text(page):
    assert page.eval("document.title") == "portlens report"
    assert page.eval("document.scripts.length") == 2
    page.click("#flow-table tbody tr[data-p=tls][data-v=match]")
    sni = page.eval("""[...document.querySelectorAll('#flow-detail-fields dt')]
        .find(dt => dt.textContent === 'metadata.sni').nextElementSibling.textContent""")
    assert sni == CRAFTED_SNI
    assert page.eval("document.title") == "portlens report" and page.eval("document.scripts.length") == 2


def test_large_matrix_scrolls_in_its_box(browser, tmp_path):
    w = HtmlWriter(io.StringIO())
    for i in range(45):                 # 45 x 45 protocols: more than the 40 rows and columns drawn
        for j in range(45):
            if (i + j) % 3 == 0:
                w.write(_flow(1000 + i, f"observed-protocol-{j:02d}", "mismatch" if i != j else "match",
                              f"implied-protocol-{i:02d}", i=i * 45 + j))
    w.close()
    path = tmp_path / "big.html"
    path.write_text(w.stream.getvalue(), encoding="utf-8")
    page = browser.open(path.as_uri())
    assert page.errors == []
    assert page.eval("document.querySelectorAll('#matrix th.col').length") == 41          # 40 + "(other)"
    # The page is no wider than the window; the matrix box scrolls both ways.
    assert page.eval("document.documentElement.scrollWidth <= window.innerWidth")
    wrap = "document.getElementById('matrix-wrap')"
    assert page.eval(f"{wrap}.scrollWidth > {wrap}.clientWidth && {wrap}.scrollHeight > {wrap}.clientHeight")
    # Scrolled down and right, the column and row headers stay in view (sticky).
    page.eval(f"{wrap}.scrollTop = 400; {wrap}.scrollLeft = 600")
    top = page.eval(f"{wrap}.getBoundingClientRect().top + {wrap}.clientTop")
    left = page.eval(f"{wrap}.getBoundingClientRect().left + {wrap}.clientLeft")
    assert abs(page.eval("document.querySelector('#matrix thead th.col').getBoundingClientRect().top") - top) < 2
    assert abs(page.eval("document.querySelector('#matrix tbody th.row').getBoundingClientRect().left") - left) < 2


def test_cli_report_works_in_the_browser(browser, tmp_path):
    """The real path: `portlens analyze -f html` on captures, then a click in Chromium."""
    out = tmp_path / "r.html"
    files = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.startswith("mismatch-"))
    res = portlens("analyze", *files, "-f", "html", "-o", str(out), "-q", timeout=120)
    assert res.returncode == 0, res.stderr
    page = browser.open(out.as_uri())
    assert page.errors == []
    n = page.eval(f"{ROWS}.length")
    assert n == len(files) and page.eval(f"{ROWS}.every(r => r.dataset.v === 'mismatch')")
    page.click("#flow-table tbody tr:last-child")
    fields = page.eval("[...document.querySelectorAll('#flow-detail-fields dt')].map(dt => dt.textContent)")
    assert {"capture", "server_port", "verdict_reason", "port_protocol", "source"} <= set(fields)
    # In a narrow window every wide table scrolls in its own box; the page keeps the width.
    page.send("Emulation.setDeviceMetricsOverride", {"width": 760, "height": 900, "deviceScaleFactor": 1,
                                                     "mobile": False})
    assert page.eval("document.documentElement.scrollWidth <= window.innerWidth")
