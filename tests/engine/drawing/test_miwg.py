"""Every diagram of the BPMN MIWG reference models is drawn as SVG, with every
shape and edge of its diagram interchange, every name, and nothing outside the view.

For people to compare by eye, test-artifacts/miwg/index.html shows each
reference PNG (drawn by another tool) beside Baton's SVG.
"""
from __future__ import annotations

import html
import shutil
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from app.engine.drawing import draw_svg

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus" / "miwg" / "reference"
FILES = sorted(CORPUS.glob("*.bpmn")) if CORPUS.is_dir() else []
ARTIFACTS = REPO / "test-artifacts" / "miwg"
needs_corpus = pytest.mark.skipif(not FILES, reason=f"MIWG corpus not found at {CORPUS}")

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SVG = "{http://www.w3.org/2000/svg}"


def diagrams_of(path: Path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall(f"{{{BPMNDI}}}BPMNDiagram")


CASES = [(path, i) for path in FILES for i in range(len(diagrams_of(path)))]


@cache
def drawing(path: Path, index: int) -> str:
    return draw_svg(path.read_bytes(), diagram=index)


def squeeze(text: str) -> str:
    return " ".join(text.split())


@needs_corpus
@pytest.mark.parametrize("path, index", CASES, ids=lambda v: v.stem if isinstance(v, Path) else str(v))
def test_reference_model_is_drawn_whole(path: Path, index: int):
    svg = etree.fromstring(drawing(path, index))      # parses as XML
    assert svg.tag == f"{SVG}svg"
    groups: dict[str, list[etree._Element]] = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("data-element-id") is not None:
            groups.setdefault(group.get("data-element-id"), []).append(group)

    root = etree.parse(str(path)).getroot()
    elements = {el.get("id"): el for el in root.iter(f"{{{BPMN}}}*") if el.get("id")}
    diagram = diagrams_of(path)[index]
    di_items = list(diagram.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"))
    # An item without bpmnElement (C.7.0 has an edge so) is named by its own id.
    referenced = [item.get("bpmnElement") or item.get("id") for item in di_items]
    # One group per DI item: as many groups for an element as the DI has items for it.
    for element_id in set(referenced):
        assert len(groups.get(element_id, [])) == referenced.count(element_id), element_id
    assert len(groups) == len(set(referenced))

    for element_id in referenced:
        element = elements.get(element_id)
        name = squeeze(element.get("name") or "") if element is not None else ""
        if name:
            drawn = " ".join(line.text or "" for g in groups[element_id] for line in g.iter(f"{SVG}tspan"))
            assert name in squeeze(drawn), f"{element_id}: {name!r} not in {drawn!r}"

    x, y, width, height = map(float, svg.get("viewBox").split())
    assert float(svg.get("width")) == width and float(svg.get("height")) == height
    for shape in diagram.iter(f"{{{BPMNDI}}}BPMNShape"):
        bounds = shape.find(f"{{{DC}}}Bounds")
        bx, by, bw, bh = (float(bounds.get(a)) for a in ("x", "y", "width", "height"))
        assert x <= bx and y <= by and bx + bw <= x + width and by + bh <= y + height, shape.get("id")


@needs_corpus
def test_side_by_side_page_for_people():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for path, index in CASES:
        svg_name = f"{path.stem}-baton-{index + 1}.svg"
        (ARTIFACTS / svg_name).write_text(drawing(path, index), encoding="utf-8")
        # The reference PNG of this diagram: A.1.0.png, or C.4.0.2.png for a file's second diagram.
        pngs = sorted(CORPUS.glob(f"{path.stem}*.png"))
        png = pngs[index] if len(pngs) > 1 and index < len(pngs) else (pngs[0] if pngs else None)
        if png is not None:
            shutil.copyfile(png, ARTIFACTS / png.name)
        title = html.escape(f"{path.stem} — diagram {index + 1}")
        reference = f'<img src="{html.escape(png.name)}" alt="reference">' if png else "<p>no PNG</p>"
        rows.append(f'<section><h2>{title}</h2><div class="pair"><figure>{reference}<figcaption>'
                    f'reference</figcaption></figure><figure><img src="{svg_name}" alt="Baton">'
                    f'<figcaption>Baton</figcaption></figure></div></section>')
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>MIWG drawings</title><style>"
            "body{font-family:sans-serif;margin:1em}.pair{display:flex;gap:1em}"
            "figure{flex:1;margin:0;border:1px solid #ccc}img{width:100%}</style></head><body>"
            "<h1>MIWG reference models: reference PNG and Baton's SVG</h1>" + "".join(rows) + "</body></html>")
    index_page = ARTIFACTS / "index.html"
    index_page.write_text(page, encoding="utf-8")
    assert index_page.read_text(encoding="utf-8").count("<section>") == len(CASES)
