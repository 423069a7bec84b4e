"""The package as a user gets it: `python -m build` makes the sdist and, from that sdist,
the wheel; the wheel goes into a new virtual environment, and `portlens analyze` runs
there from another folder, with the model that ships inside the wheel.

The venv is made without --system-site-packages: pip installs the wheel's declared
dependencies from the package index (a few seconds from pip's cache), so a dependency
missing from pyproject.toml fails here, and nothing of the checkout (nor an editable
install of it in the system site-packages) can stand in for the installed package.

One sdist and one wheel for the whole module; the checks share them. The default run
(`pytest`) builds the sdist and checks what it holds; the wheel's build, its contents
and its install run in the thorough run (`PORTLENS_TESTS=thorough`), which `.ci/run`
runs on this file as its second step: issue 16 asks for this check in CI, and it is a
fifth of the default run's CPU. The source tree is copied first,
with whatever an in-place build left in it (generated C, compiled modules), so that the
build sees what a developer's `python -m build` sees, and the checkout itself gets no
egg-info or build folder from the test.

What it costs, and what was made cheaper without losing a check (the build and install
took 97 s before and 58 s after, each measured on the shared 2-core machine at a load
of 5-6):
- the sdist is made by the setuptools already installed when it is one the
  build-system accepts (`--no-isolation`: making an sdist runs no compiler and no
  Cython; a new venv's setuptools is too old, and then it is built isolated); the wheel is then built from the unpacked
  sdist in an isolated environment holding only pyproject's build requirements, so a
  build dependency missing there still fails here;
- the wheel's C is compiled at -O0 and without debug information (a compiler wrapper
  appends -O0 -g0, and gcc takes the last of each): neither changes anything this
  module checks (the files in the wheel, that the extensions import and analyze from
  the installed package), and the -O3 build itself is what every other test runs (the
  in-place build);
- the venv gets no pip of its own (the running pip installs into it with `--python`)
  and no bytecode compiled at install time (`--no-compile`): the dependencies still
  come from the package index into a venv without system site-packages.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

import pytest

import thorough

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "pcaps", "corpus")
# The model alone labels openvpn-1's flow with default options (the detectors leave it
# unknown); mismatch-ssh-on-443 is the detectors' demo.
ML_CAPTURE = "openvpn-1.pcap"
DPI_CAPTURE = "mismatch-ssh-on-443.pcap"

CYTHON_SOURCES = ["_fastpath/_fastpath.pyx", "_fastpath/flowtypes.pxd", "_fastpath/core.pxi",
                  "classifier/detectors/_fast.pyx", "classifier/detectors/_wire_tls.pxi",
                  "classifier/detectors/tls.pxi",
                  "classifier/_records.pyx", "classifier/ml/_forest.pyx"]
EXTENSIONS = ["classifier/_fastpath", "classifier/detectors/_fast", "classifier/_records",
              "classifier/ml/_forest"]

# The wheel's build (Cython and the C compiler on four modules, in an isolated build
# environment) and its install into a new venv: ~23 s of CPU, a fifth of the whole
# default run. Issue 16 asks for it in CI; `.ci/run` runs this file in its second step
# (PORTLENS_TESTS=thorough), with the fuzz runs. The default `pytest` builds and checks
# the sdist only, which catches a source missing from MANIFEST.in.
def wheel_build(test):
    return pytest.mark.slow(thorough.only("the wheel's build and install into a new venv")(test))


def _env():
    """The environment minus anything that would point Python at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _have_build() -> bool:
    """Whether `python -m build` runs here, asked as the test runs it: in another folder
    without PYTHONPATH (in a checkout, its build/ output folder alone would import as a
    namespace package named build)."""
    p = subprocess.run([sys.executable, "-c", "import build.__main__"], cwd=tempfile.gettempdir(),
                       env=_env(), capture_output=True, timeout=60)
    return p.returncode == 0


