"""Where the optional reference material is, for tests in tests/ (named apart from any
conftest so that test folders with their own conftest do not shadow it)."""
import os
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
NDPI_DIR = os.path.join(SHARED, "ndpi-dev")
NDPI_PCAPS = os.path.join(NDPI_DIR, "pcaps")
CORPUS_DIR = os.path.join(ROOT, "pcaps")

needs_ndpi = pytest.mark.skipif(not os.path.isdir(NDPI_PCAPS),
                                reason="../shared/ndpi-dev is absent (a user's clone has none)")


def capture_files(top):
    out = []
    for dirpath, _dirs, files in os.walk(top):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap", ".pcap.gz")):
                out.append(os.path.join(dirpath, f))
    return sorted(out)




def can_capture_on_loopback() -> bool:
    """Whether this process may capture on `lo` (root or CAP_NET_RAW): the live tests
    skip without it."""
    try:
        import pcapy
        pcapy.open_live("lo", 128, False, 10).close()
        return True
    except Exception:
        return False
