"""Safe XML parsing and XSD validation (app/engine/xml.py)."""
from __future__ import annotations

import socket

import pytest

from app.engine import xml
from app.engine.problems import Problem

DEFINITIONS = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
               'id="Definitions_1" targetNamespace="http://example.org/bpmn">')


def bpmn(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{DEFINITIONS}\n{body}\n</bpmn:definitions>\n'.encode()


def parsed(data: bytes):
    tree, problems = xml.parse_xml("t.bpmn", data)
    assert problems == [] and tree is not None
    return tree


def test_well_formed_file_parses_with_source_lines():
    tree = parsed(bpmn('<bpmn:process id="p" isExecutable="true">\n  <bpmn:startEvent id="s"/>\n</bpmn:process>'))
    assert xml.index_ids(tree)["s"].sourceline == 4


def test_malformed_xml_names_file_and_line():
    tree, problems = xml.parse_xml("t.bpmn", b"<a>\n<b>\n</a>\n")
    assert tree is None
    assert problems == [Problem("t.bpmn", 3, None,
                                "malformed XML: Opening and ending tag mismatch: b line 2 and a")]


def test_empty_file_is_malformed():
    _, problems = xml.parse_xml("t.bpmn", b"")
    assert problems[0].message.startswith("malformed XML")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def test_entity_bomb_is_refused():
    tree, problems = xml.parse_xml("bomb.bpmn", BILLION_LAUGHS)
    assert tree is None
    [problem] = problems
    assert (problem.file, problem.line) == ("bomb.bpmn", 2)
    assert problem.message.startswith("DOCTYPE refused: it declares entities (lol, lol2, lol3, lol4, lol5)")


def test_external_file_entity_is_refused_and_not_read():
    data = b'<?xml version="1.0"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n<foo>&xxe;</foo>'
    tree, problems = xml.parse_xml("xxe.bpmn", data)
    assert tree is None
    assert "declares entities (xxe)" in problems[0].message
    assert "root:" not in str(problems)


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def assert_nobody_connected(server):
    with pytest.raises(BlockingIOError):
        server.accept()


def test_external_url_entity_is_refused_and_not_fetched(listener):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/secret"
    data = f'<?xml version="1.0"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "{url}"> ]>\n<foo>&xxe;</foo>'
    tree, problems = xml.parse_xml("xxe.bpmn", data.encode())
    assert tree is None and "declares entities (xxe)" in problems[0].message
    assert_nobody_connected(listener)


def test_external_dtd_is_refused_and_not_fetched(listener):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.dtd"
    data = f'<?xml version="1.0"?>\n\n<!DOCTYPE foo SYSTEM "{url}">\n<foo/>'
    tree, problems = xml.parse_xml("dtd.bpmn", data.encode())
    assert tree is None
    assert problems[0].line == 3
    assert f"names an external DTD ({url})" in problems[0].message
    assert_nobody_connected(listener)


def test_plain_doctype_is_refused_too():
    _, problems = xml.parse_xml("d.bpmn", b"<!DOCTYPE foo>\n<foo/>")
    assert problems[0].message.startswith("DOCTYPE refused: BPMN and DMN files have no use for one")


def test_valid_bpmn_passes_the_xsd():
    tree = parsed(bpmn('<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>'))
    assert xml.validate_bpmn("t.bpmn", tree) == []


def test_xsd_errors_are_human_and_located():
    tree = parsed(bpmn(
        '<bpmn:process id="p" isExecutable="true">\n'
        '  <bpmn:task id="t1" foo="bar"/>\n'
        '  <bpmn:userTask id="t2">\n'
        '    <bpmn:bogus/>\n'
        '  </bpmn:userTask>\n'
        '  <bpmn:sequenceFlow id="f" sourceRef="t1"/>\n'
        '</bpmn:process>'))
    problems = xml.validate_bpmn("t.bpmn", tree)
    assert problems[0] == Problem("t.bpmn", 4, "t1", "task, attribute 'foo': The attribute 'foo' is not allowed.")
    # An element without an id is reported with the id of its closest ancestor.
    assert (problems[1].line, problems[1].element) == (6, "t2")
    assert problems[1].message.startswith("bogus: This element is not expected. Expected is one of ( documentation,")
    assert problems[2] == Problem("t.bpmn", 8, "f", "sequenceFlow: The attribute 'targetRef' is required but missing.")


def test_spiff_extensions_are_checked_against_their_xsd():
    tree = parsed(bpmn(
        '<bpmn:process id="p" isExecutable="true">\n'
        '  <bpmn:userTask id="t">\n'
        '    <bpmn:extensionElements>\n'
        '      <spiffworkflow:properties><spiffworkflow:wrong/></spiffworkflow:properties>\n'
        '    </bpmn:extensionElements>\n'
        '  </bpmn:userTask>\n'
        '</bpmn:process>'))
    [problem] = xml.validate_bpmn("t.bpmn", tree)
    assert (problem.line, problem.element) == (6, "t")
    assert problem.message == ("spiffworkflow:wrong: This element is not expected. "
                               "Expected is ( spiffworkflow:property ).")


def test_bpmn_io_correlation_expressions_pass_and_are_left_as_written():
    tree = parsed(bpmn(
        '<bpmn:correlationProperty id="cp" name="order">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="m">'
        '<bpmn:formalExpression>order_id</bpmn:formalExpression>'
        '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>'
        '<bpmn:message id="m" name="order"/>'))
    assert xml.validate_bpmn("t.bpmn", tree) == []
    assert tree.getroot().xpath("//bpmn:formalExpression", namespaces=xml.NSMAP)


def test_a_file_that_is_not_bpmn_says_so():
    tree = parsed(b'<?xml version="1.0"?>\n<html><body/></html>')
    [problem] = xml.validate_bpmn("page.bpmn", tree)
    assert (problem.line, problem.message) == (
        2, "not a BPMN 2.0 file: the root element is html, expected definitions in namespace "
           "http://www.omg.org/spec/BPMN/20100524/MODEL")


def test_dmn_of_unknown_version_says_so():
    tree = parsed(b'<definitions xmlns="urn:not-dmn" id="d"/>')
    assert xml.validate_dmn("d.dmn", tree)[0].message.startswith("not a DMN file")


def test_many_schema_errors_are_capped():
    tasks = "\n".join(f'<bpmn:task id="t{i}" bad="1"/>' for i in range(80))
    tree = parsed(bpmn(f'<bpmn:process id="p">{tasks}</bpmn:process>'))
    problems = xml.validate_bpmn("t.bpmn", tree)
    assert len(problems) == xml.MAX_SCHEMA_ERRORS + 1
    assert problems[-1].message == "... and 30 more schema errors"


def test_schemas_are_built_once():
    assert xml.bpmn_schema() is xml.bpmn_schema()
    ns = "https://www.omg.org/spec/DMN/20191111/MODEL/"
    assert xml.dmn_schema(ns) is xml.dmn_schema(ns)


@pytest.mark.parametrize("raw, human", [
    ("Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}task', attribute 'foo': The attribute 'foo' is not allowed.",
     "task, attribute 'foo': The attribute 'foo' is not allowed."),
    ("Element '{http://camunda.org/schema/1.0/bpmn}formField': x", "camunda:formField: x"),
    ("Element '{urn:other}thing': x", "{urn:other}thing: x"),
])
def test_human_message(raw, human):
    assert xml.human_message(raw) == human


def test_first_use_of_a_namespace_ignores_mere_declarations():
    declared = parsed(b'<a xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><b/></a>')
    used = parsed(b'<a xmlns:camunda="http://camunda.org/schema/1.0/bpmn">\n<b camunda:x="1"/></a>')
    assert xml.first_use_of(declared, xml.CAMUNDA_NS) is None
    assert xml.first_use_of(used, xml.CAMUNDA_NS).sourceline == 2


def test_doctype_after_comments_is_found_by_the_byte_scan():
    data = b'<?xml version="1.0"?>\n<!-- exported -->\n<?pi x?>\n<!DOCTYPE a [<!ENTITY % p SYSTEM "x">]>\n<a/>'
    _, problems = xml.parse_xml("c.bpmn", data)
    assert problems[0].line == 4 and "declares entities (p)" in problems[0].message


def test_doctype_the_byte_scan_cannot_read_is_refused_after_parsing():
    data = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE a [<!ENTITY e "x">]>\n<a>&e;</a>'.encode("utf-16")
    tree, problems = xml.parse_xml("u.bpmn", data)
    assert tree is None and "declares entities (e)" in problems[0].message
