"""The corpus generator finds its modules by itself (pcaps/gen/__init__.py): adding a
protocol's captures is one module, no list to edit.  These checks hold what discovery
relies on: every module is whole, the capture prefixes do not overlap, and every capture
of the manifest belongs to exactly one module (so `pcaps/generate --only NAME` replaces
exactly its captures, and no numbering depends on the order modules run in)."""
import json
import os
import subprocess
import sys

import pytest

from refdata import ROOT

pytest.importorskip("dpkt")      # the generator's flow reader; the modules import it

PCAPS = os.path.join(ROOT, "pcaps")
sys.path.insert(0, PCAPS)


@pytest.fixture(scope="module")
def gen():
    """pcaps/gen, as pcaps/generate imports it: imported by the tests that read it, not at
    collection (it imports every generator module, ~0.3 s in every xdist worker)."""
    import gen
    return gen

MODULE_FILES = sorted(f[:-3] for f in os.listdir(os.path.join(PCAPS, "gen")) if f.endswith(".py") and f != "__init__.py")
MACHINERY = {"core", "servers", "summary", "house_protocols", "realistic"}   # export none of NAME/PREFIXES/MODES/run


def test_every_module_file_is_a_generator_or_machinery(gen):
    found = {m.__name__.rsplit(".", 1)[1] for m in gen.MODULES}
    assert found | MACHINERY == set(MODULE_FILES), sorted(set(MODULE_FILES) - found - MACHINERY)
    assert not found & MACHINERY


def test_generate_list_is_the_discovered_modules_in_order(gen):
    res = subprocess.run([sys.executable, os.path.join(PCAPS, "generate"), "--list"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    listed = [line.split()[0] for line in res.stdout.splitlines()]
    assert listed == [m.NAME for m in gen.MODULES]
    assert len(set(listed)) == len(listed)
    assert listed[-1] == "mismatch"           # ORDER = 1: the demos run after the protocols
    assert listed[:-1] == sorted(listed[:-1])


def test_module_names_are_their_file_names(gen):
    """`--only NAME` and a module's file are the same word (a contributor types one)."""
    for m in gen.MODULES:
        assert m.__name__.rsplit(".", 1)[1] == m.NAME.replace("-", "_"), m.NAME


def test_prefixes_do_not_overlap(gen):
    owner = {}
    for m in gen.MODULES:
        assert m.PREFIXES and isinstance(m.PREFIXES, tuple), m.NAME
        for p in m.PREFIXES:
            assert p not in owner, (p, owner.get(p), m.NAME)
            owner[p] = m.NAME


def test_every_capture_has_exactly_one_owner(gen):
    """pcaps/generate's rule (gen.owns): a module owns `<prefix>-<n>.pcap`.  The rule used
    to be "starts with `<prefix>-`", which gave automation's mqtt-sn captures to mqtt too:
    `--only mqtt` dropped their manifest lines and left the files."""
    with open(os.path.join(PCAPS, "corpus", "manifest.jsonl")) as fh:
        captures = {json.loads(line)["capture"] for line in fh if line.strip()}
    bad = {}
    for cap in sorted(captures):
        owners = [m.NAME for m in gen.MODULES if gen.owns(m, cap)]
        if len(owners) != 1:
            bad[cap] = owners
    assert not bad, bad


def test_a_half_written_module_is_an_error(tmp_path):
    """A module with NAME but no run() must fail loudly, not be skipped."""
    pkg = tmp_path / "genx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(open(os.path.join(PCAPS, "gen", "__init__.py")).read())
    (pkg / "whole.py").write_text('NAME = "whole"\nPREFIXES = ("whole",)\nMODES = ("random",)\ndef run(ctx): pass\n')
    (pkg / "helper.py").write_text("X = 1\n")
    code = "import genx; print([m.NAME for m in genx.MODULES])"
    ok = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.strip() == "['whole']", ok.stderr
    (pkg / "half.py").write_text('NAME = "half"\nPREFIXES = ("half",)\n')
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode != 0 and "half.py exports NAME, PREFIXES but not MODES, run" in bad.stderr


@pytest.mark.parametrize("kind", ["GEN_REAL", "GEN_SPEC"])
def test_the_scaffold_s_generator_templates_are_discovered(tmp_path, kind):
    """tools/new_protocol.py --capture real|spec writes a module discovery accepts as is
    (its TODOs fail at run time, in pcaps/generate, not at import)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import new_protocol
    pkg = tmp_path / "genx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(open(os.path.join(PCAPS, "gen", "__init__.py")).read())
    (pkg / "core.py").write_text("def cmd(argv): return ''\ndef deb_version(p): return '0'\n")
    text = getattr(new_protocol, kind).format(name="new-proto", module="new_proto", title="NEW",
                                               transport="tcp", port=4242, modes='("random", "iana")')
    (pkg / "new_proto.py").write_text(text)
    code = "import genx; print([(m.NAME, m.PREFIXES, m.MODES, m.IANA_PORT) for m in genx.MODULES])"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[('new_proto', ('new-proto',), ('random', 'iana'), 4242)]"


def test_install_lists_include_the_modules_own_packages(gen):
    """A module's DEBIAN_PACKAGES / PYPI_PACKAGES join pcaps/generate --install's lists
    (read without importing the modules), so a new package edits no shared list."""
    import importlib.util
    from importlib.machinery import SourceFileLoader
    loader = SourceFileLoader("pcaps_generate", os.path.join(PCAPS, "generate"))
    script = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(script)
    for m in gen.MODULES:
        assert set(getattr(m, "DEBIAN_PACKAGES", ())) <= set(script.DEBIAN_PACKAGES), m.NAME
        assert set(getattr(m, "PYPI_PACKAGES", ())) <= set(script.PYPI_PACKAGES), m.NAME
    assert len(set(script.DEBIAN_PACKAGES)) == len(script.DEBIAN_PACKAGES)
