"""Put a benchmark capture in a known page-cache state before anything is timed.

Every command a benchmark times reads the capture from the page cache, and how fast the
kernel hands it over depends on how the file came to be cached, not only on its size.
On this project's machines (Linux 6.18, ext4) a file read from disk is cached in large
folios (2 MiB pages, `FileHugePages` in /proc/meminfo), while a file just written by
make_bench_pcap.py stays cached as the 4 KiB pages its writes made. `cat` of the
756 MiB bench capture took 0.066 s in the first state and 0.11 s in the second, and the
fast path 0.12 s and 0.19 s: a benchmark that only warmed the cache measured whichever
state the file's history left.

`from_disk(path)` removes the file from the page cache (clean pages only: it is synced
first, and nothing is written to it) and reads it once, so every timed command then
reads it as a capture read from disk is cached. `--keep-cache` in the benchmarks skips
the eviction and measures the file as it is.
"""
import os
import subprocess


def _file_huge_kib():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("FileHugePages:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def warm(path):
    """Read the file once so it is in the page cache (in whatever state it was)."""
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)


def from_disk(path):
    """Evict `path` from the page cache, then read it back once.

    Returns a line saying what was done and how much of the file the kernel now holds in
    2 MiB pages (the machine-wide FileHugePages count before and after the read; other
    files' pages may move meanwhile, so it is a close figure, not an exact one)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)                                      # dirty pages cannot be dropped
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    before = _file_huge_kib()
    warm(path)
    after = _file_huge_kib()
    size = os.path.getsize(path)
    if before is None or after is None:
        return "page cache: capture evicted and read back from disk"
    huge = max(0, after - before) * 1024
    return (f"page cache: capture evicted and read back from disk; about "
            f"{min(huge, size) / 2**20:.0f} of {size / 2**20:.0f} MiB now in 2 MiB pages")


def prepare(path, keep_cache):
    """The benchmarks' first step: returns the line to print."""
    if keep_cache:
        warm(path)
        return "page cache: capture kept as it was cached (--keep-cache), read once"
    return from_disk(path)
