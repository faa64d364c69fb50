"""Every sentence a user reads, in one place."""

from __future__ import annotations

# --- input -----------------------------------------------------------------
UNKNOWN_COMMAND = "I don't know the command {command}; type /help to see what I can do."
BAD_OPTIONS = "I couldn't read that command: {detail}. Type /help for the syntax."
ONE_SOURCE_ONLY = "Give me one source at a time: an image or a URL, not both."
N_OUT_OF_RANGE = "You can ask for 1 to 4 images at a time."
UNKNOWN_TEMPLATE = "There is no template called {name}; /templates lists them."
UNKNOWN_FORMAT = "There is no format called {name}; use one of: {choices}."
PROMPT_TOO_LONG = "That prompt is too long; keep it under {limit} characters."
NOTHING_TO_MAKE = (
    "Tell me what to make: attach a product photo, give a product-page URL, or write a prompt."
)
PROMPT_ONLY_NEEDS_AI = (
    "The offline studio needs a product photo or page to work from; attach an image, "
    "or ask your operator to set AIOE_PROVIDER=openai for prompt-only images."
)
FILE_NOT_READABLE = "I couldn't read the file {path}; check the path and try again."
FILE_NOT_REGULAR = "{path} is not a regular file; give the path of an image file."

# --- images ----------------------------------------------------------------
IMAGE_TOO_LARGE = "That file is larger than {limit_mb} MB; please send a smaller image."
IMAGE_NOT_SUPPORTED = "That file is not a PNG, JPEG or WebP image; please send one of those."
IMAGE_TRUNCATED = "That image is damaged or incomplete; please send it again."
IMAGE_TOO_MANY_PIXELS = "That image has more than {limit_mp} megapixels; please send a smaller one."
IMAGE_TOO_MANY_SCANS = (
    "That JPEG is saved in too many passes for me to read; please save it again as a standard JPEG."
)
IMAGE_TOO_SMALL = "That image is too small to work with; send one at least {minimum} pixels wide."
IMAGE_NO_PRODUCT = (
    "I couldn't find a product in that photo; try one with the product on a plain background."
)

# --- credits ---------------------------------------------------------------
INSUFFICIENT_CREDITS = (
    "That costs {cost} credits and you have {balance}; ask for fewer images or top up."
)
CREDITS_SUMMARY = "You have {balance} credits."
CREDITS_RECENT = "Last movements (UTC):"
NO_MOVEMENTS = "No credit movements yet."
# Ledger reasons: what each movement means, as /credits shows it.
LEDGER_WELCOME = "welcome credits"
LEDGER_HELD = "held for a job"
LEDGER_SPENT = "spent: the {cost} held for the job"
LEDGER_JOB_FAILED = "returned: the job failed"
LEDGER_CANCELLED = "returned: cancelled"
LEDGER_ABANDONED = "returned: the chat session it was for had ended"

# --- jobs ------------------------------------------------------------------
JOB_QUEUED = (
    "Working on it: {n} image(s) with {template} as {format} (job {job_id}, {cost} credits)."
)
JOB_DONE = "Here you are: {n} image(s) with {template} as {format}."
JOB_FAILED = "Sorry, I couldn't finish that ({reason}); your {cost} credits were returned."
JOB_CANCELLED = "Job {job_id} was cancelled; your {cost} credits were returned."
JOB_NOT_FOUND = "You have no job {job_id}; job IDs are in the reply to /imagine."
JOB_ALREADY_FINISHED = "Job {job_id} has already finished; there is nothing to cancel."
PROVIDER_UNAVAILABLE = "the image service kept failing"
JOB_KEPT_STOPPING = "the work kept being interrupted"
PROVIDER_REFUSED = "the image service refused the request"
INTERNAL_FAILURE = "something went wrong on our side"

# --- links -----------------------------------------------------------------
LINK_INVALID = "This link is not valid."
LINK_EXPIRED = "This link has expired; ask the bot for a fresh one with /history."
IMAGE_GONE = "This image no longer exists."

