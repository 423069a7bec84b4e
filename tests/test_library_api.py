"""The library's surface for an engineer embedding portlens: what dir() shows, one file
given where a list of files is taken, and errors that name every valid value."""
from __future__ import annotations

import os
import pathlib

import pytest

import classifier
from classifier._paths import as_paths
from classifier.ml.combine import MODES, MLStage
from classifier.ml.model import load
from classifier.ports import load_registry
from refdata import CORPUS_DIR

SMTP_8080 = os.path.join(CORPUS_DIR, "corpus", "mismatch-smtp-on-8080.pcap")
SSH_443 = os.path.join(CORPUS_DIR, "corpus", "mismatch-ssh-on-443.pcap")
SITE = '[[port]]\nport = "8080/tcp"\nprotocol = "smtp"\nservice = "relay"\n'


def test_dir_lists_the_lazily_imported_public_names():
    names = dir(classifier)
    for name in classifier.__all__:
        assert name in names, name
        assert getattr(classifier, name) is not None
    assert {"analyze", "Analyzer", "FlowReader", "FlowConfig", "read_flows"} <= set(names)
    assert names == sorted(names)


def test_as_paths_takes_one_path_or_several():
    assert as_paths("site.toml") == ("site.toml",)
    assert as_paths(pathlib.Path("a/b.toml")) == ("a/b.toml",)
    assert as_paths(b"x.toml") == ("x.toml",)
    assert as_paths(["a", pathlib.Path("b")]) == ("a", "b")
    assert as_paths(("a",)) == ("a",) and as_paths(None) == () and as_paths([]) == ()
    with pytest.raises(TypeError, match="site_ports: expected a path or a list of paths, not int"):
        as_paths(5, "site_ports")
    with pytest.raises(TypeError, match="item of type int"):
        as_paths(["a", 5], "site_ports")


def test_site_ports_given_as_one_string(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(SITE)
    (plain,) = classifier.analyze(SMTP_8080)
    (as_list,) = classifier.analyze(SMTP_8080, site_ports=[str(site)])
    (as_str,) = classifier.analyze(SMTP_8080, site_ports=str(site))
    (as_path,) = classifier.analyze(SMTP_8080, site_ports=site)
    assert plain["verdict"] == "mismatch"                        # without the site file
    for rec in (as_list, as_str, as_path):
        assert (rec["verdict"], rec["port_service"]) == ("match", "relay")
    analyzer = classifier.Analyzer.from_options(ml="off", site_ports=str(site))
    assert analyzer.registry.site_files == [str(site)]
    assert load_registry(str(site)).site_files == load_registry([str(site)]).site_files == [str(site)]


def test_analyze_takes_one_capture_or_a_list():
    one = list(classifier.analyze(SSH_443))
    assert [r["protocol"] for r in one] == ["ssh"]
    both = list(classifier.analyze([SMTP_8080, pathlib.Path(SSH_443)]))
    assert [(os.path.basename(r["capture"]), r["protocol"]) for r in both] == [
        ("mismatch-smtp-on-8080.pcap", "smtp"), ("mismatch-ssh-on-443.pcap", "ssh")]
    with pytest.raises(ValueError, match="no capture given"):
        list(classifier.analyze([]))
    with pytest.raises(TypeError, match="path: expected a path or a list of paths"):
        list(classifier.analyze(42))


def test_a_bad_ml_mode_names_every_valid_one(tmp_path):
    assert MODES == ("off", "fallback", "all")
    # checked before the model is loaded: the model path here does not exist
    with pytest.raises(ValueError) as e:
        classifier.Analyzer.from_options(ml="bogus", model=str(tmp_path / "nowhere"))
    assert "'bogus'" in str(e.value) and all(m in str(e.value) for m in MODES)
    with pytest.raises(ValueError) as e:
        list(classifier.analyze(SSH_443, ml="Fallback"))
    assert all(m in str(e.value) for m in MODES)
    model = load()
    with pytest.raises(ValueError) as e:
        MLStage(model, "bogus")
    assert all(m in str(e.value) for m in MODES)
    with pytest.raises(ValueError, match="ml=None"):
        MLStage(model, "off")
