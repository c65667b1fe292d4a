"""Settings, read from ``KASSA_*`` environment variables and validated before anything starts."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_VERSION = "2026-04-01"
SUPPORTED_API_VERSIONS = frozenset({API_VERSION})


class SettingsError(Exception):
    """The configuration is invalid; the message says which variable and why."""


class Settings(BaseSettings):
    """Kassa's configuration. Every field maps to ``KASSA_<NAME>``."""

    # Inputs stay out of validation errors: KASSA_SMTP_URL and the Twilio token hold secrets.
    model_config = SettingsConfigDict(
        env_prefix="KASSA_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    database_url: str = Field(
        "sqlite:///./kassa.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str | None = Field(
        None, description="The address customers reach Kassa at (https://billing.example.com): "
        "links Kassa hands out (portal, checkout, PDFs in emails) are built on it; unset: on the "
        "asking request's own base URL, or http://HOST:PORT where there is no request")
    log_level: str = Field("info", pattern="^(critical|error|warning|info|debug)$")
    default_currency: str = Field("USD", min_length=3, max_length=3)
    webhook_allow_private: bool = Field(
        False, description="Allow webhook endpoints on private addresses in production"
    )
    sandbox_webhook_allow_private: bool = Field(
        True, description="Allow sandbox webhook endpoints on loopback and private addresses "
        "(local development); link-local and cloud-metadata addresses are refused everywhere"
    )
    embedded_worker: bool = Field(True, description="Run a worker inside 'kassa serve'")
    worker_poll_seconds: float = Field(0.5, gt=0, le=60)
    worker_lease_seconds: float = Field(
        60,
        ge=0.5,
        le=3600,
        description="How long a claimed job stays a worker's before another takes it over; "
        "keep it well above twice the 15 s webhook timeout",
    )
    worker_batch_size: int = Field(
        20, ge=1, le=500, description="Jobs a worker thread claims at once"
    )
    db_pool_size: int = Field(10, ge=1, le=200)
    billing_chunk_size: int = Field(
        500, ge=1, le=10_000, description="Subscriptions billed per transaction"
    )
    workers: int = Field(1, ge=1, le=64, description="Processes 'kassa serve' runs")
    render_pdfs_on_issue: bool = Field(
        True, description="Render and store each invoice's PDF as it is issued (the "
        "render_document job); false: on its first download")
    subscription_ending_soon_days: int = Field(
        30, ge=0, le=3650, description="Days before a term ends that subscription.ending_soon fires"
    )

    # The operator key sealing secrets Kassa must read back (webhook signing secrets; kassa.sealing).
    secret_key: SecretStr | None = Field(
        None, description="The operator key (at least 32 characters) webhook signing secrets are "
        "encrypted under; unset: the key in KASSA_SECRET_KEY_FILE, generated there on first need")
    secret_key_previous: SecretStr | None = Field(
        None, description="Earlier operator keys (comma-separated), only to read what they "
        "sealed until 'kassa secrets rotate' has resealed it under KASSA_SECRET_KEY")
    secret_key_file: str = Field(
        "kassa-secret.key", description="Where the generated operator key is kept when "
        "KASSA_SECRET_KEY is unset (created owner-only on first need)")

    # Channels (kassa.channels): unset means that channel fails every send, saying what to set.
    smtp_url: str | None = Field(
        None, repr=False,
        description="smtp://host:port, smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465",
    )
    email_from: str = Field("Kassa <billing@localhost>", description="The sender of every email")
    slack_webhook_url: str | None = Field(
        None, repr=False, description="Slack incoming webhook for send_slack steps without one"
    )
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = Field(None, description="The sending phone number, e.g. +15005550006")
    twilio_api_base: str = Field("https://api.twilio.com", description="Twilio's API (or a stand-in)")

    # Stripe (kassa.integrations.stripe): a secret key per environment makes Stripe that
    # environment's processor; the sandbox keeps its simulator without a test key.
    stripe_secret_key_production: SecretStr | None = Field(
        None, description="sk_live_...: production charges cards, ACH and SEPA through Stripe")
    stripe_secret_key_sandbox: SecretStr | None = Field(
        None, description="sk_test_...: the sandbox uses Stripe's test mode instead of the "
        "simulator")
    stripe_webhook_secret_production: SecretStr | None = Field(
        None, description="whsec_...: the signing secret of production's Stripe webhook endpoint")
    stripe_webhook_secret_sandbox: SecretStr | None = Field(
        None, description="whsec_...: the signing secret of the sandbox's Stripe webhook endpoint")
    stripe_api_base: str | None = Field(
        None, description="Another Stripe API address (a local stand-in for tests); with it, "
        "production may use a test key")
    stripe_payment_methods: str = Field(
        "card,us_bank_account,sepa_debit", description="The payment method types Stripe's "
        "hosted setup offers (comma-separated: card, us_bank_account, sepa_debit); Apple Pay and "
        "Google Pay come with card")

    @field_validator(
        "smtp_url", "slack_webhook_url", "twilio_account_sid", "twilio_auth_token", "twilio_from",
        "stripe_secret_key_production", "stripe_secret_key_sandbox",
        "stripe_webhook_secret_production", "stripe_webhook_secret_sandbox", "stripe_api_base",
        "secret_key", "secret_key_previous",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        from kassa.channels.email import parse_smtp_url

        if value is not None:
            parse_smtp_url(value)  # its ValueError never quotes the URL (it may hold a password)
        return value

    @field_validator("secret_key")
    @classmethod
    def _operator_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("must be at least 32 characters (for example the output of "
                             "python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("secret_key_previous")
    @classmethod
    def _previous_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(
            0 < len(part.strip()) < 32 for part in value.get_secret_value().split(",")
        ):
            raise ValueError("each comma-separated key must be at least 32 characters")
        return value

    @field_validator("email_from")
    @classmethod
    def _email_from(cls, value: str) -> str:
        from kassa.channels.email import sender_address

        sender_address(value)
        return value.strip()

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")

    @field_validator("slack_webhook_url", "twilio_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _twilio_complete(self) -> Settings:
        names = {"twilio_account_sid": self.twilio_account_sid,
                 "twilio_auth_token": self.twilio_auth_token, "twilio_from": self.twilio_from}
        missing = [f"KASSA_{name.upper()}" for name, value in names.items() if value is None]
        if 0 < len(missing) < len(names):
            raise ValueError(f"SMS needs all three Twilio settings; missing {', '.join(missing)}")
        return self

    @field_validator("stripe_api_base")
    @classmethod
    def _stripe_api_base(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/") if value is not None else None

    @field_validator("stripe_webhook_secret_production", "stripe_webhook_secret_sandbox")
    @classmethod
    def _stripe_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("must be a Stripe webhook signing secret (whsec_...)")
        return value

    @field_validator("stripe_payment_methods")
    @classmethod
    def _stripe_methods(cls, value: str) -> str:
        from kassa.payments import STRIPE_METHOD_TYPES

        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in STRIPE_METHOD_TYPES]
        if unknown or not names:
            raise ValueError(f"must name some of {', '.join(STRIPE_METHOD_TYPES)}"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        return ",".join(dict.fromkeys(names))

    @model_validator(mode="after")
    def _stripe_keys(self) -> Settings:
        for environment, live in (("production", True), ("sandbox", False)):
            key = getattr(self, f"stripe_secret_key_{environment}")
            secret = getattr(self, f"stripe_webhook_secret_{environment}")
            name = f"KASSA_STRIPE_SECRET_KEY_{environment.upper()}"
            hook = f"KASSA_STRIPE_WEBHOOK_SECRET_{environment.upper()}"
            if key is None:
                if secret is not None:
                    raise ValueError(f"{hook} is set but {name} is not")
                continue
            text = key.get_secret_value()
            if not text.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
                raise ValueError(f"{name} must be a Stripe secret key (sk_live_... or sk_test_...)")
            is_live = text.startswith(("sk_live_", "rk_live_"))
            if live and not is_live and self.stripe_api_base is None:
                raise ValueError(f"{name} must be a live key (sk_live_...); a test key is for "
                                 "KASSA_STRIPE_SECRET_KEY_SANDBOX")
            if not live and is_live:
                raise ValueError(f"{name} must be a test key (sk_test_...): the sandbox never "
                                 "moves real money")
            if secret is None:
                raise ValueError(f"{name} needs {hook}: ACH and SEPA payments and payment "
                                 "method setup finish by Stripe's webhooks")
        return self

    def stripe_methods(self) -> tuple[str, ...]:
        """The payment method types Stripe's hosted setup offers."""
        return tuple(self.stripe_payment_methods.split(","))

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        value = value.strip()
        if value.startswith(("postgres://", "postgresql://")):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "must start with sqlite:/// (embedded) or postgresql+psycopg:// (PostgreSQL)"
            )
        return value

    @field_validator("default_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from kassa.domain.currencies import is_currency

        value = value.upper()
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment; raise SettingsError with a readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "KASSA_" + "_".join(str(p) for p in err["loc"]).upper()
            # a check across several variables (no loc) names them in its message
            problems.append(f"{name}: {err['msg']}" if err["loc"] else err["msg"])
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(problems)) from None
