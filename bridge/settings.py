"""The one settings object of a process, from the environment (prefix ``LEADS_``), with embedded defaults for a
newcomer's first run.

The composition root (``bridge/composition.py``, the CLI, the worker) reads it once and hands each domain its part;
no domain reads the environment. Two sections are nested models with flat variable names: ``settings.awards``
(``LEADS_AWARDS_<FIELD>``) and ``settings.courses`` (``LEADS_COURSE_TARGETS``, ``LEADS_COURSE_TARGETS_FILE``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

PLACEHOLDER_SECRET = "change-me-dev-only"
MIN_SECRET_LENGTH = 24
MIN_SECRET_BITS = 96.0  # estimated from the characters' frequencies; `openssl rand -base64 32` gives about 190
SECRETS = {"secret_key": "LEADS_SECRET_KEY", "admin_token": "LEADS_ADMIN_TOKEN",
           "key_passphrase": "LEADS_KEY_PASSPHRASE"}


def estimated_bits(secret: str) -> float:
    """Shannon estimate of a secret's entropy: length times the entropy of its character frequencies."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) if secret else 0.0
    return per_char * len(secret)


def secret_problem(name: str, value: str) -> str | None:
    """Why a secret is too weak for production, or None."""
    hint = "; generate one with `openssl rand -base64 32`"
    if not value.strip():
        return f"{name} is blank{hint}"
    if value == PLACEHOLDER_SECRET:
        return f"{name} is the development placeholder{hint}"
    if len(value) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters{hint}"
    if estimated_bits(value) < MIN_SECRET_BITS or len(set(value)) < 8:
        return f"{name} is too predictable (too few different characters){hint}"
    return None


def unencrypted_keys(data_dir: Path) -> list[Path]:
    """Key files the key stores recorded as written without a passphrase (issuer keys and LTI keys)."""
    found = []
    for index in sorted([*data_dir.glob("keys/*/keys.json"), *data_dir.glob("lti-keys/manifest.json")]):
        try:
            keys = json.loads(index.read_text(encoding="utf-8")).get("keys", [])
        except (OSError, ValueError, AttributeError):
            continue
        found += [index.parent / f"{k.get('key_id') or k.get('kid')}.pem" for k in keys if isinstance(k, dict)
                  and not k.get("encrypted") and k.get("backend", "file") == "file"]  # a token key has no file
    return found


def production_problems(settings: Settings) -> list[str]:
    """Everything production mode refuses, each naming the setting to change."""
    problems = []
    values: dict[str, str] = {}
    for field_name, env in SECRETS.items():
        secret: SecretStr | None = getattr(settings, field_name)
        if secret is None:
            problems.append(f"{env} is not set: production keeps signing keys encrypted with it"
                            "; generate one with `openssl rand -base64 32`")
            continue
        values[env] = secret.get_secret_value()
        problem = secret_problem(env, values[env])
        if problem:
            problems.append(problem)
    names = sorted(values)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if values[first] and values[first] == values[second]:
                problems.append(f"{first} and {second} are the same; each secret must be different")
    if not settings.base_url.lower().startswith("https://"):
        problems.append(f"LEADS_BASE_URL is {settings.base_url!r}: production needs an https:// address "
                        "(credentials, DIDs and cookies depend on it)")
    if settings.effective_database_url.lower().startswith("sqlite"):
        problems.append("LEADS_DATABASE_URL is SQLite (or unset): production needs PostgreSQL, "
                        "e.g. postgresql+psycopg://leads:PASSWORD@db:5432/leads")
    plain = unencrypted_keys(settings.data_dir)
    if plain:
        problems.append(f"{len(plain)} signing key file(s) are not encrypted (e.g. {plain[0]}): encrypt them with "
                        "LEADS_KEY_PASSPHRASE (`leads keys encrypt`) before starting in production mode")
    return problems


class RegistrySource(BaseModel):
    """One issuer registry to follow, as ``knownDIDRegistries`` of @digitalcredentials/verifier-core names it."""

    name: str = Field(min_length=1, description="shown to people, e.g. DCC Sandbox Registry")
    url: str = Field(default="", description="an https URL or a local file path of a registry.json")
    type: str = Field(default="dcc-legacy", description="dcc-legacy is read; other kinds (oidf: OpenID Federation) "
                                                         "are listed as not read, so DCC's own list can be pasted")


