"""What each kind of job carries, typed and versioned, so every reader agrees on it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from core.imaging import Product


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1


class SourceRef(BaseModel):
    """The checked image a job works from, in the blob store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    width: int
    height: int
    alpha: bool = False


class ImaginePayload(_Payload):
    """Make ``n`` images (also what ``/reroll`` queues again, with a new seed)."""

    kind: Literal["imagine"] = "imagine"
    prompt: str = ""
    template: str
    format: str
    n: int = 1
    seed: int
    provider: str
    product: Product | None = None
    url: str | None = None
    source: SourceRef | None = None


class ReformatPayload(_Payload):
    """Put the image ``image_id`` (made by ``original``'s request) into another format."""

    kind: Literal["reformat"] = "reformat"
    image_id: str
    format: str
    original: ImaginePayload


class DescribePayload(_Payload):
    """Write a generation prompt from a photo and/or a product page."""

    kind: Literal["describe"] = "describe"
    product: Product | None = None
    url: str | None = None
    source: SourceRef | None = None


class ExportPayload(_Payload):
    """Write the ZIP of everything an account holds (``/privacy export``)."""

    kind: Literal["export"] = "export"
    export_id: str


JobPayload = ImaginePayload | ReformatPayload | DescribePayload | ExportPayload

_ADAPTER: TypeAdapter[JobPayload] = TypeAdapter(Annotated[JobPayload, Field(discriminator="kind")])


def payload_to_data(payload: JobPayload) -> dict[str, Any]:
    return payload.model_dump(mode="json")


def payload_from_data(data: dict[str, Any]) -> JobPayload:
    """The payload ``payload_to_data`` stored; raises ``pydantic.ValidationError``."""
    return _ADAPTER.validate_python(data)
