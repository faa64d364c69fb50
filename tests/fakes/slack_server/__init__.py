"""A local Slack: the Web API, OAuth installs, file uploads and downloads, response URLs and
Socket Mode, checked as Slack checks them and answered in Slack's documented shapes.

``async with slack_server() as fake:`` then point slack_sdk at ``fake.api_url``."""

from tests.fakes.slack_server.checks import MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS, SlackError
from tests.fakes.slack_server.fake import (
    APP_TOKEN_SCOPES,
    DEFAULT_APP_ID,
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_SCOPES,
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM,
    OAUTH_CODE_TTL,
    TRIGGER_TTL,
    FakeSlack,
)
from tests.fakes.slack_server.files import MAX_UPLOAD_BYTES
from tests.fakes.slack_server.records import (
    JSON,
    ROLE_FLAGS,
    ApiCall,
    Channel,
    Download,
    Grant,
    Message,
    OpenedView,
    SlackFile,
    Token,
    User,
    Workspace,
)
from tests.fakes.slack_server.response_urls import RESPONSE_URL_USES
from tests.fakes.slack_server.server import LOGIN_PAGE, slack_server
from tests.fakes.slack_server.socket import ENVELOPE_TYPES
from tests.fakes.slack_server.web_api import METHOD_SCOPES, RETIRED_METHODS, Handler

__all__ = [
    "APP_TOKEN_SCOPES",
    "DEFAULT_APP_ID",
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_SCOPES",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_TEAM",
    "ENVELOPE_TYPES",
    "JSON",
    "LOGIN_PAGE",
    "MAX_MESSAGE_BLOCKS",
    "MAX_UPLOAD_BYTES",
    "MAX_VIEW_BLOCKS",
    "METHOD_SCOPES",
    "OAUTH_CODE_TTL",
    "RESPONSE_URL_USES",
    "RETIRED_METHODS",
    "ROLE_FLAGS",
    "TRIGGER_TTL",
    "ApiCall",
    "Channel",
    "Download",
    "FakeSlack",
    "Grant",
    "Handler",
    "Message",
    "OpenedView",
    "SlackError",
    "SlackFile",
    "Token",
    "User",
    "Workspace",
    "slack_server",
]
