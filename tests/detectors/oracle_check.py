"""One-off, for the switch from the pure-Python oracle (reference_parsers.py) to the
recorded answers (probe_answers.py): every subject's file computed with the oracle in
place of the compiled code must equal the file computed from the compiled code, line for
line.  Run: PYTHONPATH=. python tests/detectors/oracle_check.py"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import probe_answers as P  # noqa: E402
import reference_parsers as ref  # noqa: E402
from probe_answers import enc, outcome  # noqa: E402


def dns(data):
    out = [enc(ref.parse(data))]
    for m in (ref.parse(data), ref.parse(data[2:])):
        if m is not None and m != ref.MORE_NEEDED:
            out.append([ref.flavour(m), enc(ref.describe(m))])
    return out


def dns_flows(view):
    return enc(outcome(ref._parse_all, view))


def http(data):
    return enc(ref.http_parse(data))


def banner(data):
    out = [[enc(ref.banner_commands(data, limit)), enc(ref.banner_reply_lines(data, limit))] for limit in (1, 8, 32)]
    out.append([enc(ref.banner_commands(bytearray(data))), enc(ref.banner_reply_lines(bytearray(data)))])
    return out


def tls_direction(data):
    return enc(ref.parse_direction(data))


def tls_hello(data):
    bodies = []
    if data[:1] == b"\x16":
        hs = P.handshake_bytes(data)
        if len(hs) >= 4:
            bodies.append(("hs", hs[0], hs[4:]))
    bodies += [(f"@{k}", t, data[k:]) for k in (0, 1, 4, 5, 9, 13) for t in (1, 2)]
    out = {}
    for where, t, body in bodies:
        for dtls in (False, True):
            r = outcome(ref.parse_hello, t, body, dtls)
            if r is not None:
                out[f"{where}/{t}/{'dtls' if dtls else 'tls'}"] = enc(r)
    return out


def smallchat(data):
    return enc(outcome(ref.smallchat_offsets, data))


def radius(data):
    return enc(outcome(ref.radius_parse, data))


def quic_frames(data):
    out = []
    for frames in (data, b"\x06" + data, b"\x00\x00\x01\x02" + data, b"\x03" + data):
        chunks = {}
        r = outcome(ref.quic_crypto_frames, frames, chunks)
        out.append([enc(r) if isinstance(r, type) else None, enc(chunks)])
    return out


ORACLE_PROBES = {n: ref.make_probe(n, c) for n, c in (("mdns", 0.95), ("llmnr", 0.9), ("netbios-ns", 0.95),
                                                        ("dns", 0.9))}
ORACLE_PROBES.update({n: getattr(ref, n.replace("-", "_") + "_probe") for n in (
    "slp stun tls ike rtp smallchat openvpn quic bittorrent memcached dtls radius http http-proxy rtsp sip "
    "wireguard mongodb coap kerberos dhcpv6 tftp ntp dhcp").split()})
assert len(ORACLE_PROBES) == 28


def probes(view):
    real = P.probes
    P.probes = lambda: [(n, ORACLE_PROBES.get(n, p)) for n, p in real()]
    try:
        return P.probes_answer(view)
    finally:
        P.probes = real


def budget(view):
    from classifier.detectors import engine as E
    eng = E.default_engine()
    shape = E._shape(view)
    out = []
    for mb, mp in sorted({(s.max_bytes, s.max_packets) for s in eng.specs}):
        got = ref.budget_view(view, mb, mp, shape)
        out.append("same" if got is view else enc(got))
    return out


def quic_initial(dgrams):
    return enc(outcome(ref.quic_client_hello_meta, dgrams))


def quic_version(v):
    name = ref.quic_version_name(v)
    return "=hex" if name == f"{v:#010x}" else name


def records(path):
    import orjson
    from classifier.flows import FlowReader
    rows = []
    for batch in FlowReader(path).batches():
        for r in ref.batch_records(batch):
            r = dict(r)
            r.pop("capture", None)
            rows.append(orjson.loads(orjson.dumps(r)))
    return rows


ORACLE = {"dns": dns, "dns_flows": dns_flows, "http": http, "banner": banner, "tls_direction": tls_direction,
          "tls_hello": tls_hello, "smallchat_offsets": smallchat, "radius": radius, "quic_frames": quic_frames,
          "probes": probes, "budget": budget, "quic_initial": quic_initial, "quic_version": quic_version,
          "records": records}


if __name__ == "__main__":
    assert set(ORACLE) == set(P.SUBJECTS)
    bad = 0
    for name in P.SUBJECTS:
        recorded = P.read(name)
        compiled = P.compute(name)
        oracle = P.compute(name, ORACLE[name])
        same = recorded == compiled == oracle
        bad += not same
        print(f"{name:18} inputs={len(P.SUBJECTS[name][0]()):5} lines={len(recorded) - 1:5} "
              f"recorded==compiled:{recorded == compiled} compiled==oracle:{compiled == oracle}")
        if compiled != oracle:
            for a, b in zip(compiled, oracle):
                if a != b:
                    print("  compiled:", a[:300], "\n  oracle:  ", b[:300])
                    break
    sys.exit(1 if bad else 0)
