"""Reading deployed definitions: the catalogue, a definition's versions, the BPMN as deployed."""
from __future__ import annotations

from flask import Response

from app.services import definitions

from .blueprints import ApiBlueprint
from .schemas import DefinitionSchema, DefinitionSummarySchema

blp = ApiBlueprint("definitions", __name__, description="Deployed process definitions")

VERSION = "<int(min=1, max=2147483647):version>"


@blp.route("/definitions")
@blp.response(200, DefinitionSummarySchema(many=True))
@blp.errors(401)
def list_definitions():
    """The newest version of every definition."""
    return definitions.list_latest()


@blp.route("/definitions/<key>")
@blp.response(200, DefinitionSchema)
@blp.errors(401, 404)
def get_definition(key: str):
    """A definition and all its versions, oldest first."""
    versions = definitions.versions(key)
    return {"key": key, "name": versions[-1].name, "versions": versions}


@blp.route(f"/definitions/<key>/versions/{VERSION}/bpmn")
@blp.response(200, content_type="application/xml", description="The BPMN XML as deployed")
@blp.errors(401, 404)
def get_bpmn(key: str, version: int):
    """The BPMN file of one version, byte for byte as deployed."""
    return Response(definitions.bpmn_of(key, version), mimetype="application/xml")
