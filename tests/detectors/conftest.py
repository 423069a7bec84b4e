"""Detector tests: make the helpers beside this file importable (fixtures, probe_answers)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
