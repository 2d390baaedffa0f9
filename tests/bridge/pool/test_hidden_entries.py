"""A credential the pool hides (its issuer suspended it, it no longer verifies, its issuer is no longer trusted) is
shown to nobody: its evidence page answers 404 as if it had never been published (ids are sequential: anyone could
read who was suspended). Its owner sees it, with why, on her own views (the management token, the API, "My
certificates") and can unpublish it there."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from bridge.credentials.service import CredentialService
from bridge.pool.tables import PoolEntry
from tests.bridge.pool.fakes import FakeWikiOAuth
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.identity import sign_in, start_login
from tests.bridge.pool.test_pool import COMPETENCE, issue, people
from tests.bridge.pool.test_wiki_login import CAT, JSON, client, new_profile, wiki

__all__ = ["client", "wiki"]
TITLE = "Micro-credential: Rights and licensing for GLAM uploads"


def _published(client: TestClient, handle: str = "cat", name: str = "Cat Example") -> tuple[dict[str, str], int, str]:
    """A profile with one credential of this installation on it: its auth header, entry id and credential id."""
    holder = Holder()
    issued = issue(client, name, holder=holder)
    auth = new_profile(client, handle)
    published = client.post(f"/api/pool/profiles/{handle}/credentials", headers=auth,
                            json={"presentation": holder.present(client, issued["credential"])})
    assert published.status_code == 201, published.text
    return auth, int(published.json()["id"]), str(issued["id"])


def _suspend(client: TestClient, credential_id: str) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    CredentialService(state.db, state.settings).suspend(credential_id, "disciplinary review")


def _state(client: TestClient, entry_id: int, value: str) -> None:
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.execute(update(PoolEntry).where(PoolEntry.id == entry_id).values(state=value))


def test_a_hidden_entry_is_not_found_like_one_that_never_was(client: TestClient) -> None:
    _auth, entry, credential = _published(client)
    assert client.get(f"/pool/evidence/{entry}", headers=JSON).status_code == 200
    _suspend(client, credential)
    assert people(client, competence=COMPETENCE) == []
    hidden = client.get(f"/pool/evidence/{entry}", headers=JSON)
    never = client.get(f"/pool/evidence/{entry + 1}", headers=JSON)
    assert hidden.status_code == never.status_code == 404
    assert hidden.json()["error"] == never.json()["error"] == "evidence_gone"
    assert hidden.json()["message"] == never.json()["message"].replace(str(entry + 1), str(entry))
    page = client.get(f"/pool/evidence/{entry}")
    assert page.status_code == 404
    for secret in ("Cat Example", "Suspended", "suspended by", "/pool/people/cat"):
        assert secret not in page.text, secret
    assert "Cat Example" not in client.get(f"/pool/evidence/{entry}?lang=es").text
    assert TITLE not in client.get("/pool/people/cat").text

    # the suspension lifted, the evidence is back as it was
    state = client.app.state  # type: ignore[attr-defined]
    CredentialService(state.db, state.settings).unsuspend(credential, "review closed")
    back = client.get(f"/pool/evidence/{entry}", headers=JSON)
    assert back.status_code == 200 and back.json()["listed"] is True and back.json()["profile"]["handle"] == "cat"


def test_the_evidence_page_says_its_checks_in_the_readers_words(client: TestClient) -> None:
    """It printed the verifier's own English ("proof: eddsa-rdfc-2022 signature by did:… is valid") on every page."""
    _auth, entry, _credential = _published(client, "gil", "Gil Example")
    page = client.get(f"/pool/evidence/{entry}?lang=es").text
    assert "¿Está intacta la firma?" in page and "¿Ha sido revocada?" in page
    assert "signature by" not in page and "revocation: not set" not in page
    assert "Evaluación de derechos de autor y licencias" in page  # the competence too, not its English label
    for spanish in (client.get("/pool/people/gil?lang=es").text, client.get("/pool?lang=es").text,
                    client.get(f"/pool/competences/{COMPETENCE}?lang=es").text):
        assert "Evaluación de derechos de autor y licencias" in spanish
        assert "Copyright and licensing assessment" not in spanish
    assert "Is the signature intact?" in client.get(f"/pool/evidence/{entry}?lang=en").text
    checks = client.get(f"/pool/evidence/{entry}", headers=JSON).json()["verification"]["checks"]
    assert {"name": "proof", "ok": True, "outcome": "passed"}.items() <= checks[0].items()  # the API keeps them


def test_a_profile_whose_entries_are_hidden_looks_like_an_empty_one(client: TestClient) -> None:
    """Before, an empty profile's page named the day it could be deleted and one with only hidden entries did not
    (it is not empty): a profile showing nothing and no such day held a suspended or no longer trusted credential."""
    _auth, _entry, credential = _published(client, "eve", "Eve Example")
    _suspend(client, credential)
    new_profile(client, "fay")
    for lang in ("en", "es"):
        eve, fay = (client.get(f"/pool/people/{h}?lang={lang}").text for h in ("eve", "fay"))
        assert _notice(eve) == _notice(fay) and _notice(fay)
    eve_json, fay_json = (client.get(f"/pool/people/{h}", headers=JSON).json() for h in ("eve", "fay"))
    assert eve_json["credentials"] == fay_json["credentials"] == []
    assert eve_json["delete_after"] is None and fay_json["delete_after"] is None


def _notice(page: str) -> str:
    return page.split('<p class="notice">', 1)[1].split("</p>", 1)[0] if '<p class="notice">' in page else ""


def _owned(client: TestClient, token: str) -> Any:
    return client.post("/pool/people/cat/hidden", data={"token": token}, headers=JSON)


