"""Settings from the environment (prefix ``LEADS_``), with embedded defaults for a newcomer's first run."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-dev-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADS_", env_file=".env", extra="ignore")

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in the data directory"
    )
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    admin_token: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    key_passphrase: SecretStr | None = None

    # Wikibase data space
    wikibase_api_url: str | None = Field(default=None, description="e.g. https://leads.wikibase.cloud/w/api.php")
    wikibase_entity_base: str | None = Field(
        default=None, description="Concept URI prefix, e.g. https://leads.wikibase.cloud/entity/"
    )
    wikibase_user: str | None = None
    wikibase_password: SecretStr | None = None
    wikibase_oauth_client_id: str | None = Field(
        default=None, description="OAuth 2 owner-only consumer (client credentials grant) instead of a bot password"
    )
    wikibase_oauth_client_secret: SecretStr | None = None
    wikibase_rest_url: str | None = Field(default=None, description="default: the API URL with rest.php for api.php")
    wikibase_property_map: Path | None = Field(
        default=None, description="JSON file mapping LEADS property/class keys to this Wikibase's ids"
    )
    wikibase_max_retries: int = 5
    wikibase_backoff_seconds: float = 1.0
    load_sample: bool = True
    user_agent: str = "LEADS/0.1 (https://github.com/leads-project/leads; leads@example.org)"
    ca_bundle: Path | None = Field(
        default=None, description="PEM file (or hashed directory) of extra certificate authorities trusted for calls "
        "to LTI platforms, added to the bundled Mozilla set (a private or enterprise CA)")
    trust_system_store: bool = Field(
        default=False, description="verify LTI platforms against the operating system's trust store instead of "
        "the bundled Mozilla set (LEADS_CA_BUNDLE is still added)")

    # Outbound fetches of verification (status lists, did:web) and request bounds (docs/decisions/013)
    fetch_allowed_hosts: str = Field(
        default="", description="hosts verification may fetch from although private (comma-separated: "
        "https://wiki.internal, wiki.internal:8443 or a bare host); this installation's base URL always is")
    fetch_timeout_seconds: float = Field(default=10.0, gt=0, description="one outbound fetch, redirects included")
    verify_timeout_seconds: float = Field(default=20.0, gt=0, description="all fetches of one verification")
    fetch_max_bytes: int = Field(default=256 * 1024, gt=0, description="a status list or DID document")
    fetch_concurrency: int = Field(default=8, gt=0, description="outbound fetches running at once, per process")
    verify_concurrency: int = Field(default=8, gt=0, description="unauthenticated verifications running at once")
    verify_queue_seconds: float = Field(default=20.0, ge=0, description="how long one waits for a turn (then 503)")
    verify_rate_per_minute: int = Field(default=30, gt=0, description="unauthenticated verifications per client")
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="any request body")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="PDF and file uploads")

    @model_validator(mode="after")
    def _refuse_placeholder_in_production(self) -> Settings:
        if self.mode == "production":
            for name in ("secret_key", "admin_token"):
                value: SecretStr = getattr(self, name)
                if value.get_secret_value() == PLACEHOLDER_SECRET or len(value.get_secret_value()) < 16:
                    raise ValueError(
                        f"LEADS_{name.upper()} is the development placeholder (or shorter than 16 "
                        "characters); set a real secret before starting in production mode"
                    )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leads.sqlite3').resolve()}"

    @property
    def entity_base(self) -> str:
        """Where entity URIs point: the configured Wikibase, else this service's own data-space pages."""
        return self.wikibase_entity_base or f"{self.base_url.rstrip('/')}/entity/"


@lru_cache
def get_settings() -> Settings:
    return Settings()
