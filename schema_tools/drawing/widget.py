"""DiagramWidget: an ER diagram to zoom, pan, search and click in a live notebook (anywidget, see widget.js)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .draw import ERDiagram

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_HERE = Path(__file__).resolve().parent


def with_static(bundle: object, diagram: ERDiagram) -> dict[str, Any]:
    """A widget's output: the diagram's static image beside the widget view.

    A live JupyterLab shows the view; nbval, a code host, an untrusted notebook and any output stored without the
    view (scripts/run_notebooks.py strips it: its model id is random) show the same diagram as an image.
    """
    static: dict[str, Any] = dict(diagram._repr_mimebundle_())
    data = bundle[0] if isinstance(bundle, tuple) else bundle  # anywidget answers (data, metadata)
    view = data.get(WIDGET_VIEW) if isinstance(data, Mapping) else None
    return {**static, WIDGET_VIEW: view} if view is not None else static


class DiagramWidget(anywidget.AnyWidget):
    """The diagram with wheel zoom, + / − / Fit buttons, drag to pan, a search box and click-to-focus.

    A click dims all but the table and its neighbours, and sets `selected` (observe it to react in Python:
    the explorer redraws the focus view). Python sends only the SVG and the table names; the rest is the browser's.
    """

    _esm = _HERE / "widget.js"
    _css = _HERE / "widget.css"
    svg = traitlets.Unicode("").tag(sync=True)
    tables = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)

    def __init__(self, diagram: ERDiagram, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagram = diagram
        self.show(diagram)

    def show(self, diagram: ERDiagram) -> None:
        """Draw another diagram in the same view (one message: the names and the SVG arrive together)."""
        svg = diagram.svg()
        self.diagram = diagram
        with self.hold_sync():
            self.tables = list(diagram.table_names)
            self.svg = svg[svg.find("<svg") :] if "<svg" in svg else svg

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[Any, Any], dict[Any, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        return with_static(bundle, self.diagram), bundle[1] if bundle else {}