def _setuptools_ok() -> bool:
    """Whether the setuptools importable here satisfies pyproject's build-system
    requirement (setuptools>=N), asked as the build would run it."""
    import re
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as fh:
        m = re.search(r'"setuptools>=(\d+)', fh.read())
    need = int(m.group(1)) if m else 0
    p = subprocess.run([sys.executable, "-c", "import setuptools; print(setuptools.__version__)"],
                       cwd=tempfile.gettempdir(), env=_env(), capture_output=True, text=True, timeout=60)
    try:
        return p.returncode == 0 and int(p.stdout.split(".")[0]) >= need
    except ValueError:
        return False


def _run(cmd, cwd, timeout, what, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{what} failed (exit {p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def _ignore(folder, names):
    """What a source tree holds that no build reads: git's store, earlier builds, caches,
    the benchmarks' generated captures, a model copied into the package by a build."""
    skip = {n for n in names if n in (".git", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis")
            or n.endswith(".egg-info")}
    rel = os.path.relpath(folder, ROOT)
    if rel == "bench":
        skip |= {n for n in names if n == "out" or n.endswith((".pcap", ".pcapng"))}
    if rel == "classifier":
        skip |= {"models"} & set(names)
    return skip


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """(sdist path, its folder) of one `python -m build --sdist` of a copy of the checkout."""
    # asked here, not at import: every xdist worker imports this module to collect it
    if not _have_build():
        pytest.skip("the 'build' package is not installed, so `python -m build` cannot run "
                    "(pip install -e '.[dev]' brings it; .ci/run does)")
    top = tmp_path_factory.mktemp("packaging")
    src, dist = top / "src", top / "dist"
    shutil.copytree(ROOT, src, ignore=_ignore, symlinks=True)
    # the installed setuptools makes the sdist when it is one pyproject's build-system
    # accepts (a new venv carries ensurepip's, too old for its license field); else the
    # sdist too is built in an isolated environment
    quick = ["--no-isolation", "--skip-dependency-check"] if _setuptools_ok() else []
    _run([sys.executable, "-m", "build", "--sdist", *quick,
          "--outdir", str(dist), str(src)], top, 600, "python -m build --sdist")
    sdists = sorted(dist.glob("portlens-*.tar.gz"))
    assert len(sdists) == 1, sorted(os.listdir(dist))
    return sdists[0], top


@pytest.fixture(scope="module")
def built(sdist):
    """(sdist path, wheel path, venv directory) of one build and install."""
    sdist_path, top = sdist
    dist, venv = top / "dist", top / "venv"
    # the wheel from the sdist, as `python -m build` makes it (isolated build env)
    unpacked = top / "unpacked"
    with tarfile.open(sdist_path) as tf:
        tf.extractall(unpacked, filter="data")
    (sdist_tree,) = unpacked.iterdir()
    cc = top / "cc-O0"
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc.write_text(f'#!/bin/sh\nexec {compiler} "$@" -O0 -g0\n')
    cc.chmod(0o755)
    env = _env()
    env["CC"] = str(cc)
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(sdist_tree)], top, 1200,
         "python -m build --wheel (from the sdist)", env=env)
    wheels = sorted(dist.glob("portlens-*.whl"))
    assert len(wheels) == 1, sorted(os.listdir(dist))
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], top, 300, "python -m venv")
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
          "--no-compile", "--disable-pip-version-check", str(wheels[0])], top, 900,
         "pip install of the wheel into a new venv")
    return sdist_path, wheels[0], venv


@pytest.fixture
def elsewhere(tmp_path):
    """A folder that is not the checkout, holding two bundled captures."""
    d = tmp_path / "elsewhere"
    d.mkdir()
    for name in (ML_CAPTURE, DPI_CAPTURE):
        shutil.copy(os.path.join(CORPUS, name), d / name)
    return d


