"""The sentences a user reads when a page or image can't be fetched or read."""

from __future__ import annotations

BAD_URL = "That doesn't look like a web address; send a link starting with http:// or https://."
CREDENTIALS_IN_URL = (
    "That link has a user name or password in it; send the plain page address instead."
)
NON_WEB_PORT = "I only fetch pages from the standard web ports (80 and 443)."
NOT_PUBLIC = "That address is not a public web page, so I won't fetch it."
UNREACHABLE = "I couldn't reach that site; check the link and try again."
HTTP_ERROR = "The site answered with an error (HTTP {status}); check the link and try again."
TIMED_OUT = "The site took too long to answer, so I gave up; please try again later."
TOO_MANY_REDIRECTS = "That link redirects too many times, so I gave up following it."
PAGE_TOO_LARGE = "That page is larger than {limit_mb} MB, so I stopped reading it."
IMAGE_TOO_LARGE = "That image is larger than {limit_mb} MB, so I stopped downloading it."
NOT_HTML = "That link is not a web page; send the address of a product page."
NOT_IMAGE = "That link is not a PNG, JPEG or WebP image."
NOT_DATA = "The shop's product data was not in a format I can read."
NO_PRODUCT = "I couldn't find a product on that page; try uploading a photo instead."
