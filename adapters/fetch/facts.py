"""What one source on a page says about a product, and the small cleaners its values need."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"}
    | {"XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
# Every pattern is linear: a tag ends at the next "<" or ">", so an unclosed "<a<a<a…"
# is not rescanned from each "<" (a backtracking pattern would hold the GIL for minutes).
_BLOCK_TAGS = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote|hr)\b[^<>]*+>",
    re.IGNORECASE,
)
_TAGS = re.compile(r"</?[a-zA-Z!][^<>]*+>")
_HIDDEN_START = re.compile(r"<(script|style)\b", re.IGNORECASE)
_HIDDEN_END = {
    "script": re.compile(r"</script\s*+>", re.IGNORECASE),
    "style": re.compile(r"</style\s*+>", re.IGNORECASE),
}
_SPACE = re.compile(r"\s+")
_INPUT_LIMIT = 20_000  # characters of markup read for one value; more is never shown
_COMMA_DECIMAL = re.compile(r"-?\d+,\d{1,2}")


@dataclass(frozen=True, slots=True)
class Facts:
    """Product facts from one source (JSON-LD, microdata, OpenGraph, a shop API, the HTML)."""

    name: str = ""
    brand: str = ""
    description: str = ""
    amount: Decimal | None = None
    currency: str = ""
    images: tuple[str, ...] = ()


def clean_text(value: object, limit: int = 0) -> str:
    """Plain text from a value that may hold HTML tags, entities and odd whitespace; only
    the first 20 000 characters of markup (or 4 × ``limit``, if more) are read."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    text = _BLOCK_TAGS.sub(" ", _drop_hidden(_bounded(str(value), limit)))
    text = html.unescape(_TAGS.sub("", text))
    text = _SPACE.sub(" ", text).strip()
    if limit and len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,.;:") + "…"
    return text


def _bounded(text: str, limit: int) -> str:
    """At most ``max(20 000, 4 × limit)`` characters, without a tag cut in half at the end."""
    most = max(_INPUT_LIMIT, 4 * limit)
    if len(text) <= most:
        return text
    text = text[:most]
    opened = text.rfind("<")
    return text[:opened] if opened > text.rfind(">") else text


def _drop_hidden(text: str) -> str:
    """``text`` without ``<script>`` and ``<style>`` elements; an unclosed one runs to the end,
    as in a browser. Each part of the text is scanned once."""
    kept: list[str] = []
    position = 0
    while (start := _HIDDEN_START.search(text, position)) is not None:
        kept.append(text[position : start.start()])
        kept.append(" ")
        end = _HIDDEN_END[start.group(1).lower()].search(text, start.end())
        if end is None:
            return "".join(kept)
        position = end.end()
    kept.append(text[position:])
    return "".join(kept)


def clean_currency(value: object) -> str:
    """An ISO 4217 code in upper case, or empty."""
    text = clean_text(value).upper()
    return text if re.fullmatch(r"[A-Z]{3}", text) else ""


#: No product costs more; larger "prices" are page noise (and would not round).
MAX_AMOUNT = Decimal(10) ** 12


def parse_amount(value: object) -> Decimal | None:
    """A positive amount from a number or a price string ("24.90", "24,90", "€1.299,00")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = _normalise_separators(re.sub(r"[^\d.,\-]", "", value))
    else:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 < amount < MAX_AMOUNT else None


def _normalise_separators(text: str) -> str:
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if "," in text:
        return text.replace(",", ".") if _COMMA_DECIMAL.fullmatch(text) else text.replace(",", "")
    if text.count(".") > 1:
        return text.replace(".", "")
    return text


def format_price(amount: Decimal | None, currency: str) -> str:
    """The display string for an amount, with the currency's usual number of decimals."""
    if amount is None:
        return ""
    places = 0 if currency in _ZERO_DECIMAL else 3 if currency in _THREE_DECIMAL else 2
    return f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def absolute_url(value: object, base: str) -> str:
    """``value`` made absolute against ``base`` if it is an http(s) URL, else empty."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(value).strip()
    if not text or text.startswith("data:"):
        return ""
    try:
        joined = urljoin(base, text)
        scheme = urlsplit(joined).scheme
    except ValueError:
        return ""
    return joined if scheme in ("http", "https") else ""
