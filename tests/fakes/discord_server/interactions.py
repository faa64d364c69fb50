"""Interaction callbacks, follow-ups and the interaction webhook's messages, timed and
checked as Discord times and checks them."""

from __future__ import annotations

import copy
import hmac
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_server import messages
from tests.fakes.discord_server.checks import (
    INTERACTION_MESSAGE_FLAGS,
    DiscordError,
    check_choices,
    check_modal,
    invalid_form,
    message_fields,
)
from tests.fakes.discord_server.payloads import (
    APPLICATION_COMMAND,
    EPHEMERAL,
    JSON,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
)
from tests.fakes.discord_server.records import Callback, Interaction, Message
from tests.fakes.discord_server.rest import json_response, read_body, snowflake

if TYPE_CHECKING:
    from tests.fakes.discord_server.fake import FakeDiscord

MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
#: The callback types each interaction type accepts.
ACCEPTED_CALLBACKS = {
    APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    4: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
APPLICATION_COMMAND_MESSAGE = 20


def unknown_interaction() -> DiscordError:
    return DiscordError(404, 10062, "Unknown interaction")


def unknown_message() -> DiscordError:
    return DiscordError(404, 10008, "Unknown Message")


class InteractionRoutes:
    """``/interactions/{id}/{token}/callback`` and ``/webhooks/{application}/{token}…``:
    authenticated by the interaction token in the URL, not by the bot token."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_post(
            f"{prefix}/interactions/{{interaction_id}}/{{token}}/callback", self.callback
        )
        router.add_post(f"{prefix}/webhooks/{{application_id}}/{{token}}", self.followup)
        message = f"{prefix}/webhooks/{{application_id}}/{{token}}/messages/{{message_id}}"
        router.add_get(message, self.get_message, allow_head=False)
        router.add_patch(message, self.edit_message)
        router.add_delete(message, self.delete_message)

    # --- the initial response ------------------------------------------------
    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.fake.interactions.get(snowflake(request, "interaction_id"))
        if interaction is None or not hmac.compare_digest(
            interaction.token, request.match_info["token"]
        ):
            raise unknown_interaction()
        if interaction.callback is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        age = self.fake.interaction_age(interaction)
        if age > self.fake.callback_deadline:
            raise unknown_interaction()
        body, uploads = await read_body(request)
        if not isinstance(body, dict):
            raise invalid_form(["type"], "BASE_TYPE_REQUIRED", "This field is required")
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in ACCEPTED_CALLBACKS.get(interaction.type, set()):
            raise invalid_form(
                ["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
        attachments: tuple[Any, ...] = ()
        message: Message | None = None
        if kind == MESSAGE:
            fields = message_fields(data, uploads, allowed_flags=INTERACTION_MESSAGE_FLAGS)
            message = self._new(interaction, data, fields, uploads)
        elif kind == DEFERRED_MESSAGE:
            fields = message_fields({"flags": data.get("flags") or 0}, (), allowed_flags=EPHEMERAL)
            message = self.fake.new_message(
                interaction.channel_id,
                "callback",
                flags=LOADING | fields["flags"],
                **self._provenance(interaction),
            )
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = self._component_message(interaction)
            if kind == UPDATE_MESSAGE:
                fields = message_fields(data, uploads, allowed_flags=INTERACTION_MESSAGE_FLAGS)
                messages.edit(self.fake, message, data, fields, uploads)
        elif kind == AUTOCOMPLETE_RESULT:
            check_choices(data)
        else:
            check_modal(data)
        if message is not None:
            attachments = tuple(message.attachments)
            interaction.original_id = message.id
        interaction.callback = Callback(
            interaction_id=interaction.id,
            type=kind,
            data=copy.deepcopy(data),
            attachments=attachments,
            after=age,
            message_id=None if message is None else message.id,
        )
        if message is not None and kind in (MESSAGE, DEFERRED_MESSAGE):
            await messages.announce(self.fake, "MESSAGE_CREATE", message)
        elif message is not None and kind == UPDATE_MESSAGE:
            await messages.announce(self.fake, "MESSAGE_UPDATE", message)
        await self.fake.changed()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(self._callback_response(interaction, kind, message))

    def _callback_response(
        self, interaction: Interaction, kind: int, message: Message | None
    ) -> JSON:
        shown: JSON = {"id": str(interaction.id), "type": interaction.type}
        if message is not None:
            shown |= {
                "response_message_id": str(message.id),
                "response_message_loading": message.loading,
                "response_message_ephemeral": message.ephemeral,
            }
        response: JSON = {"interaction": shown}
        if message is not None and kind in (MESSAGE, UPDATE_MESSAGE):
            response["resource"] = {"type": kind, "message": message.json()}
        return response

    def _component_message(self, interaction: Interaction) -> Message:
        if interaction.component_message_id is None:
            raise invalid_form(
                ["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                "This interaction has no message to update",
            )
        return self.fake.messages[interaction.component_message_id]

    def _provenance(self, interaction: Interaction) -> dict[str, Any]:
        payload = interaction.payload
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        metadata: JSON = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        if interaction.component_message_id is not None:
            metadata["interacted_message_id"] = str(interaction.component_message_id)
        return {
            "type": APPLICATION_COMMAND_MESSAGE if interaction.type == APPLICATION_COMMAND else 0,
            "interaction_id": interaction.id,
            "application_id": self.fake.application_id,
            "interaction_metadata": metadata,
        }

    def _new(self, interaction: Interaction, body: JSON, fields: JSON, uploads: Any) -> Message:
        return messages.create(
            self.fake,
            interaction.channel_id,
            "callback",
            body,
            fields,
            uploads,
            **self._provenance(interaction),
        )

    # --- follow-ups and the webhook's messages -----------------------------------
    def _by_token(self, request: web.Request) -> Interaction:
        if snowflake(request, "application_id") != self.fake.application_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        token = request.match_info["token"]
        interaction = next(
            (i for i in self.fake.interactions.values() if hmac.compare_digest(i.token, token)),
            None,
        )
        if interaction is None or self.fake.interaction_age(interaction) > self.fake.token_lifetime:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return interaction

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request)
        if interaction.callback is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        body, uploads = await read_body(request)
        body = body if isinstance(body, dict) else {}
        fields = message_fields(body, uploads, allowed_flags=INTERACTION_MESSAGE_FLAGS)
        original = self.fake.messages.get(interaction.original_id or 0)
        if (
            original is not None
            and original.loading
            and interaction.callback.type == DEFERRED_MESSAGE
        ):
            # The first follow-up after a deferral fills its "thinking…" message (which
            # keeps the deferral's visibility).
            fields.pop("flags", None)
            message = messages.edit(self.fake, original, body, fields, uploads)
            await messages.announce(self.fake, "MESSAGE_UPDATE", message)
        else:
            provenance = self._provenance(interaction)
            if interaction.original_id is not None:
                provenance["interaction_metadata"]["original_response_message_id"] = str(
                    interaction.original_id
                )
            message = messages.create(
                self.fake, interaction.channel_id, "followup", body, fields, uploads, **provenance
            )
            await messages.announce(self.fake, "MESSAGE_CREATE", message)
        interaction.followup_ids.append(message.id)
        await self.fake.changed()
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(message.json())

    def _webhook_message(self, request: web.Request) -> tuple[Interaction, Message]:
        interaction = self._by_token(request)
        ref = request.match_info["message_id"]
        if ref == "@original":
            message_id = interaction.original_id
        else:
            message_id = snowflake(request, "message_id")
            if message_id not in (interaction.original_id, *interaction.followup_ids):
                message_id = None
        message = self.fake.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise unknown_message()
        return interaction, message

    async def get_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return json_response(message.json())

    async def edit_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        body, uploads = await read_body(request)
        body = body if isinstance(body, dict) else {}
        fields = message_fields(body, uploads, allowed_flags=INTERACTION_MESSAGE_FLAGS)
        messages.edit(self.fake, message, body, fields, uploads)
        await messages.announce(self.fake, "MESSAGE_UPDATE", message)
        await self.fake.changed()
        return json_response(message.json())

    async def delete_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        message.deleted = True
        await messages.announce(self.fake, "MESSAGE_DELETE", message)
        await self.fake.changed()
        return web.Response(status=204)
