"""Signed, expiring links to images (and, later, exports and history pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import messages
from core.errors import LinkExpired, LinkInvalid
from core.ports import Clock, TokenSigner

IMAGE = "i"
EXPORT = "x"


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a verified token names: a kind of resource, its id and the expiry."""

    kind: str
    target: str
    expires_at: datetime


class Links:
    """Issues ``<public_url>/<kind>/<token>`` links and checks tokens that come back."""

    def __init__(
        self,
        signer: TokenSigner,
        public_url: str,
        clock: Clock,
        image_ttl: timedelta = timedelta(days=7),
    ) -> None:
        self._signer = signer
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self.image_ttl = image_ttl

    def image_link(self, image_id: str, ttl: timedelta | None = None) -> str:
        return self.link(IMAGE, image_id, ttl or self.image_ttl)

    def link(self, kind: str, target: str, ttl: timedelta) -> str:
        expires = int((self._clock() + ttl).timestamp())
        token = self._signer.dumps({"k": kind, "t": target, "e": expires})
        return f"{self._public_url}/{kind}/{token}"

    def verify(self, kind: str, token: str) -> LinkClaim:
        """The claim of a genuine, unexpired token of this kind.

        Raises ``LinkInvalid`` for a forged or foreign token, ``LinkExpired`` when late.
        """
        payload = self._signer.loads(token)
        try:
            claim = LinkClaim(
                kind=str(payload["k"]),
                target=str(payload["t"]),
                expires_at=datetime.fromtimestamp(int(payload["e"]), tz=self._clock().tzinfo),
            )
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise LinkInvalid(messages.LINK_INVALID) from None
        if claim.kind != kind:
            raise LinkInvalid(messages.LINK_INVALID)
        if claim.expires_at <= self._clock():
            raise LinkExpired(messages.LINK_EXPIRED)
        return claim