#: the pass mark (percent of the maximum) of an assessment whose design leaves it empty (``bridge.awards.rules``)
DEFAULT_PASSING_THRESHOLD = 50.0


class AwardSettings(BaseModel):
    """The award pipeline's section, ``settings.awards``: each field is ``LEADS_AWARDS_<FIELD>``."""

    issuer: str = Field(default="credentials", description="registered issuer name or 'module:factory'")
    lease_seconds: float = Field(default=120.0, gt=0, le=86400, description="how long a claimed job is a worker's own")
    batch: int = Field(default=20, ge=1, le=10000, description="jobs a worker claims at once")
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base_seconds: float = Field(default=10.0, ge=0, le=86400)
    backoff_max_seconds: float = Field(default=3600.0, ge=0, le=7 * 86400)
    # an hour's pause would leave a cohort's awards waiting an hour; 0 is allowed (the loop's floor keeps it sane)
    idle_seconds: float = Field(default=1.0, ge=0, le=300, description="a worker's pause when the queue is empty")
    revoke_on_lower_grade: bool = False
    trust_course_pass: bool = True
    default_threshold: float = Field(default=DEFAULT_PASSING_THRESHOLD, ge=0, le=100)
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description='per LMS source, JSON: {"moodle": "…", "openedx": "…"}')
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=86400)
    prerender_pdf: bool = Field(default=True, description="render each certificate PDF in a worker after issuance")
    keep_done_days: float = Field(default=30, ge=1, le=36500,
                                  description="days done award jobs and LMS event receipts are kept (the awards, "
                                              "grades and credentials themselves stay)")
    smtp_host: str | None = Field(default=None, description="e-mail on award: off unless set")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "LEADS <leads@example.org>"
    lms_sources: dict[str, str] = Field(
        default_factory=dict,
        description='LTI issuer → LMS source name, JSON: {"https://moodle.example.org": "moodle"}')


class CourseSettings(BaseModel):
    """Course generation's section, ``settings.courses``: the LMS sites a course can be created on, as JSON in
    ``LEADS_COURSE_TARGETS`` or in the file ``LEADS_COURSE_TARGETS_FILE`` names (``bridge/courses/targets.py``)."""

    targets: str | None = None
    targets_file: Path | None = None


#: the environment prefix of each section's fields (``LEADS_AWARDS_ISSUER`` → ``settings.awards.issuer``)
SECTIONS = {"awards": "LEADS_AWARDS_", "courses": "LEADS_COURSE_"}


