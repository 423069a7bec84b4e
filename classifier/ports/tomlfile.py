"""Reading the TOML files users write (site overrides, audit policies) with errors that
name the file, the line and the entry, never a traceback."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

try:
    import tomllib                                    # Python 3.11+
except ImportError:                                   # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib                       # type: ignore[no-redef]
    except ImportError:
        tomllib = None

from ..errors import PortlensError


class ConfigError(PortlensError):
    """A site overrides file or an audit policy is missing or wrong (a usage error)."""


def load_toml(path: str) -> Dict[str, Any]:
    if tomllib is None:                               # pragma: no cover
        raise ConfigError(f"{path}: reading TOML needs Python 3.11 or the tomli package")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a TOML file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte offset {e.start})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib's message already ends with "(at line L, column C)".
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    doc["__lines__"] = _table_array_lines(text)
    return doc


def _table_array_lines(text: str) -> Dict[str, List[int]]:
    """Line numbers of each `[[name]]` header, so an error can point at its entry."""
    out: Dict[str, List[int]] = {}
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]", line)
        if m:
            out.setdefault(m.group(1), []).append(i)
    return out


def entry_where(path: str, doc: Dict[str, Any], table: str, index: int, entry: Any = None) -> str:
    """"approved.toml: [[allow]] entry 3 (line 14, "web")" for error messages."""
    lines = doc.get("__lines__", {}).get(table, [])
    where = f"{path}: [[{table}]] entry {index + 1}"
    extra = []
    if index < len(lines):
        extra.append(f"line {lines[index]}")
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        extra.append(repr(entry["name"]))
    return where + (f" ({', '.join(extra)})" if extra else "")


def entry_line(doc: Dict[str, Any], table: str, index: int) -> Optional[int]:
    lines = doc.get("__lines__", {}).get(table, [])
    return lines[index] if index < len(lines) else None


def strings(value: Any, what: str) -> List[str]:
    """A TOML value that may be one string or a list of them, as a list; `what` names
    the key in the error."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"{what} must be a string or a non-empty list of strings")
