"""Payload detectors: one module per protocol, one ordered list, one engine.

    from classifier.detectors import classify, classify_flows
    label = classify(flow)            # Label(protocol, confidence, source, metadata, ...)
    labels = classify_flows(flows)    # a batch; also links ftp-data to its control flow

Detectors see payload only (docs/protocols.md); the engine is in engine.py, the ordered
list of detectors in detector_list.py (the order of classifier/protocols.py), the
contract in base.py.
"""
from .engine import Engine, FlowSession, Label, classify, classify_batch, classify_flows, classify_many

__all__ = ["Engine", "FlowSession", "Label", "classify", "classify_batch", "classify_flows",
           "classify_many"]
