"""Payload detectors: one module per protocol, one ordered list, one engine.

    from classifier.detectors import Engine, classify_batch
    label = Engine().classify(flow)   # Label(protocol, confidence, source, metadata, ...)
    labels = classify_batch(batch)    # a fast-path FlowBatch (the pipeline's path); also
                                      # links ftp-data to a control flow of the batch

Detectors see payload only (docs/protocols.md); the engine is in engine.py, the ordered
list of detectors in detector_list.py (the order of classifier/protocols.py), the
contract in base.py.
"""
from .engine import Engine, FlowSession, Label, classify_batch

__all__ = ["Engine", "FlowSession", "Label", "classify_batch"]