def test_the_owner_sees_why_as_json(client: TestClient) -> None:
    auth, entry, credential = _published(client)
    token = auth["Authorization"].removeprefix("Bearer ")
    listed = _owned(client, token).json()["credentials"]
    assert [(e["id"], e["listed"], e["hidden_because"], e["evidence"]) for e in listed] == [
        (entry, True, None, f"/pool/evidence/{entry}")]
    _suspend(client, credential)
    hidden = _owned(client, token).json()["credentials"]
    assert [(e["id"], e["listed"], e["hidden_because"], e["evidence"]) for e in hidden] == [
        (entry, False, "suspended", None)]
    assert hidden[0]["title"] == TITLE
    state = client.app.state  # type: ignore[attr-defined]
    CredentialService(state.db, state.settings).unsuspend(credential, "review closed")
    for reason in ("untrusted", "invalid"):
        _state(client, entry, reason)
        assert _owned(client, token).json()["credentials"][0]["hidden_because"] == reason
        assert client.get(f"/pool/evidence/{entry}").status_code == 404
    refused = _owned(client, "nope")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert client.delete(f"/api/pool/profiles/cat/credentials/{entry}", headers=auth).status_code == 204
    assert _owned(client, token).json()["credentials"] == []


def test_the_owner_sees_and_unpublishes_them_with_the_management_token(client: TestClient) -> None:
    auth, entry, credential = _published(client)
    token = auth["Authorization"].removeprefix("Bearer ")
    profile = client.get("/pool/people/cat")
    assert "Credentials the pool does not show" in profile.text and 'action="/pool/people/cat/hidden"' in profile.text
    nothing = client.post("/pool/people/cat/hidden", data={"token": token})
    assert nothing.status_code == 200 and "Nothing is hidden" in nothing.text
    _suspend(client, credential)
    wrong = client.post("/pool/people/cat/hidden", data={"token": "nope"})
    assert wrong.status_code == 403 and "does not belong to this profile" in wrong.text and TITLE not in wrong.text
    page = client.post("/pool/people/cat/hidden", data={"token": token})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert TITLE in page.text and "Suspended by its issuer: hidden until the issuer lifts the suspension." in page.text
    assert f'action="/pool/people/cat/hidden/{entry}/unpublish"' in page.text

    spanish = TestClient(client.app).post("/pool/people/cat/hidden?lang=es", data={"token": token})
    assert "Suspendida por su emisor: oculta hasta que el emisor levante la suspensión." in spanish.text

    refused = client.post(f"/pool/people/cat/hidden/{entry}/unpublish", data={"token": "nope"},
                          follow_redirects=False)
    assert refused.status_code == 403 and "does not belong to this profile" in refused.text
    done = client.post(f"/pool/people/cat/hidden/{entry}/unpublish", data={"token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/pool/people/cat?done=unpublished"
    assert "Nothing is hidden" in client.post("/pool/people/cat/hidden", data={"token": token}).text
    gone = client.post(f"/pool/people/cat/hidden/{entry}/unpublish", data={"token": token}, follow_redirects=False)
    assert gone.status_code == 404 and "no longer published on this profile" in gone.text


def _signed_in_owner(client: TestClient, fake: FakeWikiOAuth) -> tuple[dict[str, str], int, str]:
    auth, entry, credential = _published(client)
    assert sign_in(client, fake, start_login(client, "cat", auth), CAT).status_code == 303
    return auth, entry, credential


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_my_certificates_lists_them_with_why_and_unpublishes(client: TestClient,
                                                            wiki: tuple[FakeWikiOAuth, str]) -> None:
    _auth, entry, credential = _signed_in_owner(client, wiki[0])
    mine: dict[str, Any] = client.get("/pool/mine", headers=JSON).json()
    assert mine["profiles"][0]["hidden"] == [] and [c["id"] for c in mine["profiles"][0]["credentials"]] == [entry]
    _suspend(client, credential)
    mine = client.get("/pool/mine", headers=JSON).json()
    assert mine["profiles"][0]["credentials"] == []
    assert [(e["id"], e["hidden_because"]) for e in mine["profiles"][0]["hidden"]] == [(entry, "suspended")]
    page = client.get("/pool/mine")
    assert TITLE in page.text and "Suspended by its issuer: hidden until the issuer lifts the suspension." in page.text
    assert f'action="/pool/mine/cat/unpublish/{entry}"' in page.text
    stale = client.post(f"/pool/mine/cat/unpublish/{entry}", data={"csrf": "stale"}, follow_redirects=False)
    assert stale.status_code == 403
    other_browser = TestClient(client.app)  # no session: a form of another site cannot unpublish
    assert other_browser.post(f"/pool/mine/cat/unpublish/{entry}", data={"csrf": _csrf(page.text)},
                              follow_redirects=False).status_code == 401
    done = client.post(f"/pool/mine/cat/unpublish/{entry}", data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/pool/mine?done=unpublished"
    after = client.get("/pool/mine?done=unpublished")
    assert "Unpublished: the credential is no longer listed." in after.text and TITLE not in after.text


def test_my_certificates_unpublishes_only_the_wiki_accounts_own(client: TestClient,
                                                               wiki: tuple[FakeWikiOAuth, str]) -> None:
    _signed_in_owner(client, wiki[0])
    _other_auth, other_entry, _ = _published(client, "dora", "Dora")
    page = client.get("/pool/mine")
    refused = client.post(f"/pool/mine/dora/unpublish/{other_entry}", data={"csrf": _csrf(page.text)},
                          follow_redirects=False)
    assert refused.status_code == 403
    mixed = client.post(f"/pool/mine/cat/unpublish/{other_entry}", data={"csrf": _csrf(page.text)},
                        follow_redirects=False)
    assert mixed.status_code == 404
    assert client.get(f"/pool/evidence/{other_entry}").status_code == 200
