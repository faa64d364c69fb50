"""What a Slack user reads beyond core/messages.py: labels and the adapter's own lines."""

from __future__ import annotations

# --- replies --------------------------------------------------------------------------
OPEN_FULL_SIZE = "Open full size"
OPEN_LINK = "Open link"
WARNING = ":warning: {text}"
NOTICE = ":information_source: {text}"
CONFIRM_CODE = "Confirmation code: {code}"
MORE_NOT_SHOWN = "…and {count} more not shown here."
PARENT_ASKED = "{user} asked for {summary}"

# --- the confirmation dialog of a button that cannot be undone (Slack's ``confirm``) ---
CONFIRM_TITLE = "Are you sure?"
CONFIRM_TEXT = "This cannot be undone."
CONFIRM_DENY = "Go back"

# --- help -----------------------------------------------------------------------------
GUIDE_HEADER = "Commands:"
GUIDE_UMBRELLA = "Every command also works after /aioe, for example /aioe reroll or /aioe help."
GUIDE_PHOTO = (
    "To start from a photo, type /imagine on its own to open a form, "
    "or mention me in a message with the photo attached."
)

# --- /history -------------------------------------------------------------------------
GALLERY_HEADING = "Your images, newest first: page {page} of {pages}, {total} in all."
GALLERY_NEXT = "`/history {page}` shows the next page."
GALLERY_FORGET = "`/forget IMAGE_ID` deletes an image and its files for good."
GALLERY_EMPTY = "You have no images yet; /imagine makes some."
GALLERY_NO_PAGE = "There is no page {page}; the last one is `/history {pages}`."
GALLERY_ENTRY = "{link}  ·  `{id}`  ·  *{template}* as {format}  ·  {width}×{height}  ·  {date}"

# --- long documents (the privacy summary) ---------------------------------------------
DOCUMENT_CONTINUED = "{title} (continued)"
