"""One file or several, as the library's functions take them."""
from __future__ import annotations

import os
from typing import Iterable, Tuple, Union

PathArg = Union[str, "os.PathLike[str]"]


def as_paths(value: Union[None, PathArg, Iterable[PathArg]], what: str = "files") -> Tuple[str, ...]:
    """A path (str, bytes or os.PathLike) or an iterable of paths, as a tuple of str.

    A single string is one file, never the characters of its name: `site_ports="site.toml"`
    means `site_ports=["site.toml"]`. None is no file. Anything else is a TypeError naming
    the parameter (`what`)."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{what}: expected a path or a list of paths, not {type(value).__name__}") from None
    out = []
    for item in items:
        if not isinstance(item, (str, bytes, os.PathLike)):
            raise TypeError(f"{what}: expected a path or a list of paths, got an item of type "
                            f"{type(item).__name__} ({item!r})")
        out.append(os.fsdecode(item))
    return tuple(out)
