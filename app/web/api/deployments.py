"""POST /deployments: deploy BPMN, DMN and form files, or one zip of them."""
from __future__ import annotations

from flask import request

from app.services import deployments, permissions

from .auth import current_user
from .blueprints import ApiBlueprint
from .schemas import DeploymentSchema
from .uploads import bundle_from_uploads

blp = ApiBlueprint("deployments", __name__, description="Deploying process definitions")

UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": ".bpmn, .dmn and .json form files, or one .zip of them; "
                                                "any field name is accepted"}},
    }}},
}


@blp.route("/deployments", methods=["POST"])
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, DeploymentSchema)
@blp.errors(401, 403, 413, 422)
def deploy():
    """Deploy the uploaded files; unchanged processes keep their version ("new": false)."""
    actor = current_user()
    # Refuse before unpacking: unzipping someone's archive is work only a deployer may cause.
    permissions.require_deploy_rights(actor)
    files = bundle_from_uploads((f.filename, f.stream) for _, f in request.files.items(multi=True))
    return deployments.deploy(files, actor, source="api")
