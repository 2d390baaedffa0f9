"""Award settings from the environment (prefix ``LEADS_AWARDS_``), kept apart from the application settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bridge.awards.rules import DEFAULT_PASSING_THRESHOLD, AwardPolicy


class AwardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADS_AWARDS_", env_file=".env", extra="ignore")

    issuer: str = Field(default="credentials", description="registered issuer name or 'module:factory'")
    lease_seconds: float = Field(default=120.0, description="how long a claimed job is a worker's own")
    batch: int = 20
    max_attempts: int = 8
    backoff_base_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    idle_seconds: float = 1.0
    revoke_on_lower_grade: bool = False
    trust_course_pass: bool = True
    default_threshold: float = DEFAULT_PASSING_THRESHOLD
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description='per LMS source, JSON: {"moodle": "…", "openedx": "…"}')
    webhook_tolerance_seconds: int = 300
    prerender_pdf: bool = Field(default=True, description="render each certificate PDF in a worker after issuance")
    smtp_host: str | None = Field(default=None, description="e-mail on award: off unless set")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "LEADS <leads@example.org>"
    lms_sources: dict[str, str] = Field(
        default_factory=dict,
        description='LTI issuer → LMS source name, JSON: {"https://moodle.example.org": "moodle"}')

    @property
    def policy(self) -> AwardPolicy:
        return AwardPolicy(revoke_on_lower_grade=self.revoke_on_lower_grade, trust_course_pass=self.trust_course_pass,
                           default_threshold=self.default_threshold)
