"""WebSocket framing (RFC 6455 5) seen midstream: the detector on its fixture (commented
field by field): positive with metadata, truncated -> NEED_MORE, fed in fragments -> the
same outcome, near misses, and no other detector claims it (nor it another protocol's
fixture).

The fixture is shaped like ndpi-dev's websocket.pcap (a chat server's text frames and a
browser's masked ones, text of our own).  The captures come from the `websockets`
library on both sides (pcaps/gen/websocket.py): each session captured whole and then cut
after its opening handshake, as a sensor that joined late sees it (websocket-1.pcap
compressed, -2 plain text and binary); websocket-3.pcap also holds a session from its
start, which is `http` with `upgrade` metadata."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "websocket")



def masked(op: int, text: bytes, key: bytes = bytes.fromhex("e17e8eb9")) -> bytes:
    """A client's frame: FIN + opcode, MASK + length, the key, the masked payload."""
    assert len(text) < 126
    return bytes((0x80 | op, 0x80 | len(text))) + key + bytes(c ^ key[i & 3] for i, c in enumerate(text))


def plain(op: int, text: bytes) -> bytes:
    """A server's frame: FIN + opcode, length (no MASK bit), the payload."""
    assert len(text) < 126
    return bytes((0x80 | op, len(text))) + text


SERVER = (hx("81 17") + b"Welcome, 192.168.43.1 !"    # FIN text frame, 23 bytes, unmasked
          + plain(1, b"21:33:52 someone say: test message")
          + plain(1, b"21:34:53 someone say: hello websocket"))
CLIENT = (hx("81 8c", "e17e8eb9")                     # FIN text, MASK + 12 bytes, masking key
          + bytes(c ^ b"\xe1\x7e\x8e\xb9"[i & 3] for i, c in enumerate(b"test message"))
          + masked(1, b"hello websocket"))
# midstream the first sender is the WebSocket server here, as in websocket.pcap
FX = Fx("websocket-midstream", "websocket", FlowView.tcp(SERVER, CLIENT), first="c",
        meta={"client_side": "s2c", "frames": 5, "text": True})


def test_client_first():
    r = SPEC.probe(FlowView.tcp(CLIENT, SERVER), {})
    assert r.outcome == Outcome.MATCH and r.metadata["client_side"] == "c2s"


def test_one_direction_waits():
    assert SPEC.probe(FlowView.tcp(SERVER), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(SERVER, SERVER),                           # neither side masks
    FlowView.tcp(CLIENT, CLIENT),                           # both sides mask
    FlowView.tcp(SERVER, CLIENT + plain(1, b"x")),          # one side masks some frames only
    FlowView.tcp(SERVER[:-1] + b"\xff", CLIENT),            # a text frame that is not UTF-8
    FlowView.tcp(SERVER, hx("89 fe 0080 00000000") + bytes(128)),  # a ping longer than 125
    FlowView.tcp(hx("80 03") + b"abc" + SERVER, CLIENT),    # opens with a continuation frame
    FlowView.tcp(hx("b1 03") + b"abc" + SERVER, CLIENT),    # RSV2 and RSV3 set
    FlowView.tcp(hx("82 7e 0003") + b"abc", CLIENT),        # a 16-bit length for 3 bytes
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "websocket")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
