"""A served LEADS (uvicorn on loopback) with the sample data space and one issued award of Ada's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bridge.app import create_app
from bridge.awards.tables import Award
from bridge.credentials.service import CredentialService
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.wallets.service import WalletService
from tests.lti.serving import serve

ADA = "moodle:ada"
DESIGN = "glam-mc-rights"


@dataclass
class Site:
    base: str
    db: Database
    settings: Settings
    http: httpx.Client
    award: str

    def wallets(self) -> WalletService:
        return WalletService(self.db, CredentialService(self.db, self.settings))

    def offer_uri(self, learner: str = ADA) -> str:
        return self.wallets().create_offer(self.award, learner).deep_link


def add_award(db: Database, learner: str = ADA, name: str = "Ada Lovelace", state: str = "issued") -> str:
    with db.session() as session:
        award = Award(learner=learner, learner_name=name, design=DESIGN, achievement=DESIGN, context="moodle:c1",
                      state=state, created_at=datetime(2026, 11, 30, tzinfo=UTC),
                      issued_at=datetime(2026, 11, 30, tzinfo=UTC) if state == "issued" else None)
        session.add(award)
        session.flush()
        return award.id


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[Site]:
    dataspace_service.load_sample_if_empty(db)
    award = add_award(db)
    holder: dict[str, Settings] = {}

    def make(base: str) -> object:
        holder["settings"] = Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False)
        return create_app(holder["settings"], db)

    with serve(make) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Site(base=base, db=db, settings=holder["settings"], http=http, award=award)
