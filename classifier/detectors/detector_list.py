"""The list of detectors, in the protocol table's order (classifier/protocols.py).

Each row of the table names its detector module; this imports them, in that order,
which is the engine's tie-break when two detectors match with the same confidence
(the table's docstring says why the order is what it is).  No discovery: a module
that no row names is never imported, and tests/test_protocols.py fails when a
module in this package is missing from the table or a SPEC disagrees with its row.
"""
from __future__ import annotations

from importlib import import_module

from .. import protocols as _table

DETECTORS = [import_module(f"{__package__}.{p.module_name}") for p in _table.TABLE]

SPECS = [m.SPEC for m in DETECTORS]
NAMES = [s.name for s in SPECS]
