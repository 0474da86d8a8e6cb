"""Messages from other systems into running cases."""
from __future__ import annotations

from app.services import messages

from .auth import current_user
from .blueprints import ApiBlueprint
from .schemas import MessageBody, MessageDeliverySchema

blp = ApiBlueprint("messages", __name__, description="Messages to waiting instances")


@blp.route("/messages", methods=["POST"])
@blp.arguments(MessageBody)
@blp.response(200, MessageDeliverySchema)
@blp.errors(400, 401, 403, 404, 422)
def send(body: dict):
    """Deliver a message to every running instance waiting for it with matching correlation
    values, and start the processes it starts; 404 when nothing waits for it."""
    return messages.send_message(current_user(), body["name"], correlation=body["correlation"],
                                 data=body["data"], message_id=body["message_id"])
