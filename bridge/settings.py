"""Settings from the environment (prefix ``LEADS_``), with embedded defaults for a newcomer's first run."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-dev-only"


class RegistrySource(BaseModel):
    """One issuer registry to follow, as ``knownDIDRegistries`` of @digitalcredentials/verifier-core names it."""

    name: str = Field(min_length=1, description="shown to people, e.g. DCC Sandbox Registry")
    url: str = Field(default="", description="an https URL or a local file path of a registry.json")
    type: str = Field(default="dcc-legacy", description="dcc-legacy is read; other kinds (oidf: OpenID Federation) "
                                                         "are listed as not read, so DCC's own list can be pasted")


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

    # Issuer trust ("verified" needs a genuine credential AND an issuer someone vouches for)
    trust_registries: list[RegistrySource] = Field(
        default_factory=list,
        description='issuer registries in the DCC format, most authoritative first, as JSON: '
                    '[{"name": "DCC Sandbox Registry", "url": "https://…/registry.json"}, {"name": …, "url": "/path"}]',
    )
    trust_refresh_seconds: int = Field(default=86_400, ge=60, description="how often registries are fetched again")
    pool_trust: Literal["installation", "registry"] = Field(
        default="installation",
        description="whose credentials the pool takes: this installation's own issuers only, or also issuers its "
                    "administrators trust and those in the configured registries",
    )
    pool_recheck_retry_seconds: int = Field(
        default=900, ge=1, description="first wait before re-checking an entry whose status could not be checked "
                                       "(doubles each failed try, at most a day)")
    user_agent: str = "LEADS/0.1 (https://github.com/leads-project/leads; leads@example.org)"

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
