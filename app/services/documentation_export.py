"""A process version's documentation as a file to keep: its diagram drawn on
the server (an inline SVG, so the page prints it and the exports need no
script), its BPMN XML for the page's bpmn-js viewer, and HTML made into a PDF.

The pages render the export template themselves (a web concern) and hand the
HTML to ``to_pdf``.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from app.engine.documentation.model import ProcessDoc
from app.engine.drawing import DrawingError, draw_svg
from app.models import DefinitionVersion

from . import documentation
from .diagrams import Diagram
from .users import Caller
from .version_cache import VersionCache


SVG = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Printable:
    """What the documentation page and its exports lay out."""

    definition: DefinitionVersion
    doc: ProcessDoc
    svg: str | None        # the diagram as an inline <svg>, unmarked; None: the file has no layout to draw
    # The same drawing for a Baton page: without the SVG's own <style>, which the
    # pages' Content-Security-Policy refuses (documentation.css styles its text).
    page_svg: str | None


# Drawn once per version, like its documentation (a big diagram takes a while to draw).
_drawings: VersionCache[tuple[str | None, str | None]] = VersionCache(32)


def printable(key: str, version: int, caller: Caller) -> Printable:
    """A version's documentation and its drawing (NotFound, Forbidden as ``documentation.version_doc``)."""
    definition, doc = documentation.version_doc(key, version, caller)
    svg, page_svg = _drawings.get_or_build(
        (definition.key, definition.version, definition.content_hash, definition.bpmn_file),
        lambda: _drawing(definition.files[definition.bpmn_file]))
    return Printable(definition, doc, svg, page_svg)


def _drawing(xml: str) -> tuple[str | None, str | None]:
    """(the SVG, the SVG for a page); (None, None) for a file without diagram
    interchange (a hand-written one): the steps are still all listed."""
    try:
        svg = draw_svg(xml, None)
    except DrawingError:
        return None, None
    root = etree.fromstring(svg.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    for style in root.findall(f"{{{SVG}}}style"):
        root.remove(style)
    return svg, etree.tostring(root, encoding="unicode")


def version_diagram(key: str, version: int, caller: Caller) -> Diagram:
    """A version's BPMN XML, for whoever may read its documentation."""
    definition, _doc = documentation.version_doc(key, version, caller)
    return Diagram(xml=definition.files[definition.bpmn_file],
                   etag=f"{definition.content_hash}-{definition.bpmn_file}")


def to_pdf(html: str) -> bytes:
    """The HTML as a PDF. It must be self-contained: WeasyPrint may fetch
    nothing (no file, no network), whatever the document names."""
    # WeasyPrint takes about a second to import: only the PDF export pays for it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