class Settings(BaseSettings):
    # a section's fields are read from LEADS_<SECTION>_<FIELD> (one "_" split after the section's own name), so the
    # nested sections keep the flat variable names operators already use
    model_config = SettingsConfigDict(env_prefix="LEADS_", env_file=".env", extra="ignore", env_nested_delimiter="_",
                                      env_nested_max_split=1, validate_by_name=True)

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in the data directory"
    )
    database_pool_size: int = Field(default=20, ge=1, le=500,
                                    description="PostgreSQL connections each process opens at most and keeps")
    database_max_overflow: int = Field(default=0, ge=0, le=500,
                                       description="more connections open at a peak, each closed after use")
    database_pool_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600,
        description="how long a request waits for a connection when all are in use, before a 503 (busy)")
    certificate_cache_mb: int = Field(
        default=1024, ge=16, le=10_000_000,
        description="disk the rendered certificate PDFs may take in the data directory; the least recently used "
                    "go first past it")
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    admin_token: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    key_passphrase: SecretStr | None = None
    pkcs11_pin: SecretStr | None = None  # user PIN of the PKCS#11 token of an issuer key (leads keys add-pkcs11)

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
    wikibase_editor_client_id: str | None = Field(
        default=None, description="OAuth 2 consumer (authorization code, not owner-only) people sign in with to edit"
    )
    wikibase_editor_client_secret: SecretStr | None = None
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
    pool_keep_empty_days: int = Field(
        default=30, ge=0, le=36500, description="days a pool profile with nothing published is kept before it is "
                                                "deleted (0: kept for ever); its page says when")
    map_keep_days: int = Field(
        default=365, ge=1, le=3650, description="days a learner map she chose to share is kept; its page says until "
                                                "when")
    pool_recheck_retry_seconds: int = Field(
        default=900, ge=1, description="first wait before re-checking an entry whose status could not be checked "
                                       "(doubles each failed try, at most a day)")
    # Scheduled jobs in any process, once per period cluster-wide by a lease in the database (docs/decisions/024)
    scheduled_jobs: str = Field(
        default="", description="scheduled jobs this process takes part in (comma-separated: ags-poll, "
        "pool-recheck, registry-refresh); safe to enable in every web and worker replica")
    schedule_ags_poll_seconds: float = Field(default=600, gt=0, description="period of the AGS grade poll")
    schedule_pool_recheck_seconds: float = Field(default=3600, gt=0, description="period of the pool re-check")
    schedule_registry_refresh_seconds: float = Field(
        default=86_400, gt=0, description="period of the scheduled refresh of the issuer registries")
    schedule_lease_seconds: float = Field(
        default=300, gt=0, description="how long a replica holds a running job without renewing it (renewed every "
        "third of it); after a crash another replica takes the next period once it expires")
    # Wikimedia sign-in (a pool profile's wiki username) and the Capacity Exchange (decision 027)
    wiki_oauth_rest_url: str = Field(
        default="https://meta.wikimedia.org/w/rest.php",
        description="rest.php of the wiki whose OAuth 2 login (Extension:OAuth) proves a pool profile's username")
    wiki_oauth_client_id: str | None = Field(
        default=None, description="an OAuth 2 confidential client of that wiki (Special:OAuthConsumerRegistration), "
        "callback {LEADS_BASE_URL}/pool/wiki/callback, grant 'User identity verification only'")
    wiki_oauth_client_secret: SecretStr | None = None
    capx_api_url: str = Field(default="https://capx-backend.toolforge.org",
                              description="the Capacity Exchange backend the learners' profiles live in")
    linkedin_organization_id: str | None = Field(
        default=None, pattern=r"^[0-9]+$", description="the issuer's LinkedIn page number: LinkedIn's 'Add to "
                                                      "profile' then shows that organisation and its logo")
    linkedin_organization_name: str | None = Field(
        default=None, description="the organisation name for 'Add to profile' without an id (default: the issuer's "
                                  "name in the credential)")
    user_agent: str = "LEADS/0.1 (https://github.com/leads-project/leads; leads@example.org)"
    ca_bundle: Path | None = Field(
        default=None, description="PEM file (or hashed directory) of extra certificate authorities trusted for calls "
        "to LTI platforms, added to the bundled Mozilla set (a private or enterprise CA)")
    trust_system_store: bool = Field(
        default=False, description="verify LTI platforms against the operating system's trust store instead of "
        "the bundled Mozilla set (LEADS_CA_BUNDLE is still added)")

    # Operations: logs, readiness (docs/operations.md, docs/decisions/028)
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per log line, with the request id; no tokens or "
        "personal data either way")
    worker_heartbeat_max_age_seconds: int = Field(
        default=120, ge=0, description="readiness fails when no award worker has beaten for longer (0: do not "
        "check the worker, e.g. a web-only node)")

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
    new_profiles_per_hour: int = Field(default=10, gt=0, le=100_000,
                                       description="attempts to open a pool profile per client address an hour")
    shared_maps_per_hour: int = Field(default=10, gt=0, le=100_000,
                                      description="learner maps one client address may share an hour")
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="any request body")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="PDF and file uploads")
    canonicaliser: str = Field(default="fast", description="RDF canonicaliser for Data Integrity proofs: fast or pyld")
    canon_crosscheck: bool = Field(default=False, description="check every fast canonicalisation against pyld")

    # Sections (see SECTIONS): the award pipeline, course generation
    awards: AwardSettings = Field(default_factory=AwardSettings, description="LEADS_AWARDS_<FIELD>")
    courses: CourseSettings = Field(default_factory=CourseSettings, validation_alias="leads_course",
                                    description="LEADS_COURSE_TARGETS, LEADS_COURSE_TARGETS_FILE")

    @model_validator(mode="after")
    def _refuse_weak_production(self) -> Settings:
        if self.mode == "production":
            problems = production_problems(self)
            if problems:
                raise ValueError("production mode refuses these settings:\n- " + "\n- ".join(problems))
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leads.sqlite3').resolve()}"

    @property
    def pool_keep_empty(self) -> timedelta | None:
        """How long a pool profile with nothing published is kept (``bridge.pool.retention``); None: for ever."""
        return timedelta(days=self.pool_keep_empty_days) if self.pool_keep_empty_days else None

    @property
    def database_pool(self) -> dict[str, Any]:
        """The connection pool's sizes and wait, as ``make_database`` takes them."""
        return {"pool_size": self.database_pool_size, "max_overflow": self.database_max_overflow,
                "pool_timeout": self.database_pool_timeout_seconds}

    @property
    def entity_base(self) -> str:
        """Where entity URIs point: the configured Wikibase, else this service's own data-space pages."""
        return self.wikibase_entity_base or f"{self.base_url.rstrip('/')}/entity/"


