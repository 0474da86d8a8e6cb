"""Task instructions as safe HTML: SpiffArena's instructionsForEndUser are
Markdown that may hold Jinja (``Hello {{ requester }}``), written by process
owners and filled with case data that requesters typed.

Jinja runs in jinja2's SandboxedEnvironment (no attribute tricks, bounded
ranges) against the task's data; any error shows the text as written rather
than failing the page. The Markdown is turned into HTML by ``markdown`` and
then cleaned by ``nh3`` (a fast, allow-list HTML sanitiser): Markdown passes
raw HTML through, so without the cleaning a case's data could put a script
or a tracking image on an agent's page.
"""
from __future__ import annotations

import logging

import markdown
import nh3
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

log = logging.getLogger(__name__)

# Strict: a name the data lacks is an error, so the person sees "{{ name }}"
# as written instead of a sentence with a silent hole in it.
_JINJA = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_EXTENSIONS = ["sane_lists", "tables", "fenced_code"]
_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
         "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def fill_template(text: str, data: dict) -> str:
    """``text`` with its Jinja filled from ``data``; ``text`` itself when that fails."""
    if "{{" not in text and "{%" not in text:
        return text
    try:
        return _JINJA.from_string(text).render(**{k: v for k, v in data.items() if isinstance(k, str)})
    except Exception as error:  # noqa: BLE001 - any failure of an owner's template: show it as written
        log.info("instructions left unfilled: %s", error)
        return text


def markdown_html(text: str) -> Markup:
    """Markdown as sanitised HTML, safe to put in a page as it is."""
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow"))


def instructions_html(text: str | None, data: dict | None) -> Markup:
    """A task's instructions for the page: Jinja filled, Markdown rendered, HTML cleaned."""
    if not text or not text.strip():
        return Markup("")
    return markdown_html(fill_template(text, data or {}))
