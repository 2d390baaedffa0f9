"""Who issued it: the self-signed impostor is genuine but unknown (never "verified"); an issuer the administrators
trust and one from a DCC-format registry file verify as trusted under the registry's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bridge.app import create_app
from bridge.cli import app as cli
from bridge.db import Database
from bridge.settings import RegistrySource, Settings, get_settings
from bridge.trust.sources import RegistrySources
from tests.bridge.credentials.conftest import ADMIN, client, sqlite_client
from tests.bridge.trust.impostor import SelfSigned

__all__ = ["client", "sqlite_client"]


def registry_file(path: Path, entries: dict[str, dict[str, str]]) -> Path:
    path.write_text(json.dumps({"meta": {"created": "2026-01-01T00:00:00+00:00",
                                         "updated": "2026-01-01T00:00:00+00:00"},
                                "registry": entries}), encoding="utf-8")
    return path


def test_self_signed_leads_impostor_is_not_verified_over_the_api(client: TestClient) -> None:
    impostor = SelfSigned()
    report = client.post("/api/verify", json=impostor.credential()).json()
    assert report["verified"] is False and report["genuine"] is True and report["verdict"] == "untrusted"
    assert report["issuer"]["standing"] == "unknown" and report["issuer"]["id"] == impostor.did
    assert report["issuer"]["claimed_name"] == "LEADS learning data space"
    assert "does not know the issuer " + impostor.did in report["summary"]


def test_admin_api_trusts_and_untrusts(client: TestClient) -> None:
    impostor = SelfSigned(name="Example University of Somewhere")
    credential = impostor.credential()
    assert client.post("/api/issuers/trusted", json={"did": impostor.did, "name": "X"}).status_code == 401
    bad = client.post("/api/issuers/trusted", json={"did": "not-a-did", "name": "X"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_did"
    own = client.post("/api/issuers/trusted", json={"did": "did:web:testserver", "name": "X"}, headers=ADMIN)
    assert own.status_code == 409
    for name in ("Example\u202eytisrevinU", "Example\x00University", "Example\u200bUniversity"):  # verifiers read it
        hostile = client.post("/api/issuers/trusted", json={"did": impostor.did, "name": name}, headers=ADMIN)
        assert (hostile.status_code, hostile.json()["error"]) == (422, "invalid_name"), hostile.text
        assert "as people should see it: the name" in hostile.json()["message"]
    added = client.post("/api/issuers/trusted", json={"did": impostor.did, "name": "Example University"},
                        headers=ADMIN)
    assert added.status_code == 201 and added.json()["did"] == impostor.did
    assert [t["did"] for t in client.get("/api/issuers/trusted", headers=ADMIN).json()["trusted"]] == [impostor.did]
    report = client.post("/api/verify", json=credential).json()
    assert report["verified"] is True and report["verdict"] == "verified"
    assert report["issuer"] | {"url": None} == {
        "id": impostor.did, "standing": "registry", "trusted": True, "name": "Example University",
        "registry": "admin", "claimed_name": "Example University of Somewhere", "name_differs": True, "url": None}
    page = client.post("/verify?lang=es", data={"credential": json.dumps(credential)}).text
    verdict = page[page.index('id="verdict"'):page.index("</div>", page.index('id="verdict"'))]
    assert 'data-verdict="verified"' in verdict
    assert ("Emitida por Example University, de confianza para los administradores de esta instalación de LEADS."
            in verdict)
    assert "La credencial llama a su emisor «Example University of Somewhere», pero el registro conoce a este " \
           "emisor como «Example University»." in verdict
    gone = client.delete(f"/api/issuers/trusted/{impostor.did}", headers=ADMIN)
    assert gone.status_code == 204
    assert client.post("/api/verify", json=credential).json()["verdict"] == "untrusted"
    assert client.delete(f"/api/issuers/trusted/{impostor.did}", headers=ADMIN).status_code == 404


@pytest.fixture
def runner(cli_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("LEADS_TRUST_REGISTRIES", raising=False)
    return CliRunner()


def test_leads_verify_refuses_the_impostor_until_an_admin_trusts_it(runner: CliRunner, tmp_path: Path) -> None:
    impostor = SelfSigned()
    path = tmp_path / "mallory.json"
    path.write_text(json.dumps(impostor.credential()), encoding="utf-8")
    result = runner.invoke(cli, ["verify", str(path)])
    assert result.exit_code == 1, result.output
    assert f"the signature is intact but LEADS does not know this issuer: {impostor.did}" in result.output
    assert "PASS  proof" in result.output and "verdict: untrusted" in result.output

    result = runner.invoke(cli, ["issuers", "trust", impostor.did, "--name", "Wikimedia Learning Lab"])
    assert result.exit_code == 0 and f"trusted {impostor.did} as “Wikimedia Learning Lab”" in result.output
    result = runner.invoke(cli, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Wikimedia Learning Lab ({impostor.did}), trusted by this installation's administrators" in result.output
    assert "the credential calls its issuer “LEADS learning data space”; the registry knows it as " \
           "“Wikimedia Learning Lab”" in result.output
    listed = runner.invoke(cli, ["issuers", "list", "--json"])
    assert [t["did"] for t in json.loads(listed.output)["trusted"]] == [impostor.did]
    assert runner.invoke(cli, ["issuers", "untrust", impostor.did]).exit_code == 0
    assert runner.invoke(cli, ["verify", str(path)]).exit_code == 1
    assert runner.invoke(cli, ["issuers", "untrust", impostor.did]).exit_code == 2


def test_registry_file_issuer_verifies_with_the_registry_name(runner: CliRunner, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = SelfSigned(name="Universidad de Ejemplo")
    path = tmp_path / "cred.json"
    path.write_text(json.dumps(issuer.credential("Beatriz")), encoding="utf-8")
    registry = registry_file(tmp_path / "registry.json", {
        issuer.did: {"name": "Universidad de Ejemplo", "location": "Madrid, ES", "url": "https://ejemplo.es"},
        "did:web:other.example": {"name": "Someone Else"}})
    monkeypatch.setenv("LEADS_TRUST_REGISTRIES", json.dumps([{"name": "Test Registry", "url": str(registry)}]))
    get_settings.cache_clear()
    result = runner.invoke(cli, ["verify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    who = json.loads(result.output)["issuer"]
    assert (who["standing"], who["name"], who["registry"], who["url"], who["name_differs"]) == (
        "registry", "Universidad de Ejemplo", "Test Registry", "https://ejemplo.es", False)
    refreshed = runner.invoke(cli, ["issuers", "refresh"])
    assert refreshed.exit_code == 0 and "Test Registry: 2 issuers" in refreshed.output


def test_settings_read_known_did_registries_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``LEADS_TRUST_REGISTRIES`` takes the same list verifier-core's ``knownDIDRegistries`` takes (DCC's published
    list, OpenID Federation entry included: that one is listed as not read, never fetched)."""
    monkeypatch.setenv("LEADS_TRUST_REGISTRIES", json.dumps([
        {"type": "oidf", "fetchEndpoint": "https://registry.dcconsortium.org/fetch?sub=",
         "name": "DCC Member Registry"},
        {"name": "DCC Sandbox Registry", "type": "dcc-legacy",
         "url": "https://digitalcredentials.github.io/sandbox-registry/registry.json"}]))
    registries = Settings().trust_registries
    assert registries[1] == RegistrySource(
        name="DCC Sandbox Registry", url="https://digitalcredentials.github.io/sandbox-registry/registry.json")
    fetched: list[str] = []

    def offline(url: str) -> bytes:
        fetched.append(url)
        raise OSError("no network in tests")

    sources = RegistrySources(registries, tmp_path, refresh_seconds=60, fetch=offline)
    assert sources.lookup("did:web:example.org") is None
    assert fetched == ["https://digitalcredentials.github.io/sandbox-registry/registry.json"]
    assert "not read" in (sources.states[0].error or "") and "OSError" in (sources.states[1].error or "")


def test_registry_issuer_on_the_verify_page_shows_the_registry_name(settings: Settings, db: Database,
                                                                     tmp_path: Path) -> None:
    issuer = SelfSigned(name="LEADS learning data space")  # claims our name; the registry knows better
    registry = registry_file(tmp_path / "registry.json", {issuer.did: {"name": "Escuela de Ejemplo"}})
    configured = settings.model_copy(update={"trust_registries": [RegistrySource(name="Red de Ejemplo",
                                                                                  url=str(registry))]})
    with TestClient(create_app(configured, db)) as app:
        page = app.post("/verify", data={"credential": json.dumps(issuer.credential())}).text
    verdict = page[page.index('id="verdict"'):page.index("</div>", page.index('id="verdict"'))]
    assert 'data-verdict="verified"' in verdict
    assert "Issued by Escuela de Ejemplo, listed in the issuer registry “Red de Ejemplo”." in verdict
    assert "The credential calls its issuer “LEADS learning data space”, but the registry knows this issuer as " \
           "“Escuela de Ejemplo”." in verdict
