"""Per-protocol corpus generator modules, found by discovery: no list to edit.

A generator module is any module of this package that exports NAME, PREFIXES (the
capture-name prefixes it owns: rerunning the module replaces exactly those captures),
MODES (port modes it runs in) and run(ctx).  Modules that export none of the four are
machinery (core, servers, summary, house_protocols, realistic); one that exports only some of them
is an error, so a half-written generator is never skipped silently.

``pcaps/generate`` runs them sorted by (ORDER, NAME).  ORDER is optional (default 0);
mismatch.py sets 1 so the demos run after every protocol, as they always have.  Nothing
recorded depends on the order: each module draws its random ports from its own RNG
(seeded by the seed and its NAME), and a capture's number counts per capture prefix,
which exactly one module owns (tests/test_gen_modules.py checks that).
"""

import importlib
import pkgutil

API = ("NAME", "PREFIXES", "MODES", "run")


def _discover():
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            continue                    # gen/peers: processes the modules start, not modules
        mod = importlib.import_module(f"{__name__}.{info.name}")
        has = [a for a in API if hasattr(mod, a)]
        if not has:
            continue
        if len(has) != len(API):
            raise ImportError(f"pcaps/gen/{info.name}.py exports {', '.join(has)} but not "
                              f"{', '.join(a for a in API if a not in has)}: a generator module needs all of {API}")
        found.append(mod)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 0), m.NAME))


MODULES = _discover()


def owns(module, capture: str) -> bool:
    """Whether ``capture`` (a file name in corpus/) is one of ``module``'s: ``<prefix>-<n>.pcap``
    for one of its PREFIXES (the mismatch demos: ``mismatch-<what>.pcap``).  pcaps/generate
    deletes exactly these before running the module and keeps every other manifest line.
    The number matters: mqtt owns mqtt-1.pcap, not automation's mqtt-sn-1.pcap."""
    for prefix in module.PREFIXES:
        rest = capture[len(prefix) + 1:] if capture.startswith(prefix + "-") else ""
        if rest.endswith(".pcap") and (rest[:-5].isdigit() if prefix != "mismatch" else rest[:-5]):
            return True
    return False
