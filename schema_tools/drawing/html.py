"""A diagram as notebook HTML: an <img> of the SVG that fits the output width and shows where no script runs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ..errors import GraphvizMissing

_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)(pt|px)?"[^>]*?\bheight="([\d.]+)(pt|px)?"', re.DOTALL)
_PT = 4 / 3  # CSS px per point: Graphviz sizes its SVG in points
# An overview is capped at this share of the window's height, so the whole of a large schema is seen at once.
OVERVIEW_HEIGHT = "85vh"
# A diagram is drawn as an overview when, fitted to an output this wide, it would be taller than this...
TYPICAL_OUTPUT_WIDTH, OVERVIEW_ABOVE = 1000, 2500
# ...or when it is wider than this: fitted, its 10 pt (13.3 px) column text would shrink under 8 px.
READABLE_WIDTH = 1700
NOTE_STYLE = "color:#57606a;font-size:12px;overflow-wrap:break-word"
OVERVIEW_NOTE = "An overview: explore(...) zooms and searches it, and erd(..., focus=name) draws a part at full size."


def svg_size(svg: str) -> tuple[float, float]:
    """The SVG's natural width and height in CSS px (0, 0 when it says none)."""
    match = _SIZE.search(svg)
    if match is None:
        return 0.0, 0.0
    width, width_unit, height, height_unit = match.groups()
    return float(width) * (_PT if width_unit == "pt" else 1), float(height) * (_PT if height_unit == "pt" else 1)


def is_overview(svg: str) -> bool:
    """True when the diagram, fitted to a typical output width, is too tall to take in or its text too small."""
    width, height = svg_size(svg)
    if width <= 0:
        return False
    return width > READABLE_WIDTH or height * min(1.0, TYPICAL_OUTPUT_WIDTH / width) > OVERVIEW_ABOVE


def svg_data_uri(svg: str) -> str:
    """A data: URI of the SVG, escaped only where a URL or a single-quoted HTML attribute needs it.

    The markup stays `<svg …>…</svg>` in the attribute, so the rule that masks an SVG output's layout for
    nbval (notebooks/nbval_sanitize.cfg) masks this copy of it too; base64 would hide it from that rule.
    """
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = body.replace("%", "%25").replace("#", "%23").replace("\n", "%0A")
    return "data:image/svg+xml;charset=utf-8," + body.replace("&", "&amp;").replace("'", "&#39;")


def image_html(svg: str, alt: str, *, capped: bool = False, extra_class: str = "") -> str:
    """The SVG as an image scaled to the output's width, aspect kept, never enlarged; `capped`: in height too."""
    limit = f"max-height:{OVERVIEW_HEIGHT};" if capped else ""
    classes = f"st-erd-image {extra_class}".strip()
    return (
        f'<img class="{classes}" src=\'{svg_data_uri(svg)}\' alt="{html.escape(alt)}"'
        f' style="max-width:100%;{limit}height:auto">'
    )


def note_html(markup: str) -> str:
    """A grey line of small text beside a diagram; `markup` is HTML, already escaped."""
    return f'<div class="st-erd-note" style="{NOTE_STYLE}">{markup}</div>'


def frame_html(*parts: str) -> str:
    """The box that holds a diagram's images and notes, never wider than the output."""
    return f'<div class="st-erd" style="max-width:100%;overflow:hidden">{"".join(parts)}</div>'


def diagram_html(svg: str, summary: str, *, overview: bool | None = None) -> str:
    """The diagram at its natural size or narrower: scaled to the output's width, aspect kept, never enlarged.

    An image, not inline SVG: JupyterLab strips <svg> from an untrusted notebook's HTML but keeps <img>, so the
    first open of a notebook, nbval's stored outputs and a code host all show the diagram. An `overview` (a large
    schema; by default when `is_overview`) is also capped in height, with a note on how to read it at full size.
    """
    if overview is None:
        overview = is_overview(svg)
    image = image_html(svg, summary, capped=overview)
    return frame_html(image, note_html(html.escape(OVERVIEW_NOTE)) if overview else "")


def diagram_bundle(draw: Callable[[], str], summary: str, markup: Callable[[str], str] | None = None) -> dict[str, str]:
    """A diagram's notebook output: the fitted HTML image (`markup` of the SVG, by default diagram_html), the SVG,
    the text summary; without Graphviz, the summary and the fix (GraphvizMissing says it) instead of an exception."""
    try:
        svg = draw()
    except GraphvizMissing as error:
        return {"text/plain": f"{summary}\n{error}"}
    page = markup(svg) if markup is not None else diagram_html(svg, summary)
    return {"text/html": page, "image/svg+xml": svg, "text/plain": summary}
