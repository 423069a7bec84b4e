"""POP3 seen from the server's side alone (issue 15, partial flows); the detector's
fixtures and near misses are in fixtures.py and test_negatives.py."""
from __future__ import annotations

from classifier.detectors import pop3
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView


def test_the_server_alone_needs_a_greeting_with_text():
    # a capture of the server's side only: "+OK" and its text is the greeting (RFC 1939
    # 4); a bare "+OK" (Redis's reply to SET) or "-ERR ..." waits for the client's line
    r = pop3.probe(FlowView.tcp(b"", b"+OK POP3 server ready <1896.697170952@dbc.mil>\r\n"), {})
    assert r.outcome == Outcome.MATCH
    for s in (b"+OK\r\n", b"-ERR unknown command 'FOO'\r\n", b"+OK \r\n"):
        assert pop3.probe(FlowView.tcp(b"", s), {}).outcome == Outcome.NEED_MORE
    assert pop3.probe(FlowView.tcp(b"USER bob\r\n", b"+OK\r\n"), {}).outcome == Outcome.MATCH
    assert pop3.probe(FlowView.tcp(b"SET k v\r\n", b"+OK\r\n"), {}).outcome == Outcome.NO_MATCH