# --- outside URLs ----------------------------------------------------------
# Full sentences (BadInput), each shown on its own.
FETCH_BAD_URL = (
    "That doesn't look like a web address; send a link starting with http:// or https://."
)
FETCH_CREDENTIALS_IN_URL = (
    "That link has a user name or password in it; send the plain page address instead."
)
FETCH_NON_WEB_PORT = "I only fetch pages from the standard web ports (80 and 443)."
FETCH_NOT_PUBLIC = "That address is not a public web page, so I won't fetch it."
FETCH_UNREACHABLE = "I couldn't reach that site; check the link and try again."
FETCH_HTTP_ERROR = "The site answered with an error (HTTP {status}); check the link and try again."
FETCH_TIMED_OUT = "The site took too long to answer, so I gave up; please try again later."
FETCH_TOO_MANY_REDIRECTS = "That link redirects too many times, so I gave up following it."
FETCH_PAGE_TOO_LARGE = "That page is larger than {limit_mb} MB, so I stopped reading it."
FETCH_IMAGE_TOO_LARGE = "That image is larger than {limit_mb} MB, so I stopped downloading it."
FETCH_NOT_HTML = "That link is not a web page; send the address of a product page."
FETCH_NOT_IMAGE = "That link is not a PNG, JPEG or WebP image."
FETCH_NOT_DATA = "The shop's product data was not in a format I can read."
FETCH_NO_PRODUCT = "I couldn't find a product on that page; try uploading a photo instead."

# --- AI provider -----------------------------------------------------------
# Lower-case clauses (ProviderFailed, RateLimited): shown inside the "({reason})" of
# JOB_FAILED.
OPENAI_BUSY = "the image service is busy"
OPENAI_UNAVAILABLE = "the image service is not answering"
OPENAI_BAD_KEY = "the image service rejected the API key, so the operator must check OPENAI_API_KEY"
OPENAI_NO_QUOTA = (
    "the image service account is out of quota, so the operator must check its billing"
)
OPENAI_UNKNOWN_MODEL = (
    "the image model {model} is not available, so the operator must check the configured model"
)
OPENAI_BAD_ANSWER = "the image service sent an answer that could not be read"
DESCRIBE_EMPTY = "the image service returned no description"
# Full sentences (ContentRejected), each shown on its own.
OPENAI_CONTENT_REJECTED = (
    "The image service's safety system refused this request; try a different prompt or photo."
)
DESCRIBE_DECLINED = "The image service declined to describe this; please try another photo."

# --- moderation ------------------------------------------------------------
# Full sentences (ContentRejected, and ProviderFailed too): prompts are checked while a
# command is answered, so every one of these is shown on its own.
PROMPT_FLAGGED = (
    "That prompt was flagged by the content check as possibly harmful; please rephrase it."
)
PROMPT_HAS_BLOCKED_WORD = "That prompt uses a word that is not allowed here; please rephrase it."
MODERATION_UNAVAILABLE = (
    "The content check is not answering right now; please try again in a few minutes."
)
MODERATION_MISCONFIGURED = (
    "The content check is not set up correctly; the operator must check OPENAI_API_KEY."
)

# --- operators -------------------------------------------------------------
CANNOT_LISTEN = (
    "Cannot listen on {host}:{port} ({reason}); stop what uses it or set AIOE_LISTEN_PORT."
)

# --- help ------------------------------------------------------------------
#: One line per command, in the order help lists them; adapters add their own syntax.
COMMAND_SUMMARIES = {
    "imagine": "marketing images from a product photo, a product page or a prompt",
    "describe": "a ready-to-use generation prompt for your product",
    "reroll": "more like this: the same request with a new variation",
    "reformat": "the same picture in another format, without a new AI call",
    "cancel": "cancel a running job; its credits are returned",
    "templates": "templates and formats",
    "credits": "your balance and last movements",
    "help": "this text",
    "history": "your images, newest first, ten a page, each with a fresh link",
    "forget": "delete one of your images and its files now",
    "privacy": "what we store about you, why, who receives it, for how long, your rights",
    "privacy export": "a ZIP of all your data, as a private link valid 24 hours",
    "privacy consent": "turn optional analytics on or off (off until you turn it on)",
    "privacy correct": "correct your name or e-mail address",
    "privacy restrict": "keep your data but stop all processing beyond your own requests",
    "privacy object": "object to optional processing such as analytics",
    "delete-me": "erase your account and everything of yours, after a confirmation",
    "buy": "buy credits: a pack, a monthly plan, or your billing portal",
    "credits team": "the team's shared credits, its rules, and your use this month",
    "credits use": "spend the team's shared credits or your own",
    "credits share": "managers: let members spend the team's credits, or stop it",
    "credits cap": "managers: how many team credits each member may spend a month",
}
TEMPLATES_HEADER = "Templates (name, default format, description):"
FORMATS_HEADER = "Formats:"

