"""Partial flows: the fast path's gap rule against a byte-level model of it, checked
with hypothesis, and the packets it counts against the dpkt reference
(tests/dpkt_reference.py); then the HTTP and TLS detectors re-anchoring in mid-stream
bytes, and refusing bytes that do not re-anchor."""
from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from dpkt_reference import reference_flows  # noqa: E402
from pcapgen import eth_wrap, ipv4, tcp, write_pcap  # noqa: E402

from classifier.detectors.base import Outcome  # noqa: E402
from classifier.detectors.engine import Engine  # noqa: E402
from classifier.detectors.flowview import FlowView  # noqa: E402
from classifier.detectors import http, tls  # noqa: E402
from classifier.flows import FlowConfig, FlowReader  # noqa: E402

C, S = "10.0.0.1", "10.0.0.2"
ISN_C, ISN_S = 7000, 90000


def _capture(tmp_path, stream, cuts, lost, acks, budget):
    """A client stream cut at `cuts`, its first `lost` segments missing; with `acks` the
    server acknowledges each data segment seen (cumulatively, as a receiver that got
    the lost ones too).  Returns the capture's path and the offset of the first byte
    the capture holds."""
    bounds = [0] + sorted(set(cuts)) + [len(stream)]
    segs = [(a, stream[a:b]) for a, b in zip(bounds, bounds[1:]) if b > a]
    t = 1.0
    pk = [(t, ipv4(C, S, tcp(40000, 80, "S", ISN_C))),
          (t + 0.001, ipv4(S, C, tcp(80, 40000, "SA", ISN_S, ISN_C + 1)))]
    for i, (off, data) in enumerate(segs):
        t += 0.01
        if i >= lost:
            pk.append((t, ipv4(C, S, tcp(40000, 80, "PA", ISN_C + 1 + off, ISN_S + 1, data))))
        if acks:
            pk.append((t + 0.001, ipv4(S, C, tcp(80, 40000, "A", ISN_S + 1, ISN_C + 1 + off + len(data)))))
    path = tmp_path / "p.pcap"
    write_pcap(path, eth_wrap(pk))
    first = segs[lost][0] if lost < len(segs) else None
    return str(path), first


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=40, max_size=3000).map(lambda b: b * 3), st.lists(st.integers(1, 8999), max_size=12),
       st.integers(0, 3), st.booleans(), st.sampled_from([512, 1024, 4096]))
def test_lost_first_segments_leave_the_bytes_from_the_first_one_seen(tmp_path_factory, stream, cuts, lost,
                                                                     acks, budget):
    tmp_path = tmp_path_factory.mktemp("resync")
    cuts = [c for c in cuts if c < len(stream)]
    path, first = _capture(tmp_path, stream, cuts, lost, acks, budget)
    flows = list(FlowReader(path, FlowConfig(payload_bytes=budget)))
    f, = flows
    if first is None:                           # every data segment lost
        assert f.payload_c2s == b""
    elif first == 0:                            # nothing lost: unchanged
        assert f.payload_c2s == stream[:budget]
        assert "midstream" not in f.stream_flags_c2s
    elif acks:
        # The receiver acknowledged past the hole: resync at once, the budget counts
        # from the first byte seen (the later segments arrive in order).
        assert f.payload_c2s == stream[first:first + budget]
        assert {"midstream", "resynced"} <= set(f.stream_flags_c2s)
    elif first < budget:
        # No acknowledgment past the hole (a retransmission could still come): the
        # segments inside the budget wait as out-of-order ranges, those beyond it are
        # dropped, and at the flow's end the held ones become the beginning.
        assert f.payload_c2s == stream[first:budget]
        assert {"midstream", "resynced"} <= set(f.stream_flags_c2s)
    else:
        assert f.payload_c2s == b"" and "resynced" not in f.stream_flags_c2s
    # The packets each direction counts are the dpkt reference's.
    ref = reference_flows(path)
    (key, counts), = ref.items()
    assert counts == [[f.packets_c2s, f.packets_s2c]]


# ---------------------------------------------------------------- detectors

TLS_APP = bytes.fromhex("1703030010") + bytes(range(16))          # application_data, 16 bytes
TLS_CCS = bytes.fromhex("140303000101")                              # change_cipher_spec


def _ms(c=b"", s=b"", bits=3):
    return FlowView("tcp", c, s, (), (), (), (), bits)


