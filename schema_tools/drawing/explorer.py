"""The schema explorer: ipywidgets controls (table, depth, types, indexes, diff overlay) driving a DiagramWidget."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Unpack

import ipywidgets

from .draw import ERDiagram, erd
from .draw import ExploreOptions as ExploreOptions  # explore() types its options with it
from .model import REMOVED, SAME, Diagram
from .widget import DiagramWidget, with_static

ALL_TABLES = ""  # the picker's value for "no focus"
MAX_DEPTH = 4
_SHORT = {"width": "auto", "margin": "0 12px 0 0"}


def after_view(diagram: Diagram) -> Diagram:
    """A diff's diagram without the overlay: the schema as it will be (removed parts gone, nothing coloured)."""
    tables = tuple(
        replace(
            table,
            status=SAME,
            risk=None,
            columns=tuple(
                replace(column, status=SAME, risk=None, before=None)
                for column in table.columns
                if column.status != REMOVED
            ),
            indexes=tuple(replace(index, status=SAME, risk=None) for index in table.indexes if index.status != REMOVED),
        )
        for table in diagram.tables
        if table.status != REMOVED
    )
    edges = tuple(edge.with_status(SAME) for edge in diagram.edges if edge.status != REMOVED)
    return Diagram(diagram.title, tables, edges)


class Explorer(ipywidgets.VBox):  # type: ignore[misc]
    """Pick a table (or click one), a depth, types and indexes, and for a diff the overlay; the drawing follows.

    The schema is read once (`whole`); every change redraws from it with erd(), without reading the source again.
    """

    def __init__(
        self,
        whole: Diagram,
        *,
        focus: str | None = None,
        depth: int = 1,
        show_types: bool = True,
        show_indexes: bool = False,
        **options: Unpack[ExploreOptions],
    ) -> None:
        self.whole, self.plain, self.options = whole, after_view(whole), options
        names = sorted(whole.table_names)
        self.table = ipywidgets.Dropdown(
            options=[("all tables", ALL_TABLES), *((name, name) for name in names)],
            value=focus if focus in names else ALL_TABLES,
            description="Table",
            layout=ipywidgets.Layout(width="260px"),
        )
        self.depth = ipywidgets.IntSlider(
            value=min(max(depth, 1), MAX_DEPTH),
            min=1,
            max=MAX_DEPTH,
            description="Depth",
            continuous_update=False,
            layout=ipywidgets.Layout(width="240px"),
        )
        self.types = ipywidgets.Checkbox(value=show_types, description="Types", indent=False, layout=_SHORT)
        self.indexes = ipywidgets.Checkbox(value=show_indexes, description="Indexes", indent=False, layout=_SHORT)
        self.overlay = ipywidgets.Checkbox(
            value=whole.diff_mode, description="Diff overlay", indent=False, layout=_SHORT
        )
        controls = [self.table, self.depth, self.types, self.indexes] + [self.overlay] * whole.diff_mode
        self.canvas = DiagramWidget(self._settled())
        for control in controls:
            control.observe(self._redraw, names="value")
        self.canvas.observe(self._clicked, names="selected")
        bar = ipywidgets.HBox(controls, layout=ipywidgets.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__([bar, self.canvas], layout=ipywidgets.Layout(max_width="100%"))

    def drawing(self) -> ERDiagram:
        """The diagram the controls ask for, drawn from the schema read once."""
        source = self.whole if self.overlay.value else self.plain
        focus = self.table.value if self.table.value in source.table_names else None
        return erd(
            source,
            focus=focus,
            depth=self.depth.value,
            show_types=self.types.value,
            show_indexes=self.indexes.value,
            **self.options,
        )

    def _settled(self) -> ERDiagram:
        # The depth matters only around a focus; a diff always shows its indexes while the overlay is on.
        self.depth.disabled = self.table.value == ALL_TABLES
        self.indexes.disabled = bool(self.overlay.value)
        return self.drawing()

    def _redraw(self, _change: object = None) -> None:
        self.canvas.show(self._settled())
        # The view highlights the picked table, and a later click on it is a change again after "all tables".
        self.canvas.selected = self.table.value

    def _clicked(self, change: dict[str, Any]) -> None:
        if change["new"] in self.whole.table_names:
            self.table.value = change["new"]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return with_static(super()._repr_mimebundle_(**kwargs), self.canvas.diagram)
