"""The composition root: every long-lived service of a LEADS process, built once and typed.

The app factory, the CLI and the worker build their services here, so a route, a command and a worker loop use the
same credential service, verifier and settings. Routes receive them through FastAPI dependencies (the
``credential_service``, ``verifier``, ``trust_book``, ``award_settings`` … providers of each domain's ``api``
door), which read what ``install`` put on the application once. Hooks that point upwards in the domain layers
(decision 019) are wired here too: the data space reads Wikibase dumps with the Wikibase codec, the LTI tool tells
the award pipeline about launches, the award pages show wallet offers.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from bridge.awards.api import AwardSettings, record_lti_launch
from bridge.certificates.api import PdfCache, pdf_cache_for
from bridge.credentials.api import CredentialService, Verifier
from bridge.db import Database
from bridge.ltitool.api import LtiTool
from bridge.pool.api import PoolVerifier, SkillList
from bridge.settings import Settings
from bridge.startup import wire_codecs
from bridge.trust.api import IssuerTrustBook
from bridge.wallets.api import offer_view
from bridge.web.admin import AdminSessions, FailureLimiter
from bridge.web.gate import RateLimiter, lend_turn


@dataclass
class Services:
    """What a web process holds for its lifetime."""

    settings: Settings
    db: Database
    credentials: CredentialService
    verifier: Verifier
    pool_verifier: PoolVerifier
    award_settings: AwardSettings
    certificate_pdfs: PdfCache
    admin_limiter: FailureLimiter
    admin_sessions: AdminSessions
    capx_skills: SkillList
    map_shares: RateLimiter  # shared learner maps per client address an hour (each is a row kept a year)

    @property
    def trust_book(self) -> IssuerTrustBook:
        return self.verifier.trust

    def close(self) -> None:
        self.verifier.close()


def credential_service(settings: Settings, db: Database) -> CredentialService:
    return CredentialService(db, settings)


def verifier(settings: Settings, db: Database) -> Verifier:
    """A verifier of its own (a CLI command closes it when done)."""
    return Verifier(credential_service(settings, db))


def pool_verifier(settings: Settings, db: Database) -> PoolVerifier:
    return PoolVerifier(verifier(settings, db), settings.pool_trust)


def build(settings: Settings, db: Database) -> Services:
    """The services of a web process (the CLI builds the one it needs per command with the functions above)."""
    wire_codecs(settings)
    credentials = credential_service(settings, db)
    # verifications waiting on a slow upstream hand their CPU turn on (bridge/web/gate.py)
    checker = Verifier(credentials, on_network=lend_turn)
    return Services(settings=settings, db=db, credentials=credentials, verifier=checker,
                    pool_verifier=PoolVerifier(checker, settings.pool_trust), award_settings=settings.awards,
                    certificate_pdfs=pdf_cache_for(settings), admin_limiter=FailureLimiter(),
                    admin_sessions=AdminSessions(db), capx_skills=SkillList(),
                    map_shares=RateLimiter(settings.shared_maps_per_hour / 60, burst=settings.shared_maps_per_hour))


def install(app: FastAPI, services: Services) -> None:
    """Put the services where the domains' dependency providers read them (once, at start)."""
    state = app.state
    state.services = services
    state.settings, state.db = services.settings, services.db
    state.credentials, state.verifier, state.trust_book = services.credentials, services.verifier, services.trust_book
    state.pool_verifier, state.award_settings = services.pool_verifier, services.award_settings
    state.certificate_pdfs = services.certificate_pdfs
    state.admin_limiter, state.admin_sessions = services.admin_limiter, services.admin_sessions
    state.capx_skills = services.capx_skills
    state.map_shares = services.map_shares
    state.wallet_offers = offer_view


def wire_lti(tool: LtiTool) -> None:
    """Every valid LTI launch is recorded for the award pipeline (who, which course, whether to poll grades)."""
    tool.launch_listeners.append(record_lti_launch)
