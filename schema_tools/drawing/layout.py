"""Read dot's layout back (-Tjson): table boxes, edge polylines and label boxes, and count edge crossings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..graphviz import render

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points
_SAMPLES = 8  # points per cubic Bézier segment: enough to find crossings, few enough to stay fast


@dataclass(frozen=True)
class LaidEdge:
    """One edge as dot drew it: its two tables, the polyline of its spline, and its label's box if it has one."""

    tail: str
    head: str
    points: tuple[Point, ...]
    label: Box | None = None
    label_text: str = ""


@dataclass(frozen=True)
class Layout:
    """Where dot put every node and edge: enough to measure crossings and label placement in tests and benches."""

    width: float
    height: float
    nodes: dict[str, Box]
    edges: tuple[LaidEdge, ...]

    @classmethod
    def of(cls, dot_source: str) -> Layout:
        """Lay out the DOT source with dot and read the geometry back."""
        return cls.parse(render(dot_source, "json").decode())

    @classmethod
    def parse(cls, text: str) -> Layout:
        data = json.loads(text)
        x0, y0, x1, y1 = (float(v) for v in data["bb"].split(","))
        names: dict[int, str] = {}
        nodes: dict[str, Box] = {}
        for obj in data.get("objects", []):
            if "pos" not in obj or "nodes" in obj:
                continue  # a cluster
            names[obj["_gvid"]] = obj["name"]
            x, y = (float(v) for v in obj["pos"].split(","))
            half_w, half_h = float(obj["width"]) * 36, float(obj["height"]) * 36
            nodes[obj["name"]] = (x - half_w, y - half_h, x + half_w, y + half_h)
        edges = tuple(_edge(edge, names) for edge in data.get("edges", []))
        return cls(x1 - x0, y1 - y0, nodes, edges)

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.width / self.height if self.height else 0.0

    def crossings(self, *, unrelated_only: bool = False) -> int:
        """Points where two edges' splines cross; `unrelated_only`: only between edges that share no table."""
        total = 0
        for first, second in combinations(self.edges, 2):
            if unrelated_only and {first.tail, first.head} & {second.tail, second.head}:
                continue
            total += _crossings(first.points, second.points)
        return total


def _edge(edge: dict[str, Any], names: dict[int, str]) -> LaidEdge:
    points: list[Point] = []
    for op in edge.get("_draw_", []):
        if op.get("op") == "b":
            points.extend(_sample([(float(x), float(y)) for x, y in op["points"]]))
    label, text = _label(edge.get("_ldraw_", []) + edge.get("_xldraw_", []))
    return LaidEdge(names.get(edge["tail"], "?"), names.get(edge["head"], "?"), tuple(points), label, text)


def _sample(controls: list[Point]) -> list[Point]:
    """A polyline through the cubic Bézier segments (control points 0..3, 3..6, ...)."""
    points = [controls[0]]
    for start in range(0, len(controls) - 3, 3):
        p0, p1, p2, p3 = controls[start : start + 4]
        for step in range(1, _SAMPLES + 1):
            t = step / _SAMPLES
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            points.append(
                (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])
            )
    return points


def _label(ops: list[dict[str, Any]]) -> tuple[Box | None, str]:
    """The box of the first text an edge's label draw operations write (font size from the last 'F')."""
    size = 9.0
    for op in ops:
        if op.get("op") == "F":
            size = float(op["size"])
        elif op.get("op") == "T":
            (x, y), width = op["pt"], float(op["width"])
            left = {"l": x, "r": x - width}.get(op.get("align", "c"), x - width / 2)
            return (left, y - 0.25 * size, left + width, y + 0.8 * size), str(op["text"])
    return None, ""


def _crossings(first: tuple[Point, ...], second: tuple[Point, ...]) -> int:
    found: set[tuple[int, int]] = set()
    for i in range(len(first) - 1):
        for j in range(len(second) - 1):
            hit = _intersection(first[i], first[i + 1], second[j], second[j + 1])
            if hit is not None:
                found.add((round(hit[0]), round(hit[1])))  # a crossing on a shared vertex counts once
    return len(found)


def _intersection(a: Point, b: Point, c: Point, d: Point) -> Point | None:
    """Where segments ab and cd cross properly (touching ends and overlaps do not count)."""
    rx, ry, sx, sy = b[0] - a[0], b[1] - a[1], d[0] - c[0], d[1] - c[1]
    denominator = rx * sy - ry * sx
    if abs(denominator) < 1e-9:
        return None
    qx, qy = c[0] - a[0], c[1] - a[1]
    t, u = (qx * sy - qy * sx) / denominator, (qx * ry - qy * rx) / denominator
    if 1e-6 < t < 1 - 1e-6 and 1e-6 < u < 1 - 1e-6:
        return (a[0] + t * rx, a[1] + t * ry)
    return None


def distance_to(point: Point, polyline: tuple[Point, ...]) -> float:
    """The shortest distance from a point to a polyline."""
    best = float("inf")
    px, py = point
    for (ax, ay), (bx, by) in zip(polyline, polyline[1:], strict=False):
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
        best = min(best, ((ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2) ** 0.5)
    return best


def overlaps(first: Box, second: Box) -> bool:
    """Whether two boxes share any area."""
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]