def test_tls_resyncs_after_the_tail_of_a_record():
    # The last 37 bytes of a record in flight, then two whole records and a third cut.
    data = b"\x9a" * 37 + TLS_APP + TLS_APP + TLS_APP[:9]
    r = tls.probe(_ms(s=data, bits=2), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7 and r.metadata["midstream"] is True
    # The same bytes on a direction seen from its start are not TLS.
    assert tls.probe(_ms(s=data, bits=0), {}).outcome == Outcome.NO_MATCH


def test_tls_resync_needs_two_chained_headers_of_one_version():
    one = b"\x00" * 20 + TLS_APP[:5] + b"\x11" * 200           # a header alone: not enough
    mixed = b"\x00" * 20 + TLS_APP + bytes.fromhex("1703010010") + bytes(16)
    for data in (one, mixed):
        assert tls.probe(_ms(c=data, bits=1), {}).outcome != Outcome.MATCH


def test_tls_resync_does_not_override_a_direction_seen_from_its_start():
    # SMTP's greeting from the start, TLS records mid-stream the other way (STARTTLS
    # joined late): not tls.
    r = tls.probe(_ms(c=b"\x00" * 7 + TLS_APP + TLS_CCS + TLS_APP, s=b"220 mail ESMTP\r\n", bits=1), {})
    assert r.outcome == Outcome.NO_MATCH


# A ClientHello record header and the start of its handshake message (type 1).
HELLO_HEAD = bytes.fromhex("1603010030") + b"\x01\x00\x00\x2c" + bytes(44)


def test_tls_that_starts_after_lost_bytes_is_an_upgrade_not_tls():
    # SMTP joined after EHLO was lost: "STARTTLS" then the ClientHello and more records.
    c = b"STARTTLS\r\n" + HELLO_HEAD + bytes.fromhex("1603010010") + bytes(16)
    assert tls.probe(_ms(c=c, bits=1), {}).outcome != Outcome.MATCH
    # A resynced direction (bits 4/8: bytes before it known lost) that starts with a
    # hello: TLS began after other bytes (PostgreSQL's SSLRequest, a CONNECT, ...).
    assert tls.probe(_ms(c=HELLO_HEAD, bits=1 | 4), {}).outcome == Outcome.NO_MATCH
    # Joined without a SYN (bit 1 only), a hello at the start is plain TLS as before.
    assert tls.probe(_ms(c=HELLO_HEAD, bits=1), {}) == tls.probe(FlowView.tcp(HELLO_HEAD), {})


def test_http_resyncs_at_a_status_line_after_body_bytes():
    body_tail = b'x":1}\r\n0\r\n\r\n'
    resp = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"
    r = http.probe(_ms(s=body_tail + resp, bits=2), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7
    assert r.metadata["status"] == 200 and r.metadata["midstream"] is True


def test_http_resyncs_at_a_request_line():
    req = b"GET /a.png HTTP/1.1\r\nHost: x\r\n\r\n"
    r = http.probe(_ms(c=b"\x89PNG\r\n\x1a\nIHDR....\r\n" + req, bits=1), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7 and r.metadata["method"] == "GET"


def test_http_resync_refuses_what_is_not_a_message_start():
    for data in (b"body text mentioning HTTP/1.1 200 OK in a sentence\r\n",   # not at a line start
                 b"xx\r\nHTTP/1.1 2000 OK\r\n\r\n",                        # not a status code
                 b"xx\r\nFETCH / HTTP/1.1\r\n\r\n",                         # not a registered method
                 b"xx\r\nGET a b HTTP/1.1\r\n\r\n"):                        # spaces in the target
        assert http.probe(_ms(s=data, bits=2), {}).outcome != Outcome.MATCH
    # A direction seen from its start that is not HTTP vetoes the other one's resync.
    r = http.probe(_ms(c=b"\x00\x01binary", s=b"..\r\nHTTP/1.1 200 OK\r\n\r\n", bits=2), {})
    assert r.outcome != Outcome.MATCH


def test_engine_offers_mid_stream_flows_to_the_resync_detectors():
    data = b"\x9a" * 37 + TLS_APP + TLS_APP
    assert Engine().classify(_ms(s=data, bits=2)).protocol == "tls"
    assert Engine().classify(_ms(s=data, bits=0)).protocol is None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_random_mid_stream_bytes_are_not_claimed(a, b):
    for probe in (tls.probe, http.probe):
        r = probe(_ms(c=a, s=b, bits=3), {})
        assert r.outcome != Outcome.MATCH


def test_a_flow_whose_every_direction_resynced_goes_to_the_resync_detectors_alone():
    # A reply met in the middle of an SMTP session reads like an FTP greeting; bytes
    # known not to be the stream's start are not offered to detectors that read them
    # as one.  Joined without a SYN (bit 1 only), the flow is classified as before.
    s = b"220 2.0.0 Ready to start TLS\r\n"
    plain = Engine().classify(FlowView.tcp(b"", s))
    assert Engine().classify(_ms(s=s, bits=2)).protocol == plain.protocol
    assert Engine().classify(_ms(s=s, bits=2 | 8)).protocol is None
    # One direction seen from its start: every detector still sees the flow.
    c = b"EHLO mail.example\r\n"
    assert Engine().classify(_ms(c=c, s=s, bits=2 | 8)).protocol == Engine().classify(FlowView.tcp(c, s)).protocol


# ---------------------------------------------------------------- framed protocols (base.resyncing)

def _alicloud(n, fill=b"\xa5"):
    return b"\xce\xfa\xbe\xba" + n.to_bytes(4, "little") + fill * n   # magic, LE body length, body


def test_a_framed_direction_decides_alone_when_the_other_starts_inside_a_message():
    from classifier.detectors import alicloud
    tail = b"\x5a" * 300                                  # the end of a client frame's body
    view = _ms(c=tail, s=_alicloud(48), bits=1 | 2 | 4 | 8)
    r = alicloud.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.protocol == "alicloud"
    assert r.confidence == 0.7 and r.metadata["midstream"] is True
    # the unwrapped probe refuses the flow: the client's bytes break the framing
    assert alicloud.probe.__wrapped__(view, {}).outcome == Outcome.NO_MATCH
    # the engine offers it such a flow whatever its first bytes (spec.resync)
    assert Engine().classify(view).protocol == "alicloud"


def test_a_direction_seen_from_its_start_is_never_left_out():
    from classifier.detectors import alicloud
    tail = b"\x5a" * 300
    # the client was seen from its start (bit 0 clear): its bytes decide, NO
    r = alicloud.probe(_ms(c=tail, s=_alicloud(48), bits=2 | 8), {})
    assert r.outcome != Outcome.MATCH
    # without any mid-stream direction the probe is the plain one
    assert alicloud.probe(FlowView.tcp(tail, _alicloud(48)), {}).outcome == Outcome.NO_MATCH


def test_a_match_where_every_direction_resynced_is_capped_and_a_match_from_the_start_is_not():
    from classifier.detectors import alicloud
    both = (_alicloud(16), _alicloud(32))
    assert alicloud.probe(FlowView.tcp(*both), {}).confidence == 0.95
    r = alicloud.probe(_ms(c=both[0], s=both[1], bits=1 | 2 | 4 | 8), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7 and r.metadata["midstream"]
    # joined without a SYN (no resync bit): offered through its first bytes, as before
    assert alicloud.probe(_ms(c=both[0], s=both[1], bits=1 | 2), {}).confidence == 0.95


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1500), st.binary(max_size=1500))
def test_random_mid_stream_bytes_are_not_claimed_by_the_framed_detectors(a, b):
    from classifier.detectors import alicloud, avast, iec104, iso9506_mms, s7comm
    for mod in (alicloud, avast, iec104, iso9506_mms, s7comm):
        r = mod.probe(_ms(c=a, s=b, bits=15), {})
        assert r.outcome != Outcome.MATCH or r.confidence <= 0.7


def test_sip_over_tcp_resyncs_at_message_starts():
    from classifier.detectors import sip
    c = (b"ACK sip:alice@192.0.2.1:5060 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.2:5060;branch=z9hG4bK1\r\n"
         b"Content-Length: 0\r\n\r\n")
    s = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.2:5060;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"
    view = _ms(c=c, s=s, bits=15)                        # every direction resynced
    assert Engine().classify(view).protocol == "sip"
    r = sip.probe(view, {})
    assert r.confidence == 0.7 and r.metadata["midstream"] is True
    # the client's side starts inside an SDP body: the server's status line decides
    r = sip.probe(_ms(c=b"a=rtpmap:0 PCMU/8000\r\n", s=s, bits=15), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7
    # from the start, as before
    assert sip.probe(FlowView.tcp(c, s), {}).confidence == 1.0


def test_start_anchored_resync_detectors_keep_their_prefilter():
    """A detector made by base.resyncing re-anchors only where a direction's bytes begin,
    so a mid-stream flow is offered to it only when a first byte is one its prefilter
    names (alicloud: 0xce); http and tls, which find a boundary inside the bytes, are
    offered every mid-stream flow."""
    eng = Engine()
    names = lambda cands: {eng.specs[i].name for i in cands}          # noqa: E731
    for resync_only in (False, True):
        other, _ = eng.candidates_for("tcp", [0x17, 0x42], True, resync_only)
        ce, _ = eng.candidates_for("tcp", [0x17, 0xce], True, resync_only)
        assert {"http", "tls"} <= names(other) and "alicloud" not in names(other)
        assert {"http", "tls", "alicloud"} <= names(ce)
        if resync_only:
            assert names(ce) <= {s.name for s in eng.specs if s.resync}