def environment_names() -> list[str]:
    """Every variable the settings read (``docs/deploy.md`` describes each one)."""
    names = []
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            section = field.annotation
            assert isinstance(section, type) and issubclass(section, BaseModel)
            names += [f"{SECTIONS[name]}{inner}".upper() for inner in section.model_fields]
        else:
            names.append(f"LEADS_{name}".upper())
    return names


def _env_name(loc: tuple[int | str, ...]) -> str:
    if len(loc) > 1 and loc[0] in SECTIONS:
        return f"{SECTIONS[str(loc[0])]}{loc[1]}".upper()
    return f"LEADS_{loc[0]}".upper()


def _secret(loc: tuple[int | str, ...]) -> bool:
    """Whether the setting at ``loc`` holds a secret, whose value a message must never repeat."""
    fields: dict[str, Any] = Settings.model_fields
    field = fields.get(str(loc[0]))
    if field is not None and len(loc) > 1 and str(loc[0]) in SECTIONS:
        section = field.annotation
        inner = section.model_fields if isinstance(section, type) and issubclass(section, BaseModel) else {}
        field = inner.get(str(loc[1]))
    return field is None or "Secret" in repr(field.annotation)


def _json_problems(error: SettingsError, environ: Mapping[str, str]) -> list[str]:
    """pydantic-settings names only the field whose JSON did not parse (``awards``): find the variable."""
    found = re.search(r'field "(\w+)"', str(error))
    field = Settings.model_fields.get(found.group(1)) if found else None
    if found is None or field is None:
        return [str(error)]
    name = found.group(1)
    section = field.annotation if name in SECTIONS else None
    fields = section.model_fields if isinstance(section, type) and issubclass(section, BaseModel) else {name: field}
    problems, candidates = [], []
    for inner, info in fields.items():
        variable = _env_name((name, inner) if section is not None else (name,))
        if get_origin(info.annotation) not in (dict, list):
            continue
        candidates.append(variable)
        try:
            json.loads(environ.get(variable, "null"))
        except ValueError as exc:  # the value itself is not repeated: it may hold secrets
            problems.append(f"{variable} is not valid JSON ({exc}); docs/deploy.md shows its form")
    return problems or [f"{' or '.join(candidates) or name} (set in .env?) is not valid JSON; docs/deploy.md "
                        "shows its form"]


def settings_problems(error: ValidationError | SettingsError, environ: Mapping[str, str] | None = None) -> list[str]:
    """A settings error as an operator reads it: each line names the variable, its value (unless secret) and what
    is wrong, instead of pydantic's field paths and a link."""
    if not isinstance(error, ValidationError):  # pydantic-settings' SettingsError: a JSON value that did not parse
        return _json_problems(error, os.environ if environ is None else environ)
    problems = []
    for item in error.errors(include_url=False):
        loc, message = tuple(item["loc"]), str(item["msg"]).removeprefix("Value error, ")
        if not loc:  # a check of several settings at once (production mode): its own lines name each variable
            lines = message.splitlines()
            problems += [line[2:] for line in lines if line.startswith("- ")] or [message]
            continue
        value = "" if _secret(loc) or isinstance(item.get("input"), dict) else f" is {item.get('input')!r}"
        inside = loc[2:] if len(loc) > 1 and loc[0] in SECTIONS else loc[1:]  # within a JSON value: its path
        where = f" ({', '.join(f'item {p}' if isinstance(p, int) else str(p) for p in inside)})" if inside else ""
        problems.append(f"{_env_name(loc)}{where}{value}: {message[:1].lower()}{message[1:]}")
    return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
