"""The SVG being drawn: element groups, primitives, and how far the drawing reaches.

Every primitive is plain SVG 1.1 with its look in presentation attributes, so
the drawing looks right wherever it is inlined (HTML pages, WeasyPrint PDFs).
The only CSS is the one inline <style> for marks, which overrides those
attributes when a step is highlighted. Classes name the role of a primitive
(``outline`` a shape's border, ``line`` an edge's path, ``ink`` something
filled with the stroke colour) so the mark rules can recolour them.
"""
from __future__ import annotations

import re

from lxml import etree

from app.engine.drawing.model import Bounds

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#22242a"            # bpmn-js's default stroke colour
PAPER = "#ffffff"
FONT_FAMILY = "sans-serif"
MARGIN = 20

# (stroke, fill, extra declarations) per mark name.
MARK_COLOURS = {
    "added": ("#1a7f37", "#dafbe1", ""),
    "removed": ("#cf222e", "#ffebe9", "stroke-dasharray:6 4;"),
    "changed": ("#b7791f", "#fff3cd", ""),
    "active": ("#0969da", "#ddf4ff", ""),
    "completed": ("#52796f", "#e3efe8", ""),
}


def stylesheet() -> str:
    rules = [f".bpmn-element text{{font-family:{FONT_FAMILY};fill:{INK}}}"]
    for name, (stroke, fill, extra) in MARK_COLOURS.items():
        mark = f".mark-{name}"
        # Outlines keep their widths: they tell end from start events, call activities from tasks.
        rules.append(f"{mark} .outline{{stroke:{stroke};fill:{fill};{extra}}}")
        rules.append(f"{mark} .line{{stroke:{stroke};stroke-width:3px;{extra}}}")
        rules.append(f"{mark} .ink{{stroke:{stroke};fill:{stroke}}}")
        rules.append(f"{mark} .icon{{stroke:{stroke}}}")
        rules.append(f"{mark} text{{fill:{stroke};font-weight:bold}}")
    return "".join(rules)


def fmt(value: float) -> str:
    """A coordinate as short text: 12, 12.5, 12.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def points(coords) -> str:
    return " ".join(f"{fmt(x)},{fmt(y)}" for x, y in coords)


_MARK_NAME = re.compile(r"[^a-z0-9_-]+")


def mark_class(mark: str) -> str:
    return "mark-" + (_MARK_NAME.sub("-", str(mark).strip().lower()) or "none")


class Canvas:
    """The <svg> under construction and the box that holds everything drawn."""

    def __init__(self) -> None:
        self.svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
        self.svg.set("version", "1.1")
        style = etree.SubElement(self.svg, f"{{{SVG_NS}}}style")
        style.set("type", "text/css")
        style.text = stylesheet()
        self.layer = etree.SubElement(self.svg, f"{{{SVG_NS}}}g")
        self.layer.set("class", "bpmn-diagram")
        self.box: list[float] | None = None     # min x, min y, max x, max y

    def reach(self, x: float, y: float) -> None:
        if self.box is None:
            self.box = [x, y, x, y]
        else:
            box = self.box
            box[0], box[1] = min(box[0], x), min(box[1], y)
            box[2], box[3] = max(box[2], x), max(box[3], y)

    def reach_bounds(self, bounds: Bounds) -> None:
        self.reach(bounds.x, bounds.y)
        self.reach(bounds.right, bounds.bottom)

    def element_group(self, kind: str, element_id: str, mark: str | None,
                      title: str | None) -> etree._Element:
        group = etree.SubElement(self.layer, f"{{{SVG_NS}}}g")
        classes = ["bpmn-element", f"bpmn-{kind or 'unknown'}"]
        if mark:
            classes.append(mark_class(mark))
        group.set("class", " ".join(classes))
        group.set("data-element-id", element_id)
        if title:
            node(group, "title").text = title
        return group

    def finish(self) -> str:
        x0, y0, x1, y1 = self.box or [0.0, 0.0, 100.0, 100.0]
        x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
        self.svg.set("viewBox", f"{fmt(x0)} {fmt(y0)} {fmt(x1 - x0)} {fmt(y1 - y0)}")
        self.svg.set("width", fmt(x1 - x0))
        self.svg.set("height", fmt(y1 - y0))
        return etree.tostring(self.svg, encoding="unicode")


def node(parent: etree._Element, tag: str, **attributes) -> etree._Element:
    """A child SVG element; attribute names use _ for - (stroke_width=...)."""
    child = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for name, value in attributes.items():
        if value is None:
            continue
        name = "class" if name == "cls" else name.replace("_", "-")
        child.set(name, fmt(value) if isinstance(value, float) else str(value))
    return child


def stroke_style(width: float = 1.0, dash: str | None = None, fill: str = PAPER) -> dict:
    return {"stroke": INK, "stroke_width": width, "fill": fill, "stroke_dasharray": dash}


def rect(parent, bounds: Bounds, radius: float = 0, cls: str = "outline", **style) -> etree._Element:
    attrs = {**stroke_style(), **style}
    return node(parent, "rect", x=float(bounds.x), y=float(bounds.y), width=float(bounds.width),
                height=float(bounds.height), rx=float(radius) if radius else None,
                ry=float(radius) if radius else None, cls=cls, **attrs)


def circle(parent, cx: float, cy: float, r: float, cls: str = "outline", **style) -> etree._Element:
    attrs = {**stroke_style(), **style}
    return node(parent, "circle", cx=float(cx), cy=float(cy), r=float(max(r, 0.0)), cls=cls, **attrs)


def path(parent, d: str, cls: str = "outline", **style) -> etree._Element:
    attrs = {**stroke_style(), **style}
    return node(parent, "path", d=d, cls=cls, **attrs)


def polyline(parent, coords, cls: str = "line", **style) -> etree._Element:
    attrs = {**stroke_style(fill="none"), "stroke_linejoin": "round", **style}
    return node(parent, "polyline", points=points(coords), cls=cls, **attrs)


def icon(parent, cx: float, cy: float, scale: float) -> etree._Element:
    """A group whose origin is (cx, cy), scaled: icons are drawn in their own units."""
    return node(parent, "g", transform=f"translate({fmt(cx)} {fmt(cy)}) scale({fmt(scale)})")
