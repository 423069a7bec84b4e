"""classifier/_heap.py: the command line keeps freed heap for the next batch."""
import platform

from classifier import _heap


def test_keep_heap_is_idempotent_and_says_whether_it_applied():
    first = _heap.keep_heap()
    assert _heap.keep_heap() is first
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert first is True


def test_keep_heap_does_nothing_without_glibc(monkeypatch):
    import ctypes

    def no_libc(name, *a, **k):
        raise OSError(name)

    monkeypatch.setattr(_heap, "_done", False)
    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert _heap.keep_heap() is False
