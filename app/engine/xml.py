"""Reading BPMN and DMN files safely, and checking them against their XSDs.

Bundles come from people we do not control (uploads, zip files), so the XML
parser never resolves entities, never loads a DTD and never touches the
network; a file that declares a DOCTYPE is refused outright, since a BPMN or
DMN file never needs one and entity declarations are how XML bombs and file
or URL disclosure work. Every problem is reported with the file's line.
"""
from __future__ import annotations

import importlib
import os
import re
import threading
from functools import cache

from lxml import etree

from app.engine.problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}

# Namespace -> prefix used when a message names an element ("" = no prefix).
_SHORT_PREFIX = {BPMN_NS: "", CAMUNDA_NS: "camunda:", SPIFF_NS: "spiffworkflow:"}

# More XSD errors than this for one file is noise: the file is not BPMN as we know it.
MAX_SCHEMA_ERRORS = 50

_SCHEMA_DIRS = {
    "bpmn": ("SpiffWorkflow.bpmn.parser", "schema"),
    "spiff": ("SpiffWorkflow.spiff.parser", "schema"),
    "dmn": ("SpiffWorkflow.dmn.parser", "schema"),
}
DMN_SCHEMAS = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "DMN.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "DMN12.xsd",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "DMN13.xsd",
}


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    )


def parse_xml(file: str, data: bytes) -> tuple[etree._ElementTree | None, list[Problem]]:
    """Parse one file; the tree, or None and the reason with its line."""
    # Refuse a DOCTYPE before libxml2 sees it: with a bomb it would only say
    # "amplification factor exceeded", which tells nobody what to change.
    refused = _refuse_doctype_in_prolog(file, data)
    if refused:
        return None, [refused]
    parser = _safe_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # The first error of this parser's log is where it got lost; later ones
        # are echoes. (The exception's own log may hold other parses' errors.)
        errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
        first = errors[0] if errors else None
        line = first.line if first is not None else exc.lineno
        message = first.message if first is not None else exc.msg
        return None, [Problem(file, line or None, None, f"malformed XML: {message}")]
    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype:   # one the byte scan missed (a UTF-16 file, say)
        entities = [e.name for e in info.internalDTD.entities()] if info.internalDTD else []
        return None, [_doctype_problem(file, None, entities, info.system_url)]
    return tree, []


