"""Build the Cython fast path as the extension module ``classifier._fastpath``.

Its sources live in ``_fastpath/`` (one .pyx, the .pxd of shared C structs and the
.pxi stages it includes); metadata is in pyproject.toml.

Two build steps of our own:

* `build_ext` runs Cython when the extensions are built, not when setup.py is read, so
  `python -m build --sdist` never generates C: the sdist carries the .pyx/.pxd/.pxi
  sources (MANIFEST.in) and every wheel is compiled from them.
* `build_py` copies the shipped model, the top-level ``models/`` directory (where
  `portlens train` writes it in a checkout), into the package as ``classifier/models/``,
  where an installed portlens finds it through importlib.resources. An editable install
  reads ``models/`` of its checkout instead (classifier/ml/model.py).
"""
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext
from setuptools.command.build_py import build_py as _build_py

HERE = os.path.dirname(os.path.abspath(__file__))
DEPENDS = [os.path.join("_fastpath", f) for f in sorted(os.listdir(os.path.join(HERE, "_fastpath")))
           if f.endswith((".pxi", ".pxd"))]

extensions = [
    Extension(
        "classifier._fastpath",
        sources=["_fastpath/_fastpath.pyx"],
        depends=DEPENDS,
        include_dirs=["_fastpath"],
        # -O3 and no semantic interposition let the per-packet functions inline.
        extra_compile_args=["-O3", "-fno-semantic-interposition", "-Wno-unused-function"],
    ),
    # The payload detectors' compiled engine loop and hot parsers (_fast.pyx and the
    # .pxi files it includes: one per protocol, the shared _wire_*.pxi readers); the output
    # records of classifier/schema.py.
    Extension(
        "classifier.detectors._fast",
        sources=["classifier/detectors/_fast.pyx"],
        depends=[os.path.join("classifier", "detectors", f)
                 for f in sorted(os.listdir(os.path.join(HERE, "classifier", "detectors")))
                 if f.endswith(".pxi")],
        extra_compile_args=["-O3", "-Wno-unused-function"],
    ),
    Extension(
        "classifier._records",
        sources=["classifier/_records.pyx"],
        extra_compile_args=["-O3", "-Wno-unused-function"],
    ),
    # The model's tree walk (so analyze never imports scikit-learn: 1.3 s and ~100 MiB).
    Extension(
        "classifier.ml._forest",
        sources=["classifier/ml/_forest.pyx"],
        extra_compile_args=["-O3"],
    ),
]

MODEL_DIR = "models"
MODEL_FILES = ("manifest.json", "model.bin", "README.md")


class build_ext(_build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:             # the four modules compile side by side
            self.parallel = os.cpu_count() or 1

    def run(self):
        from Cython.Build import cythonize
        generated = cythonize(
            self.extensions,
            compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False,
                                 "cdivision": True, "initializedcheck": False},
            include_path=["_fastpath"],
        )
        # The C sources into the Extension objects setuptools has already prepared.
        c_sources = {ext.name: ext.sources for ext in generated}
        for ext in self.extensions:
            ext.sources = c_sources[ext.name]
        super().run()


class build_py(_build_py):
    def _model_targets(self):
        dst = os.path.join(self.build_lib, "classifier", MODEL_DIR)
        return [(os.path.join(MODEL_DIR, f), os.path.join(dst, f)) for f in MODEL_FILES]

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return                            # the checkout's models/ is read in place
        for src, dst in self._model_targets():
            # A missing model fails the build: a wheel without it cannot analyze.
            self.mkpath(os.path.dirname(dst))
            self.copy_file(src, dst)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not getattr(self, "editable_mode", False):
            outputs += [dst for _, dst in self._model_targets()]
        return outputs


setup(
    ext_modules=extensions,
    cmdclass={"build_ext": build_ext, "build_py": build_py},
)
