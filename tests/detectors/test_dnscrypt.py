"""DNSCrypt v2 (dnscrypt.info protocol specification): the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "dnscrypt")

NONCE = bytes(range(12))                                            # the client's half nonce
QUERY = (bytes.fromhex("8c68c3cee03039ba")                         # client-magic (the certificate's)
         + bytes(range(100, 132))                                   # client public key
         + NONCE + bytes(16 + 256))                                 # MAC + padded encrypted query
ANSWER = (b"r6fnvWj8"                                               # resolver-magic
          + NONCE + bytes(range(50, 62))                            # client nonce, resolver nonce
          + bytes(16 + 128))                                        # MAC + padded encrypted answer
# pcaps/corpus/dnscrypt-1.pcap (spec-built, random ciphertext): a query and its answer.
FX = Fx("dnscrypt-query", "dnscrypt", FlowView.udp([QUERY], [ANSWER]), first="c",
        meta={"client_magic": "8c68c3cee03039ba"}, trunc=FlowView.udp([QUERY]))


@pytest.mark.parametrize("view", [
    FlowView.udp([QUERY], [b"r6fnvWj9" + ANSWER[8:]]),   # not the resolver magic
    FlowView.udp([QUERY], [ANSWER[:8] + bytes(12) + ANSWER[20:]]),   # the nonce does not echo the query's
    FlowView.udp([QUERY], [ANSWER[:40]]),   # too short for an encrypted answer
    FlowView.udp([QUERY[:30]], [ANSWER]),   # a query too short to hold its header
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "dnscrypt")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_tcp_length_prefixed():
    v = FlowView.tcp(struct.pack(">H", len(QUERY)) + QUERY, struct.pack(">H", len(ANSWER)) + ANSWER)
    assert SPEC.probe(v, {}).outcome == Outcome.MATCH


def test_the_answer_alone_is_weaker():
    r = SPEC.probe(FlowView.udp([], [ANSWER]), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.95


def test_the_resolver_side_alone_taken_for_the_client():
    # a capture of the resolver's side only: its first sender is taken for the client,
    # so the answers arrive as the client's datagrams; the resolver magic decides
    r = SPEC.probe(FlowView.udp([ANSWER, ANSWER]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.85
    assert SPEC.probe(FlowView.udp([ANSWER[:40]]), {}).outcome == Outcome.NO_MATCH
    assert SPEC.probe(FlowView.udp([b"r6fnvWj9" + ANSWER[8:]]), {}).outcome != Outcome.MATCH
