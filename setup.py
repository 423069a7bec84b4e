"""Build the Cython fast path as the extension module ``classifier._fastpath``.

Its sources live in ``_fastpath/`` (one .pyx, the .pxd of shared C structs and the
.pxi stages it includes); metadata is in pyproject.toml.
"""
import os

from setuptools import Extension, setup
from Cython.Build import cythonize

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
    # _fast_*.pxi it includes); the output records of classifier/schema.py.
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

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
        include_path=["_fastpath"],
    ),
)
