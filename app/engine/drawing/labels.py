"""Names as text: measured, wrapped to a width, and placed the way bpmn-js places them.

There is no font at hand on the server to measure with, so widths come from a
table of DejaVu Sans advance widths (the sans-serif most Linux systems use,
and wider than Arial or Helvetica): text wrapped by it fits in any of them.
"""
from __future__ import annotations

from app.engine.drawing.canvas import Canvas, fmt, node
from app.engine.drawing.model import Bounds

INSIDE_SIZE = 12        # a task's or a pool's own name
OUTSIDE_SIZE = 11       # the label beside an event, a gateway, a flow, a data object
LINE_HEIGHT = 1.2
EXTERNAL_WIDTH = 90     # bpmn-js's width for a label the DI gives no bounds to

# Advance widths in thousandths of an em (DejaVu Sans, rounded).
_WIDTHS = {
    **dict.fromkeys("abdeghnopqu", 630), "c": 550, "f": 352, "i": 278, "j": 278, "k": 579,
    "l": 278, "m": 974, "r": 411, "s": 521, "t": 392, "v": 592, "w": 818, "x": 592, "y": 592,
    "z": 525, **dict.fromkeys("0123456789", 636), "A": 684, "B": 686, "C": 698, "D": 770,
    "E": 632, "F": 575, "G": 775, "H": 752, "I": 295, "J": 295, "K": 656, "L": 557, "M": 863,
    "N": 748, "O": 787, "P": 603, "Q": 787, "R": 695, "S": 635, "T": 611, "U": 732, "V": 684,
    "W": 989, "X": 685, "Y": 611, "Z": 685, " ": 318, ".": 318, ",": 318, ":": 337, ";": 337,
    "-": 361, "_": 500, "(": 390, ")": 390, "/": 337, "'": 275, '"': 460, "!": 400, "?": 531,
    "&": 780, "+": 838, "=": 838, "#": 838, "%": 950, "*": 500,
}
_DEFAULT_WIDTH = 640


def text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(ch, _DEFAULT_WIDTH) for ch in text) * size / 1000


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of at most width (a single word longer than that keeps a line of its own)."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def block_height(lines: list[str], size: float) -> float:
    return len(lines) * size * LINE_HEIGHT


def write(canvas: Canvas, parent, lines: list[str], x: float, top: float, size: float,
          anchor: str = "middle", transform: str | None = None) -> None:
    """Lines of text from top down; x is their centre (or left edge with anchor start)."""
    if not lines:
        return
    text = node(parent, "text", font_size=size, text_anchor=anchor, transform=transform)
    step = size * LINE_HEIGHT
    widest = max(text_width(line, size) for line in lines)
    for i, line in enumerate(lines):
        # The baseline sits about 0.9 em below the top of its line box.
        span = node(text, "tspan", x=fmt(x), y=fmt(top + i * step + size * 0.95))
        span.text = line
    if transform is None:
        left = x - widest / 2 if anchor == "middle" else x
        canvas.reach(left, top)
        canvas.reach(left + widest, top + len(lines) * step)


def inside(canvas: Canvas, parent, name: str, box: Bounds, size: float = INSIDE_SIZE,
           padding: float = 5, valign: str = "middle") -> None:
    """A name wrapped inside a box, centred (valign middle) or at its top."""
    lines = wrap(name, max(box.width - 2 * padding, 10), size)
    height = block_height(lines, size)
    top = box.cy - height / 2 if valign == "middle" else box.y + padding
    write(canvas, parent, lines, box.cx, top, size)


def outside(canvas: Canvas, parent, name: str, label: Bounds | None, anchor: tuple[float, float],
            size: float = OUTSIDE_SIZE) -> None:
    """An external label: in the DI's label bounds, else centred under anchor (x, top)."""
    if label is not None:
        lines = _wrap_like(name, label, size)
        height = block_height(lines, size)
        top = label.cy - height / 2 if height < label.height else label.y
        write(canvas, parent, lines, label.cx, top, size)
    else:
        lines = wrap(name, EXTERNAL_WIDTH, size)
        write(canvas, parent, lines, anchor[0], anchor[1], size)


def _wrap_like(name: str, label: Bounds, size: float) -> list[str]:
    """Wrapped to the label bounds, as the tool that wrote them did.

    That tool measured with its own font, usually narrower than ours: its
    bounds are as tall as the lines it drew, so widen the wrap (up to half
    as much again) until the name takes no more lines than it did there."""
    wanted = max(1, round(label.height / (size * LINE_HEIGHT)))
    width = max(label.width + 4, 30)
    lines = wrap(name, width, size)
    for _ in range(10):
        if len(lines) <= wanted:
            break
        width += label.width * 0.05
        lines = wrap(name, width, size)
    return lines


def vertical(canvas: Canvas, parent, name: str, strip: Bounds, size: float = INSIDE_SIZE) -> None:
    """A pool's or lane's name turned a quarter left, centred in its header strip."""
    lines = wrap(name, max(strip.height - 10, 10), size)
    height = block_height(lines, size)
    # Drawn horizontally around the origin, then turned and moved to the strip's centre.
    transform = f"translate({fmt(strip.cx)} {fmt(strip.cy)}) rotate(-90)"
    write(canvas, parent, lines, 0, -height / 2, size, transform=transform)
