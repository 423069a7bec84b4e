#!/usr/bin/env python3
"""Write the protocol table of docs/protocols.md from classifier/protocols.py.

    python tools/protocol_docs.py          # rewrite the table between its markers
    python tools/protocol_docs.py --check  # exit 1 when the committed docs differ

tests/test_protocols.py runs the check, so a row added to the table without
regenerating the docs fails the suite.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from classifier.protocols import DOCS_BEGIN, DOCS_END, docs_table  # noqa: E402

DOCS = os.path.join(ROOT, "docs", "protocols.md")


def render(text: str) -> str:
    """`text` with its generated table replaced by the table's current rendering."""
    a = text.index(DOCS_BEGIN)
    b = text.index(DOCS_END, a) + len(DOCS_END) + 1
    return text[:a] + docs_table() + text[b:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 when they differ")
    args = ap.parse_args(argv)
    with open(DOCS, encoding="utf-8") as fh:
        text = fh.read()
    new = render(text)
    if args.check:
        if new != text:
            print(f"{DOCS}: the protocol table is out of date; run python tools/protocol_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        with open(DOCS, "w", encoding="utf-8") as fh:
            fh.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
