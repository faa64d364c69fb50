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
_BLOCK_TAGS = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote|hr)\b[^>]*>",
    re.IGNORECASE,
)
_TAGS = re.compile(r"</?[a-zA-Z!][^>]*>")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
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
    """Plain text from a value that may hold HTML tags, entities and odd whitespace."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    text = _BLOCK_TAGS.sub(" ", _HIDDEN.sub(" ", str(value)))
    text = html.unescape(_TAGS.sub("", text))
    text = _SPACE.sub(" ", text).strip()
    if limit and len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,.;:") + "…"
    return text


def clean_currency(value: object) -> str:
    """An ISO 4217 code in upper case, or empty."""
    text = clean_text(value).upper()
    return text if re.fullmatch(r"[A-Z]{3}", text) else ""


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
    return amount if amount.is_finite() and amount > 0 else None


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