def test_sdist_has_the_cython_sources_and_the_model_but_no_generated_c(sdist):
    sdist, _ = sdist
    with tarfile.open(sdist) as tf:
        names = [n.split("/", 1)[1] for n in tf.getnames() if "/" in n]
    for f in CYTHON_SOURCES + ["models/model.bin", "models/manifest.json", "LICENSE", "MANIFEST.in",
                               "setup.py", "pyproject.toml", "classifier/py.typed"]:
        assert f in names, f"{f} missing from {sdist.name}"
    assert not [n for n in names if n.endswith((".c", ".so", ".pyc"))], "build outputs in the sdist"


@wheel_build
def test_wheel_has_the_model_and_data_but_no_c(built):
    _, wheel, _ = built
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("classifier/models/manifest.json"))
        blob = zf.read("classifier/models/model.bin")
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert not [n for n in names if n.endswith((".c", ".pyx", ".pxi", ".pxd"))], "sources in the wheel"
    for f in ("classifier/py.typed", "classifier/_fastpath.pyi", "classifier/ports/iana-ports.json.gz",
              "classifier/output/templates/report.html.j2", "classifier/models/README.md"):
        assert f in names, f"{f} missing from {wheel.name}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no licence file in the wheel"
    for ext in EXTENSIONS:
        assert any(n.startswith(ext + ".") and n.endswith(".so") for n in names), f"{ext} not compiled"
    # the shipped model, unaltered: the same bytes as models/ of the checkout
    assert hashlib.sha256(blob).hexdigest() == manifest["model_sha256"]
    with open(os.path.join(ROOT, "models", "model.bin"), "rb") as fh:
        assert blob == fh.read()
    assert "License-Expression: Apache-2.0" in meta and "Requires-Python: >=3.10" in meta
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    for dep in ("numpy", "scikit-learn"):
        spec = next(line for line in requires if line.split()[1].startswith(dep))
        assert "<" in spec and ">=" in spec, f"{dep} not constrained to a range: {spec}"


@wheel_build
def test_installed_portlens_analyzes_from_another_folder_with_its_model(built, elsewhere):
    _, _, venv = built
    portlens = str(venv / "bin" / "portlens")
    # the default command (table output), as a user types it
    p = _run([portlens, "analyze", ML_CAPTURE], elsewhere, 120, "portlens analyze")
    assert "openvpn" in p.stdout, p.stdout
    # the same analysis as records, to see which stage labelled what
    p = _run([portlens, "analyze", DPI_CAPTURE, ML_CAPTURE, "-f", "jsonl"], elsewhere, 120,
             "portlens analyze -f jsonl")
    recs = [json.loads(line) for line in p.stdout.splitlines()]
    by_capture = {r["capture"].rsplit("/", 1)[-1]: r for r in recs}
    assert by_capture[ML_CAPTURE]["protocol"] == "openvpn" and "ml" in by_capture[ML_CAPTURE]["source"], recs
    ssh = by_capture[DPI_CAPTURE]
    assert (ssh["protocol"], ssh["source"], ssh["verdict"]) == ("ssh", "dpi", "mismatch"), ssh


@wheel_build
def test_installed_library_finds_its_model_through_the_package(built, elsewhere):
    _, _, venv = built
    code = ("import json, classifier\n"
            "from classifier.ml import model\n"
            f"recs = list(classifier.analyze({ML_CAPTURE!r}))\n"
            "print(json.dumps({'package': classifier.__file__, 'model_dir': model.DEFAULT_DIR,\n"
            "                  'labels': [(r['protocol'], r['source']) for r in recs]}))\n")
    p = _run([str(venv / "bin" / "python"), "-c", code], elsewhere, 120, "classifier.analyze()")
    out = json.loads(p.stdout)
    site = os.path.realpath(venv)
    assert os.path.realpath(out["package"]).startswith(site), out    # the installed package, not the checkout
    assert os.path.realpath(out["model_dir"]).startswith(site) and out["model_dir"].endswith(os.path.join("classifier", "models"))
    assert out["labels"] == [["openvpn", "ml"]], out
