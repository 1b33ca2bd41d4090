"""explore(): the schema explorer widget; ipywidgets and anywidget load only when it is called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .drawing.draw import Drawable, ERDiagram, diagram_of
from .drawing.model import Diagram
from .errors import ConfigurationError
from .sources import SchemaSource

if TYPE_CHECKING:
    from .drawing.explorer import ExploreOptions, Explorer


def explore(
    source: SchemaSource | Drawable | Diagram | ERDiagram = None,
    *,
    focus: str | None = None,
    depth: int = 1,
    show_types: bool = True,
    show_indexes: bool = False,
    **options: Unpack[ExploreOptions],
) -> Explorer:
    """The schema explorer for a notebook: a table picker, depth, types and indexes toggles, and for a diff the
    overlay on or off, above a diagram that zooms (wheel, buttons), pans (drag), searches and focuses on a click.

    The source is what erd() takes (models, a URL, a revision, a SchemaDiff) or an ERDiagram; it is read once.
    Stored in a notebook, or where widgets don't run, its output is the current diagram as a static image.
    """
    try:
        from .drawing.explorer import Explorer
    except ImportError as error:  # pragma: no cover - both are dependencies of schema-tools
        raise ConfigurationError(f"explore() needs ipywidgets and anywidget ({error}): pip install anywidget") from None
    whole = source.model if isinstance(source, ERDiagram) else diagram_of(source)
    return Explorer(whole, focus=focus, depth=depth, show_types=show_types, show_indexes=show_indexes, **options)
