"""Saving a diagram: the file's suffix picks the format among those the kind of diagram offers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import ConfigurationError

# Per format, its suffixes (the first is the one an error names) and what writes it: text, or bytes for images.
Formats = Mapping[tuple[str, ...], Callable[[], str | bytes]]


def save(path: str | Path, formats: Formats, kind: str) -> Path:
    """Write the format the suffix names; any other suffix is an error that lists the ones `kind` offers.

    One writer for the ER and the ORM diagram, which differ only in their formats (the ORM view has no Mermaid).
    """
    target = Path(path)
    suffix = target.suffix.lower()
    for suffixes, render in formats.items():
        if suffix in suffixes:
            data = render()
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data)
            return target
    offered = [suffixes[0] for suffixes in formats]
    choices = f"{', '.join(offered[:-1])} or {offered[-1]}" if len(offered) > 1 else offered[0]
    raise ConfigurationError(f"cannot save {kind} as {suffix or 'a file without suffix'}: use {choices}")