# What may come before a DOCTYPE: the XML declaration, comments, PIs, spaces.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_DOCTYPE = re.compile(rb"""<!DOCTYPE\s+[^\s\[>]+
    (?:\s+(?:SYSTEM|PUBLIC\s+(?:"[^"]*"|'[^']*'))\s+(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'))?
    \s*(?P<subset>\[.*?\])?""", re.S | re.X)
_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s+)?([^\s>]+)")


def _refuse_doctype_in_prolog(file: str, data: bytes) -> Problem | None:
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while (item := _PROLOG_ITEM.match(data, pos)) and item.end() > pos:
        pos = item.end()
    doctype = _DOCTYPE.match(data, pos)
    if not doctype:
        return None
    entities = [n.decode(errors="replace") for n in _ENTITY.findall(doctype.group("subset") or b"")]
    url = doctype.group("dq") or doctype.group("sq")
    line = data[:pos].count(b"\n") + 1
    return _doctype_problem(file, line, entities, url.decode(errors="replace") if url else None)


def _doctype_problem(file: str, line: int | None, entities: list[str], url: str | None) -> Problem:
    if entities:
        why = (f"it declares entities ({', '.join(entities[:5])}); "
               "entities can expand into huge documents or read local files and URLs")
    elif url:
        why = f"it names an external DTD ({url}), which is never fetched"
    else:
        why = "BPMN and DMN files have no use for one"
    return Problem(file, line, None, f"DOCTYPE refused: {why}. Remove the DOCTYPE declaration.")


# --- schema validation -------------------------------------------------------

def _schema_path(kind: str, name: str) -> str:
    module, folder = _SCHEMA_DIRS[kind]
    package = importlib.import_module(module)
    return os.path.join(os.path.dirname(package.__file__), folder, name)


@cache
def bpmn_schema() -> etree.XMLSchema:
    """The BPMN 2.0 XSD, with SpiffWorkflow's extension XSD imported so that
    spiffworkflow:* extensions are checked too (camunda:* ones have no XSD and
    pass through the BPMN extension points unchecked)."""
    doc = etree.parse(_schema_path("bpmn", "BPMN20.xsd"))
    doc.getroot().insert(0, etree.Element(
        "{http://www.w3.org/2001/XMLSchema}import",
        namespace=SPIFF_NS, schemaLocation=_schema_path("spiff", "spiffworkflow.xsd"),
    ))
    return etree.XMLSchema(doc)


@cache
def dmn_schema(namespace: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(_schema_path("dmn", DMN_SCHEMAS[namespace])))


# A schema object keeps the error log of its last run: one validation at a time.
_validation_lock = threading.Lock()


def validate_bpmn(file: str, tree: etree._ElementTree) -> list[Problem]:
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [problem_at(file, root, f"not a BPMN 2.0 file: the root element is "
                                       f"{short_name(root.tag)}, expected definitions "
                                       f"in namespace {BPMN_NS}")]
    # bpmn.io writes formalExpression where the XSD wants messagePath; SpiffWorkflow
    # accepts both, so accept it here too (renamed for the check, then put back).
    renamed = root.xpath("//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression",
                         namespaces=NSMAP)
    for el in renamed:
        el.tag = f"{{{BPMN_NS}}}messagePath"
    try:
        return _schema_problems(file, tree, bpmn_schema())
    finally:
        for el in renamed:
            el.tag = f"{{{BPMN_NS}}}formalExpression"


def validate_dmn(file: str, tree: etree._ElementTree) -> list[Problem]:
    root = tree.getroot()
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "definitions" or namespace not in DMN_SCHEMAS:
        return [problem_at(file, root, f"not a DMN file: the root element is {root.tag}, "
                                       f"expected definitions in one of the DMN 1.1-1.3 "
                                       f"namespaces")]
    return _schema_problems(file, tree, dmn_schema(namespace))


def _schema_problems(file: str, tree: etree._ElementTree, schema: etree.XMLSchema) -> list[Problem]:
    with _validation_lock:
        if schema.validate(tree):
            return []
        errors = list(schema.error_log)
    problems, seen = [], set()
    for error in errors:
        message = human_message(error.message)
        if (error.line, message) in seen:
            continue
        seen.add((error.line, message))
        element = _element_at_path(tree, error.path)
        if element is None:
            element = _element_at_line(tree, error.line)
        problems.append(Problem(file, error.line or None, nearest_id(element), message))
    if len(problems) > MAX_SCHEMA_ERRORS:
        rest = len(problems) - MAX_SCHEMA_ERRORS
        problems = problems[:MAX_SCHEMA_ERRORS]
        problems.append(Problem(file, None, None, f"... and {rest} more schema errors"))
    return problems


def _element_at_path(tree: etree._ElementTree, path: str | None):
    if not path:
        return None
    namespaces = {k: v for k, v in tree.getroot().nsmap.items() if k}
    try:
        found = tree.xpath(path, namespaces=namespaces)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _element_at_line(tree: etree._ElementTree, line: int):
    """The last element starting on a line: the innermost, when several do."""
    found = None
    for el in tree.iter():
        if isinstance(el.tag, str) and el.sourceline == line:
            found = el
    return found


_LEADING_ELEMENT = re.compile(r"^Element '([^']+)'")
_QUALIFIED = re.compile(r"\{([^}]*)\}([\w.-]+)")


def human_message(message: str) -> str:
    """lxml's "Element '{http://...MODEL}task', attribute 'foo': ..." as "task, attribute 'foo': ..."."""
    message = _LEADING_ELEMENT.sub(lambda m: m.group(1), message.strip())
    return _QUALIFIED.sub(lambda m: short_name(m.group(0)), message)


def short_name(tag: str) -> str:
    match = _QUALIFIED.fullmatch(tag)
    if not match:
        return tag
    namespace, local = match.groups()
    prefix = _SHORT_PREFIX.get(namespace)
    return f"{prefix}{local}" if prefix is not None else tag


# --- finding things in a tree ------------------------------------------------

def nearest_id(element) -> str | None:
    """The id of the element, or of its closest ancestor that has one."""
    while element is not None:
        if isinstance(element.tag, str) and element.get("id"):
            return element.get("id")
        element = element.getparent()
    return None


def problem_at(file: str, element, message: str) -> Problem:
    line = element.sourceline if element is not None else None
    return Problem(file, line, nearest_id(element), message)


def index_ids(tree: etree._ElementTree) -> dict[str, etree._Element]:
    """Every element with an id, by id (ids are unique within one valid file)."""
    return {el.get("id"): el for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}


def first_use_of(tree: etree._ElementTree, namespace: str):
    """The first element whose tag or one of whose attributes is in namespace.

    A namespace merely declared (Camunda Modeler declares camunda: in every
    file) does not count as used."""
    prefix = f"{{{namespace}}}"
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.startswith(prefix) or any(name.startswith(prefix) for name in el.attrib):
            return el
    return None


def documentation(element) -> str:
    """The text of an element's own bpmn:documentation children, stripped."""
    parts = [(d.text or "").strip() for d in element.findall(f"{{{BPMN_NS}}}documentation")]
    return "\n\n".join(p for p in parts if p)
