"""The protocol table (classifier/protocols.py) is the one list: the detector list,
the detector modules on disk and the generated docs table must agree with it."""
import os
import pkgutil
import subprocess
import sys

import classifier.detectors as detectors_pkg
from classifier import protocols
from classifier.detectors import detector_list
from clirun import portlens
from refdata import ROOT

# Modules of classifier/detectors/ that are machinery, not a protocol's detector.
NOT_DETECTORS = {"base", "engine", "flowview", "detector_list", "rules"}   # rules: specs from TOML


def test_detector_list_follows_the_table():
    assert [s.name for s in detector_list.SPECS] == list(protocols.NAMES)
    for spec, row in zip(detector_list.SPECS, protocols.TABLE):
        assert set(spec.transports) == set(row.transports), (row.name, spec.transports, row.transports)


def test_every_detector_module_has_a_row():
    on_disk = {m.name for m in pkgutil.iter_modules(detectors_pkg.__path__)
               if not m.name.startswith("_") and m.name not in NOT_DETECTORS}
    named = {p.module_name for p in protocols.TABLE}
    assert on_disk == named, {"no row": sorted(on_disk - named), "no module": sorted(named - on_disk)}


def test_rows_are_well_formed():
    assert len(set(protocols.NAMES)) == len(protocols.NAMES)
    for p in protocols.TABLE:
        assert p.name == p.name.lower() and " " not in p.name, p.name
        assert p.transports and set(p.transports) <= {"tcp", "udp"}, p.name
        assert set(p.compatible) <= set(protocols.NAMES), p.name
        assert p.metadata and "TODO" not in p.metadata, f"{p.name}: say which metadata keys the detector reports"
        for alias in p.iana:
            service, ts = protocols.split_alias(alias)
            assert service and service == service.lower(), alias
            assert not ts or set(ts) <= {"tcp", "udp", "sctp", "dccp"}, alias
    # compatibility goes both ways inside the DNS family and smb/netbios-ssn
    comp = protocols.compatible()
    for a, accepted in comp.items():
        for b in accepted - {a}:
            if b in comp and a not in ("http", "rtp"):
                assert a in comp[b], (a, b)


def test_docs_table_is_generated_from_the_table():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "protocol_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _protocols_cmd(*args):
    return portlens("protocols", *args, text=True, cwd=ROOT)


def test_protocols_command_prints_the_table():
    """`portlens protocols` lists every row, in order; markdown is docs/protocols.md's table."""
    r = _protocols_cmd()
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in r.stdout.splitlines()[1:-1]]
    assert names == list(protocols.NAMES)
    assert r.stdout.splitlines()[-1] == f"({len(protocols.NAMES)} protocols)"
    md = _protocols_cmd("-f", "markdown")
    docs = open(os.path.join(ROOT, "docs", "protocols.md")).read()
    assert md.stdout in docs and md.stdout.count("\n") == len(protocols.NAMES) + 2
    import json
    rows = [json.loads(x) for x in _protocols_cmd("-f", "jsonl", "--transport", "udp").stdout.splitlines()]
    assert [x["protocol"] for x in rows] == [p.name for p in protocols.TABLE if "udp" in p.transports]
    assert all("udp" in x["transports"] for x in rows) and rows


def test_protocols_command_rejects_an_unknown_name():
    r = _protocols_cmd("dns", "no-such-protocol")
    assert r.returncode == 1
    assert r.stdout.splitlines()[1].split()[0] == "dns"   # the known one is still printed
    assert r.stderr.strip() == ("portlens: error: protocols: 'no-such-protocol' is not a protocol "
                                "portlens detects (`portlens protocols` lists them)")


def test_names_fit_the_table_column():
    """The table format's PROTOCOL column is 12 wide and never cut (a model-only label
    adds '?'): every canonical name has at most 11 characters, as the scaffold enforces."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import new_protocol
    from classifier.output.table import Column  # noqa: F401  (the column lives there)
    assert new_protocol.MAX_NAME == 11
    assert [n for n in protocols.NAMES if len(n) > new_protocol.MAX_NAME] == []
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "new_protocol.py"), "abcdefghijkl",
                        "--transport", "udp"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "at most 11 characters" in r.stderr