# --- buttons ---------------------------------------------------------------
ACTION_INVALID = "That button is not valid any more; run the command again instead."
ACTION_NEEDS_CHOICE = "Pick one of the options first."
ACTION_NOT_YOURS = "Only the person who asked can use these buttons; run the command yourself."
ACTION_LABEL_REROLL = "More like this"
ACTION_LABEL_REFORMAT = "Other formats"
ACTION_LABEL_CANCEL = "Cancel"

CREDITS_RETURNED = "Your {cost} credits were returned."
SOMETHING_WENT_WRONG = "Something went wrong on our side; please try again in a moment."
NOT_A_COMMAND = "Commands start with a slash, like /imagine or /help."
PAGE_HAS_NO_IMAGE = (
    "I found the product on that page but no picture of it I can use; "
    "upload a photo of the product instead."
)
IMAGE_NOT_FOUND = "You have no image {image_id}; image IDs are in the replies to /imagine."
SAME_FORMAT = "That image is already {format}; pick another format."
SOURCE_GONE = "The photo that image was made from is no longer stored; start again with /imagine."
DESCRIBE_NEEDS_SOURCE = "Attach a product photo or give a product-page URL to describe."
DESCRIBE_QUEUED = "Writing a prompt for your product (job {job_id}, {cost} credits)."
DESCRIBED = "Here is a prompt for your product:\n{prompt}"

# --- privacy ---------------------------------------------------------------
ON = "on"
OFF = "off"
YES = "yes"
NO = "no"
PRIVACY_TITLE = "Your privacy at AIOE (policy version {version}, {date})"
PRIVACY_WHAT = "What we store, why, and for how long"
PRIVACY_WHO = "Who receives it"
PRIVACY_RIGHTS = "Your rights"
PRIVACY_ERASURE = "Erasure"
PRIVACY_CONTACT = "Contact and complaints"
PRIVACY_CONTACT_TEXT = (
    "Controller: {controller}, {contact}. You may complain to the supervisory authority: "
    "{authority}."
)
PRIVACY_YOURS = "Your settings now"
PRIVACY_NAME = "Name: {name}"
PRIVACY_EMAIL = "E-mail: {email}"
PRIVACY_NONE = "none given"
PRIVACY_ANALYTICS = "Analytics consent: {state} (since {since})"
PRIVACY_NEVER_SET = "never changed; off by default"
PRIVACY_RESTRICTED = "Processing restricted: {state}"
PRIVACY_OBJECTED = "Objected to optional processing: {state}"
EXPORT_STARTED = (
    "Collecting your data (job {job_id}); I'll send you a private link to the ZIP here "
    "when it is ready."
)
EXPORT_READY = (
    "Your data export is ready ({size}). The link is yours alone and works until {expires}."
)
EXPORT_RUNNING = "Your export is being made; the link comes here when it is ready."
EXPORT_TOO_SOON = "You can ask for one export a day; the next is possible from {next}."
EXPORT_GONE = "That export has expired or was deleted; ask for a new one with /privacy export."
CONSENT_UNKNOWN = "There is no optional purpose called {purpose}; the ones you can set: {known}."
CONSENT_ON = (
    "Thank you: {purpose} is on (recorded under policy version {version}); turn it off any "
    "time with /privacy consent {purpose} off."
)
CONSENT_OFF = "{purpose} is off (recorded under policy version {version}); nothing more is counted."
CONSENT_BUT_RESTRICTED = (
    "It stays paused while your processing is restricted or you object; lift that with "
    "/privacy restrict off."
)
CORRECT_UNKNOWN = "You can correct your name or email, not {field}."
CORRECT_BAD_NAME = "A name must be 1 to {limit} characters long."
CORRECT_BAD_EMAIL = "That is not an e-mail address; write it like ada@example.com."
CORRECTED = "Your {field} is now {value}."
RESTRICTED_ON = (
    "Processing of your data is restricted: it is kept, and used only for the requests you "
    "make yourself; nothing optional runs. Lift it with /privacy restrict off."
)
RESTRICTED_OFF = "The restriction is lifted; optional processing follows your consents again."
OBJECTED = (
    "Your objection is recorded: optional processing such as analytics has stopped and your "
    "analytics consent is withdrawn."
)
ERASE_CONFIRM = (
    "This erases your account, images, uploads, prompts and everything else of yours, at "
    "once and for good; credits are lost. Confirm within {minutes} minutes."
)
ERASE_NO_CODE = "There is no erasure waiting for confirmation; start with /delete-me."
ERASE_CODE_EXPIRED = "That confirmation has expired; start again with /delete-me."
ERASE_WRONG_CODE = "That code does not match; start again with /delete-me."
ERASED = (
    "Your account and everything of yours is erased. Bookkeeping records of credits stay "
    "for 7 years under a pseudonym that nothing links to you. Goodbye!"
)
ACTION_LABEL_ERASE = "Erase everything"
LEDGER_ERASED = "returned: the account was erased"
LEDGER_GONE = "returned: the workspace or server removed the bot"
HISTORY_BAD_PAGE = "Pages count from 1; try /history 1."
IMAGE_NOT_YOURS = "You have no image {image_id}; /history lists yours."
FORGOTTEN = "Image {image_id} and its files are deleted; its links no longer work."

