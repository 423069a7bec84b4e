"""The protocol table (classifier/protocols.py) is the one list: the detector list,
the detector modules on disk and the generated docs table must agree with it."""
import os
import pkgutil
import subprocess
import sys

import classifier.detectors as detectors_pkg
from classifier import protocols
from classifier.detectors import detector_list
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
