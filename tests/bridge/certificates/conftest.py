"""A running LEADS app with the sample data space and real credentials issued through POST /api/credentials."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.settings import Settings

ADMIN = {"Authorization": "Bearer change-me-dev-only"}


@dataclass
class Issued:
    id: str
    url: str
    json_bytes: bytes

    @property
    def document(self) -> Any:
        import json

        return json.loads(self.json_bytes)


@dataclass
class Leads:
    client: TestClient
    settings: Settings

    def issue(self, design: str = "glam-mc-rights", fmt: str = "ob3", name: str = "Ada Lovelace",
              grade: str | None = "A") -> Issued:
        body: dict[str, Any] = {"design": design, "learner": {"name": name}, "format": fmt}
        if grade:
            body["grade"] = grade
        r = self.client.post("/api/credentials", json=body, headers=ADMIN)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        raw = self.client.get(f"/credentials/{cid}?format=json")
        assert raw.status_code == 200, raw.text
        return Issued(cid, r.json()["url"], raw.content)

    def revoke(self, issued: Issued, reason: str = "issued by mistake") -> None:
        r = self.client.post(f"/api/credentials/{issued.id}/revoke", json={"reason": reason}, headers=ADMIN)
        assert r.status_code == 200, r.text


@pytest.fixture(scope="session")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leads]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("leads") / "var", base_url="http://testserver",
                        load_sample=True)
    with TestClient(create_app(settings)) as client:
        yield Leads(client, settings)


@pytest.fixture(scope="session")
def ob3(leads: Leads) -> Issued:
    return leads.issue()