# --- billing ---------------------------------------------------------------
BILLING_NOT_CONFIGURED = (
    "Buying credits is not set up here; ask your operator, who can grant credits with "
    "`aioe credits grant`."
)
BUY_TITLE = "Buy credits"
BUY_PACKS = "Packs (once): /buy NAME"
BUY_PLANS = "Plans (every month): /buy NAME"
BUY_OFFER_PACK = "• {name}: {credits} credits for {price}"
BUY_OFFER_PLAN = "• {name}: {credits} credits a month for {price}"
BUY_UNKNOWN = "There is nothing called {name} to buy; choose one of: {known}."
BUY_PACK = (
    "{credits} credits ({name}) for {price}: pay on Stripe's page; the credits come as soon "
    "as it is paid."
)
BUY_PLAN = "The {name} plan, {credits} credits a month for {price}: subscribe on Stripe's page."
BUY_PORTAL = "Your billing portal: change or cancel your plan, download invoices."
BUY_NO_PLAN = "You have no plan to manage; /buy lists what there is."
LEDGER_BOUGHT = "bought: {credits} credits ({name})"
LEDGER_REFUNDED = "taken back: {credits} credits of a refunded payment"
WALLET_FROZEN = (
    "Spending is paused: a payment on this account is disputed with the bank. It resumes "
    "once the dispute is settled."
)
IN_DEBT = (
    "Your balance is {balance} credits after a refund, so nothing can be spent until it is "
    "above zero again; /buy tops it up."
)

# --- team credits ----------------------------------------------------------
TEAM_TITLE = "Shared credits of this {where}"
TEAM_BALANCE = "Balance"
TEAM_BALANCE_TEXT = "{balance} credits"
TEAM_RULES = "Rules"
TEAM_SHARING_ON = "Members may spend them (/credits use team)."
TEAM_SHARING_OFF = "Members may not spend them yet; a manager turns that on with /credits share on."
TEAM_CAP = "Each member may spend {cap} a month."
TEAM_NO_CAP = "No monthly cap per member."
TEAM_YOURS = "You"
TEAM_YOURS_TEXT = "You spend {source} credits; this month you used {used} of the team's."
TEAM_RECENT = "Last movements (UTC)"
TEAM_NO_MOVEMENTS = "No movements yet."
TEAM_ONLY_MANAGERS = "Only a workspace admin or server manager can change the team's credits."
TEAM_NOT_HERE = "Shared credits belong to a Slack workspace or Discord server; use them there."
TEAM_SOURCE_UNKNOWN = "Choose team or personal, not {source}."
TEAM_USING = "You now spend {source} credits here."
TEAM_USING_BUT_CLOSED = (
    "You will spend the team's credits once a manager lets members (/credits share on); "
    "until then your own."
)
TEAM_SHARING_NOW_ON = "Members may now spend the team's credits (/credits use team)."
TEAM_SHARING_NOW_OFF = "Members can no longer spend the team's credits."
TEAM_CAP_SET = "Each member may now spend at most {cap} team credits a month."
TEAM_CAP_OFF = "There is no monthly cap per member any more."
TEAM_CAP_BAD = "A cap is a whole number of credits from 1, or off."
OVER_TEAM_CAP = (
    "Your team lets each member spend {cap} credits a month; you have used {used}, and this "
    "costs {cost}. Switch to your own credits with /credits use personal."
)
BUY_TEAM_PACKS_ONLY = "A team buys packs; plans are for people."
