"""BPMN diagrams drawn as SVG on the server, from the diagram interchange (BPMN DI).

Pages and PDF exports need a picture of a process without a browser running
bpmn-js. No maintained Python library renders BPMN DI, so Baton draws it
itself with lxml, following how bpmn-js draws each element:

    from app.engine.drawing import draw_svg, DrawingError
    svg = draw_svg(bpmn_xml, marks={"Task_1": "active"}, diagram=0)

The result is one plain SVG 1.1 ``<svg>`` element (no XML declaration, no
foreignObject, no external references) that can be inlined in HTML or in a
WeasyPrint PDF. Every drawn element is a
``<g class="bpmn-element bpmn-<type>" data-element-id="ID">``; named shapes
carry a ``<title>``. ``marks`` maps element ids to a mark name (added,
removed, changed, active, completed); a marked element's group gets the class
``mark-<name>`` and the SVG's own style highlights it.

Modules: ``model`` reads the DI, ``render`` orders and dispatches, ``canvas``
holds the SVG primitives, ``labels`` the text; ``events``, ``activities``,
``markers``, ``shapes``, ``containers`` and ``edges`` draw the elements.
"""
from app.engine.drawing.model import DrawingError
from app.engine.drawing.render import draw_svg

__all__ = ["DrawingError", "draw_svg"]
