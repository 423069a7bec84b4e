"""portlens: which application protocol a flow really carries, beside what its port claims.

The import package is ``classifier``; the distribution and the command are ``portlens``.

Library use (an IDS embedding portlens):

    import classifier
    for rec in classifier.analyze("capture.pcap"):          # one dict per flow
        print(rec["protocol"], rec["source"], rec["port_protocol"], rec["verdict"])

    from classifier import Analyzer, FlowReader              # batch by batch
    analyzer = Analyzer.from_options(ml="fallback", site_ports="site-ports.toml")
    for batch in FlowReader("capture.pcap").batches():
        records = analyzer.label(batch)

Detectors and the model see only payload bytes and packet sizes, directions and gaps;
the port registry is a separate stage whose only output is the port-implied protocol.
"""

__version__ = "0.1.0"

__all__ = ["analyze", "Analyzer", "FlowReader", "FlowConfig", "read_flows", "__version__",
           # the embedding API (classifier/api.py)
           "Classifier", "FlowResult", "LiveSession", "PACKET_DTYPE", "classify_stream", "live",
           "packet_index", "to_arrow", "to_dataframe"]


def __getattr__(name):
    # Imported on first use, so `import classifier` stays cheap and the CLI's start-up
    # does not pay for the model or the registry before it needs them.
    if name in ("analyze", "Analyzer"):
        from . import pipeline
        return getattr(pipeline, name)
    if name in ("FlowReader", "FlowConfig", "read_flows"):
        from . import flows
        return getattr(flows, name)
    if name in ("Classifier", "FlowResult", "LiveSession", "PACKET_DTYPE", "classify_stream", "live",
                "packet_index", "to_arrow", "to_dataframe"):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")


def __dir__():
    # The lazily imported names too, so that dir() and completion show the API.
    return sorted(set(globals()) | set(__all__))
