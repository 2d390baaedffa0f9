"""Issuer keys (decision 025): rotation keeps what the old key signed valid, for LEADS and for the Node
reference verifier; retiring a stolen key revokes everything it signed with the reason and re-issues the awards'
credentials through the award pipeline (the worker signs the replacements with the new key)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bridge.awards import service as awards
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.awards.worker import Worker
from bridge.credentials.keys import KeyManager, signing_key
from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.settings import Settings
from issuer.proofs import dataintegrity
from tests import noderef
from tests.bridge.credentials.conftest import ADMIN, issue

STACK = "glam-archive-to-commons-certificate"


def _verify(client: TestClient, credential: Any) -> dict[str, Any]:
    response = client.post("/api/verify", json=credential)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


def _node(tmp: Path, client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    dids = [client.get("/.well-known/did.json").json()]
    lists = {e["statusListCredential"]: client.get(e["statusListCredential"].removeprefix("http://testserver")).json()
             for e in credential["credentialStatus"]}
    return noderef.node_verify(credential, tmp, dids=dids, lists=lists)


@pytest.mark.node
def test_rotate_then_old_and_new_credentials_verify_in_leads_and_node(sqlite_client: TestClient,
                                                                        tmp_path: Path) -> None:
    client = sqlite_client
    old = issue(client)["credential"]
    before = client.get("/api/admin/issuers/leads/keys", headers=ADMIN).json()["keys"]
    assert [k["active"] for k in before] == [True] and before[0]["credentials"] == 1

    rotated = client.post("/api/admin/issuers/leads/keys/rotate", headers=ADMIN)
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["key"]["key_id"]
    new = issue(client)["credential"]
    assert isinstance(old, dict) and isinstance(new, dict)
    assert signing_key(new) == {new_key} and signing_key(old) == {before[0]["key_id"]}

    did = client.get("/.well-known/did.json").json()
    assert len(did["verificationMethod"]) == 2 and len(did["assertionMethod"]) == 2
    for credential in (old, new):
        assert _verify(client, credential)["verdict"] == "verified"
        assert _node(tmp_path, client, credential) == {"verified": True, "errors": []}
    listed = client.get("/api/admin/issuers/leads/keys", headers=ADMIN).json()["keys"]
    assert [(k["active"], k["credentials"]) for k in listed] == [(False, 1), (True, 1)]


def _issued_award(db: Database, settings: Settings, learner: str) -> str:
    with db.session() as session:
        rules = awards.load_rules(session)
        awards.record(session, rules, GradeInput(source="test", learner=learner, learner_name="Ada Lovelace",
                                                 learner_email="ada@example.org", design=STACK,
                                                 assessment="glam-as-rights-quiz", score=9, maximum=10))
    return learner


@pytest.mark.node
def test_retire_a_stolen_key_revokes_with_the_reason_and_reissues_through_the_pipeline(
        client: TestClient, db: Database, settings: Settings, tmp_path: Path) -> None:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    _issued_award(db, settings, "moodle:7")
    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, settings)), batch=10)
    assert worker.run(threading.Event(), once=True) >= 1
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.learner == "moodle:7", Award.state == "issued")).first()
        assert award is not None
        award_id, old_id = award.id, str(award.credential_id)
    old = client.get(f"/credentials/{old_id.removeprefix('urn:uuid:')}").json()
    direct = issue(client)  # issued outside the award pipeline: revoked too, listed for the operator
    stolen = next(iter(signing_key(old)))
    assert _verify(client, old)["verdict"] == "verified"

    response = client.post(f"/api/admin/issuers/leads/keys/{stolen}/retire", headers=ADMIN,
                           json={"reason": "laptop stolen"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["key"]["retired_reason"] == "laptop stolen" and report["active_key"] != stolen
    assert old_id in report["credentials"] and f"urn:uuid:{direct['id']}" in report["credentials"]
    assert set(report["revoked"]) == set(report["credentials"])
    assert report["requeued_awards"] == [award_id]
    assert report["not_requeued"] == [f"urn:uuid:{direct['id']}"]

    # the DID document keeps the key as a verification method but no longer authorises it
    did = client.get("/.well-known/did.json").json()
    stolen_vm = f"{did['id']}#{stolen}"
    assert stolen_vm in [m["id"] for m in did["verificationMethod"]]
    assert stolen_vm not in did["assertionMethod"]

    # the old credential: revoked with the reason (LEADS), rejected by LEADS and by the Node reference verifier
    summary = client.post(f"/api/credentials/{old_id.removeprefix('urn:uuid:')}/revoke", headers=ADMIN,
                          json={"reason": "again"}).json()
    assert summary["revoked"]
    assert summary["revoked_reason"] == "signing key retired (laptop stolen); a replacement is issued"
    verdict = _verify(client, old)
    assert verdict["verdict"] != "verified"
    assert _check(verdict, "proof_purpose")["outcome"] == "failed"
    assert _check(verdict, "status")["message"] == "revoked (the issuer's reason: signing key retired; a replacement " \
        "is issued)"  # the category, not the operator's words
    assert not _node(tmp_path, client, old)["verified"]

    # the worker issues the replacement with the new key; it verifies, and the learner's e-mail carries the notice
    with db.session() as session:
        jobs = session.scalars(select(Job).where(Job.award_id == award_id, Job.state == "queued")).all()
        assert {j.kind for j in jobs} == {"issue", "revoke"}
        assert "withdrawn" in next(j for j in jobs if j.kind == "issue").payload["notice"]
    worker.run(threading.Event(), once=True)
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None and award.state == "issued" and award.credential_id != old_id
        new_id = str(award.credential_id)
        emails = session.scalars(select(Job).where(Job.award_id == award_id, Job.kind == "email")).all()
        assert not emails  # no mailer configured in this worker: no e-mail job (the notice rides on the issue job)
        rows = session.scalars(select(IssuedCredentialRow)).all()
        assert sum(1 for r in rows if r.revoked) == 2
    new = client.get(f"/credentials/{new_id.removeprefix('urn:uuid:')}").json()
    assert signing_key(new) == {report["active_key"]}
    assert _verify(client, new)["verdict"] == "verified"
    assert _node(tmp_path, client, new) == {"verified": True, "errors": []}


@pytest.mark.parametrize("moment", ["signing", "storing"])
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "one"])
def test_no_credential_of_a_key_retired_while_it_was_issued_is_left_unhandled(
        client: TestClient, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, batch: bool,
        moment: str) -> None:
    """A worker's batch (or one issuance) picked the signer, then the key was retired: stored after the
    retirement's scan, its credentials were signed by the retired key, neither revoked nor re-issued. Retired
    while they are signed, they are now signed again with the new key before they are stored; retired while the
    storing transaction is open, the retirement waits for it and revokes them."""
    issue(client)  # the first key
    service = CredentialService(db, settings)
    old_key = service.directory.keys(service.directory.get()).active().key_id
    paused, resume = threading.Event(), threading.Event()
    real_sign, real_retired = dataintegrity.sign, CredentialService._retired

    def pause() -> None:
        if threading.current_thread() is worker and not paused.is_set():
            paused.set()
            assert resume.wait(30)

    def slow_sign(*args: Any, **kwargs: Any) -> Any:  # the batch is signing (seconds of CPU for a big one)
        pause()
        return real_sign(*args, **kwargs)

    def slow_commit(self: CredentialService, keys: Any) -> bool:  # checked, not committed yet
        retired = real_retired(self, keys)
        pause()
        return retired

    ids: list[str] = []

    def run() -> None:
        if batch:
            ids.extend(service.issue_many_ids([IssueInput(design_key="glam-mc-rights", learner_name=f"Learner {i}",
                                                          award_id=f"award-{i}") for i in range(3)]))
        else:
            ids.append(f"urn:uuid:{service.issue(IssueInput(design_key='glam-mc-rights', learner_name='L')).id}")

    if moment == "signing":
        monkeypatch.setattr(dataintegrity, "sign", slow_sign)
    else:
        monkeypatch.setattr(CredentialService, "_retired", slow_commit)
    worker = threading.Thread(target=run)
    worker.start()
    assert paused.wait(30)
    reports: list[Any] = []
    retiring = threading.Thread(target=lambda: reports.append(
        KeyManager(CredentialService(db, settings)).retire(None, old_key, "laptop stolen")))
    retiring.start()
    if moment == "signing":
        retiring.join(30)  # the retirement is done before the batch stores anything
    else:
        retiring.join(1)  # it waits for the open storing transaction
        assert retiring.is_alive() and not reports
    resume.set()
    worker.join(30)
    retiring.join(30)
    assert len(ids) == (3 if batch else 1) and len(reports) == 1
    with db.session() as session:
        unhandled = [row.id for row in session.scalars(select(IssuedCredentialRow))
                     if old_key in signing_key(row.document) and not row.revoked]
    assert unhandled == [], "signed by the retired key, neither revoked nor re-issued"
    for cid in ids:
        document = client.get(f"/credentials/{cid.removeprefix('urn:uuid:')}").json()
        if moment == "signing":  # signed again with the new key
            assert signing_key(document) == {reports[0].active_key}
            assert _verify(client, document)["verdict"] == "verified"
        else:  # found by the retirement: revoked with the reason
            assert cid in reports[0].revoked and _verify(client, document)["verdict"] != "verified"


def test_retire_reaches_the_award_email_notice(db: Database, settings: Settings) -> None:
    """The re-issue's notice is the first paragraph of the learner's e-mail."""
    from email.message import EmailMessage

    sent: list[EmailMessage] = []

    class Mailer:
        def send(self, message: EmailMessage) -> None:
            sent.append(message)

    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    _issued_award(db, settings, "moodle:9")
    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, settings)), batch=10, mailer=Mailer())
    while worker.run(threading.Event(), once=True):
        pass
    sent.clear()
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.state == "issued")).first()
        assert award is not None
        assert awards.requeue_replaced(session, [award.issue_key], "key retired", "Your new credential.") == [award.id]
    while worker.run(threading.Event(), once=True):
        pass
    assert len(sent) == 1 and "Your new credential." in str(sent[0].get_content())


def test_cli_lists_rotates_and_retires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import app
    from bridge.settings import get_settings

    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada", "-o",
                                   str(tmp_path / "c.json")]).exit_code == 0
        listed = runner.invoke(app, ["keys", "list"])
        assert listed.exit_code == 0 and listed.output.startswith("ACTIVE ") and "1 credential(s)" in listed.output
        first = listed.output.split()[1]
        rotated = runner.invoke(app, ["keys", "rotate"])
        assert rotated.exit_code == 0 and "new active key" in rotated.output
        assert runner.invoke(app, ["verify", str(tmp_path / "c.json")]).exit_code == 0
        retired = runner.invoke(app, ["keys", "retire", first, "--reason", "test compromise"])
        assert retired.exit_code == 0, retired.output
        assert "1 credential(s) signed by it; 1 revoked now" in retired.output
        assert "issue them again with `leads issue`" in retired.output
        result = runner.invoke(app, ["verify", str(tmp_path / "c.json")])
        assert result.exit_code == 1 and "signing key retired; a replacement is issued" in result.output
        assert "test compromise" not in result.output  # the operator's words: in `keys list`, not in a verification
        listed = runner.invoke(app, ["keys", "list"])
        assert "RETIRED" in listed.output and "test compromise" in listed.output
        assert runner.invoke(app, ["keys", "retire", "zNope", "--reason", "x"]).exit_code == 2
    finally:
        get_settings.cache_clear()


def test_cli_puts_a_pkcs11_token_key_in_charge_and_its_credentials_verify(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from bridge.cli import app
    from bridge.settings import get_settings
    from tests.softhsm import make_token

    token = make_token(tmp_path_factory.mktemp("softhsm"))
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_PKCS11_PIN", token.pin)
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        added = runner.invoke(app, ["keys", "add-pkcs11", "--module", token.module, "--token", token.label,
                                    "--label", "bridge-cli", "--generate"])
        assert added.exit_code == 0, added.output
        key_id = added.output.split()[2]
        out = tmp_path / "c.json"
        issued = runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada", "-o", str(out)])
        assert issued.exit_code == 0, issued.output
        assert signing_key(json.loads(out.read_text())) == {key_id}
        verified = runner.invoke(app, ["verify", str(out)])
        assert verified.exit_code == 0, verified.output
        listed = runner.invoke(app, ["keys", "list", "--json"])
        # the token key is the first key: no file key was made
        assert [(k["backend"], k["active"]) for k in json.loads(listed.output)] == [("pkcs11", True)]
    finally:
        get_settings.cache_clear()
