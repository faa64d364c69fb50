"""Settings from the environment, ``.env`` and ``config/default.toml``, in that order."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_DIR = Path(os.environ.get("AIOE_CONFIG_DIR", Path(__file__).resolve().parents[1] / "config"))
FETCH_ALLOW_EXPECTED = "expected comma-separated loopback host:port pairs such as 127.0.0.1:8081"


def _vendor(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything is optional: the defaults give the embedded, offline setup."""

    model_config = SettingsConfigDict(
        env_prefix="AIOE_", env_file=".env", extra="ignore", toml_file=CONFIG_DIR / "default.toml"
    )

    data_dir: Path = Path("./var")
    database_url: str | None = None
    blob_url: str | None = None
    public_url: str = "http://127.0.0.1:8080"
    listen_host: str = "127.0.0.1"
    listen_port: int | None = Field(None, ge=1, le=65535)
    secret_key: str | None = None
    provider: Literal["studio", "openai"] = "studio"
    free_credits: int = Field(10, ge=0)
    studio_cost: int = Field(1, ge=0)
    openai_cost: int = Field(4, ge=0)
    describe_cost: int = Field(1, ge=0)
    reformat_cost: int = Field(1, ge=0)
    blocked_words: list[str] = Field(default_factory=list)
    openai_image_model: str = "gpt-image-1.5"
    openai_quality: Literal["auto", "low", "medium", "high"] = "auto"
    openai_sizes: dict[str, str] = Field(default_factory=dict)
    openai_timeout_seconds: float = Field(120.0, gt=0, le=180)
    openai_vision_model: str = "gpt-4.1-mini"
    link_ttl_days: float = Field(7, gt=0)
    job_max_attempts: int = Field(3, ge=1)
    job_retry_base_seconds: float = Field(2.0, ge=0)
    job_lease_seconds: float = Field(60.0, gt=0)
    delivery_lease_seconds: float = Field(60.0, gt=0)
    delivery_retry_seconds: float = Field(5.0, gt=0)
    worker_poll_seconds: float = Field(1.0, gt=0)
    endpoint_lease_seconds: float = Field(60.0, gt=0)
    upkeep_seconds: float = Field(30.0, gt=0)
    sweep_seconds: float = Field(3600.0, gt=0)
    log_level: str = "INFO"
    fetch_allow: str = ""

    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: str | None = Field(None, validation_alias=_vendor("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=_vendor("SLACK_SIGNING_SECRET"))
    slack_app_token: str | None = Field(None, validation_alias=_vendor("SLACK_APP_TOKEN"))
    slack_client_id: str | None = Field(None, validation_alias=_vendor("SLACK_CLIENT_ID"))
    slack_client_secret: str | None = Field(None, validation_alias=_vendor("SLACK_CLIENT_SECRET"))

    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    discord_token: str | None = Field(None, validation_alias=_vendor("DISCORD_TOKEN"))
    stripe_api_key: str | None = Field(None, validation_alias=_vendor("STRIPE_API_KEY"))
    stripe_webhook_secret: str | None = Field(
        None, validation_alias=_vendor("STRIPE_WEBHOOK_SECRET")
    )
    stripe_api_url: str | None = None  # AIOE_STRIPE_API_URL: Stripe's API elsewhere (tests)

    openai_api_key: str | None = Field(None, validation_alias=_vendor("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_vendor("OPENAI_BASE_URL"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @field_validator("fetch_allow")
    @classmethod
    def _loopback_pairs(cls, value: str) -> str:
        if not value.strip():  # the usual case: no need to load idna and yarl for it
            return value
        from adapters.fetch.targets import parse_allow

        try:
            parse_allow(value)
        except ValueError:
            raise ValueError(FETCH_ALLOW_EXPECTED) from None
        return value

    @property
    def slack_configured(self) -> bool:
        """A Slack app this process can deliver for: one workspace's bot token, or OAuth
        installs kept in the database."""
        return bool(self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'aioe.db').resolve()}"

    @property
    def blob_root(self) -> Path:
        if self.blob_url and self.blob_url.startswith("file://"):
            return Path(self.blob_url.removeprefix("file://"))
        return self.data_dir / "blobs"

    def resolved_secret_key(self) -> str:
        """``AIOE_SECRET_KEY``, or a key generated once under the data folder (mode 0600).

        The key is written in full to a private temporary file and then hard-linked into
        place, so a process starting at the same moment reads either no file or the whole
        key, and every process ends up with the one key that won.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _publish_new_key(path)
        return _read_key(path)


def describe_errors(error: ValidationError) -> list[str]:
    """One sentence per bad setting, naming the environment variable that sets it."""
    sentences = []
    for problem in error.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if problem["type"] == "value_error":
            detail = str(problem["ctx"]["error"])
        else:
            detail = problem["msg"][:1].lower() + problem["msg"][1:]
        sentences.append(f"{_variable(field)}: {detail}, got {problem['input']!r}.")
    return sentences


def _variable(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        return str(info.validation_alias.choices[0])
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


#: Shortest key accepted from the key file.
MIN_SECRET_KEY_LENGTH = 32


def _publish_new_key(path: Path) -> None:
    key = secrets.token_urlsafe(48)
    fd, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SystemExit(
            f"The secret key file {path} is empty or shorter than {MIN_SECRET_KEY_LENGTH} "
            "characters; remove it to have a new key made, or set AIOE_SECRET_KEY."
        )
    return key
