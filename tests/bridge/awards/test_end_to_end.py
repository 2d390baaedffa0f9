"""End to end with lti1p3platform on loopback: an instructor deep-links the pilot design, the LMS records passing
scores on LEADS's line items, the learner opens "claim your certificate", LEADS reads the grades through AGS and
awards, a worker signs with the real credential service, and the Node reference verifier accepts the result."""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bridge.awards import intake
from bridge.awards.credential_adapters import CertificatePdfRenderer, CredentialsServiceIssuer
from bridge.awards.tables import Award
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.errors import LeadsError
from bridge.ltitool import services
from bridge.settings import AwardSettings
from tests import noderef
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

ROOT = Path(__file__).resolve().parents[3]
NODE_DIR = ROOT / "tests" / "node"
CERT = "glam-archive-to-commons-certificate"
SCORES = {"glam-as-rights-quiz": 80.0, "glam-as-digitisation-portfolio": 60.0, "glam-as-upload-project": 92.0}


def node_verify(http: httpx.Client, credential: dict[str, Any], tmp: Path) -> dict[str, Any]:
    did = http.get("/.well-known/did.json").json()
    lists = {e["statusListCredential"]: http.get(e["statusListCredential"]).json()
             for e in credential["credentialStatus"]}
    return noderef.node_verify(credential, tmp, dids={did["id"]: did}, lists=lists)


@pytest.mark.node
def test_deep_link_score_claim_issue_verify(peers: Peers, tmp_path: Path) -> None:  # noqa: F811
    # 1. the instructor adds the pilot design to the course: one line item per assessment (resourceId = key)
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    chosen = peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}", data={"design": CERT})
    action, fields = form_fields(chosen.text)
    assert peers.http.post(action, data=fields).status_code == 200
    items = {i["resourceId"]: item_id for item_id, i in peers.platform.line_items.items()}
    assert set(items) == set(SCORES)

    # 2. the LMS grades the learner on those columns (the platform's AGS, as a gradebook would)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    lineitems = {i["resourceId"]: i["id"] for i in gradebook.line_items()}
    now = datetime.now(UTC).isoformat()
    for key, given in SCORES.items():
        gradebook.post_score(lineitems[key], {"userId": "learner-1", "scoreGiven": given, "scoreMaximum": 100,
                                              "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                              "timestamp": now})

    # 3. the learner opens "claim your certificate": LEADS reads the results through AGS and awards on the spot
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER],
                                      custom={"leads_action": "claim", "leads_design": CERT}),
                        accept="application/json")
    learner_launch = r.json()["launch_id"]
    claim = peers.http.get(f"{peers.tool_base}/awards/claim/{learner_launch}", headers={"Accept": "application/json"})
    assert claim.status_code == 200, claim.text
    assert claim.json()["missing"] == []
    assert {a["achievement"]: a["state"] for a in claim.json()["awards"]} == {
        "glam-mc-rights": "pending", "glam-mc-digitisation": "pending", "glam-mc-commons-upload": "pending",
        CERT: "pending"}  # nothing signed in the request

    # 4. a worker signs with the real credential service
    settings = peers.tool.settings
    pdfs = settings.data_dir / "cache" / "certificates"
    worker = Worker(peers.db, CredentialsServiceIssuer(CredentialService(peers.db, settings)),
                    pdf=CertificatePdfRenderer(CredentialService(peers.db, settings)))
    assert worker.run(threading.Event(), once=True) == 8  # 4 issue jobs, then 4 PDF jobs
    assert len(list(pdfs.rglob("*.pdf"))) == 4  # rendered by the worker, not by a request

    mine = peers.http.get(f"{peers.tool_base}/awards/mine/{learner_launch}", headers={"Accept": "application/json"})
    stack = next(a for a in mine.json()["awards"] if a["achievement"] == CERT)
    assert stack["state"] == "issued" and stack["links"]["linkedin"].startswith("https://www.linkedin.com/")
    pdf = peers.http.get(stack["links"]["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(list(pdfs.rglob("*.pdf"))) == 4
    page = peers.http.get(f"{peers.tool_base}/awards/mine/{learner_launch}")
    assert "Add to LinkedIn profile" in page.text and "Learner Credential Wallet" in page.text
    assert 'download>Open Badge 3.0 (JSON)</a> · <a href="' in page.text  # no empty "· ·" while no EDC is asked for
    assert f'action="/awards/mine/{learner_launch}/edc/{stack["id"]}"' in page.text

    # 4b. the learner asks for the EDC: queued by the request, signed by a worker, then offered for download
    asked = peers.http.post(f"{peers.tool_base}/awards/mine/{learner_launch}/edc/{stack['id']}",
                            headers={"Accept": "application/json"})
    assert asked.status_code == 202 and asked.json()["edc"]["state"] == "preparing"
    assert "EDC JSON-LD): being prepared" in peers.http.get(f"{peers.tool_base}/awards/mine/{learner_launch}").text
    assert worker.run(threading.Event(), once=True) == 1
    page = peers.http.get(f"{peers.tool_base}/awards/mine/{learner_launch}")
    edc_url = next(a for a in peers.http.get(f"{peers.tool_base}/awards/mine/{learner_launch}",
                                             headers={"Accept": "application/json"}).json()["awards"]
                   if a["id"] == stack["id"])["edc"]["url"]
    assert f'href="{edc_url}"' in page.text
    edc = peers.http.get(edc_url)
    assert edc.headers["content-type"].startswith("application/ld+json")
    assert "EuropeanDigitalCredential" in edc.json()["type"]

    # 5. the Node reference verifier accepts the credential, status list included
    with httpx.Client(base_url=peers.tool_base, timeout=20) as http:
        credential = http.get(stack["links"]["ob3"]).json()
        assert credential["credentialSubject"]["id"].endswith("learner-1")
        result = node_verify(http, credential, tmp_path)
    print(f"end to end: 4 awards from AGS results, stack credential {credential['id']} → Node verifier {result}")
    assert result == {"verified": True, "errors": []}

    # 6. the instructor's dashboard shows the course's awards; revoking with a reason updates the status list
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    board = f"{peers.tool_base}/awards/course/{r.json()['launch_id']}"
    assert peers.http.get(board, headers={"Accept": "application/json"}).json()["counts"]["issued"] == 4
    refused = peers.http.get(f"{peers.tool_base}/awards/course/{learner_launch}",
                             headers={"Accept": "application/json"})
    assert refused.status_code == 403
    done = peers.http.post(f"{board}/revoke/{stack['id']}", data={"reason": "grade entered for the wrong person"})
    assert done.status_code == 303
    assert worker.run(threading.Event(), once=True) == 1  # the revoke job
    twice = peers.http.post(f"{board}/revoke/{stack['id']}?lang=es", data={"reason": "otra vez"})  # a double click
    assert twice.status_code == 409 and f"el certificado otorgado {stack['id']} ya está revocado" in twice.text
    with httpx.Client(base_url=peers.tool_base, timeout=20) as http:
        after = node_verify(http, credential, tmp_path)
    assert not after["verified"] and any("revocation" in e for e in after["errors"]), after
    page = peers.http.get(board).text
    assert "grade entered for the wrong person" in page
    assert f'<a href="{stack["links"]["page"]}">' in page  # each row links to its certificate


def test_scheduled_poll_awards_learners_who_never_open_leads(peers: Peers) -> None:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": CERT}).text)
    peers.http.post(action, data=fields)
    # the instructor opens the dashboard from the course: LEADS learns the context's AGS endpoint
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], custom={"leads_design": CERT}),
                        accept="application/json")
    teacher = r.json()["launch_id"]
    assert peers.http.get(f"{peers.tool_base}/awards/course/{teacher}").status_code == 200
    gradebook = services.ags(peers.tool, teacher)
    lineitems = {i["resourceId"]: i["id"] for i in gradebook.line_items()}
    now = datetime.now(UTC).isoformat()
    for user, quiz in (("learner-7", 95.0), ("learner-8", 30.0)):
        gradebook.post_score(lineitems["glam-as-rights-quiz"], {
            "userId": user, "scoreGiven": quiz, "scoreMaximum": 100, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": now})
    peers.platform.members.append({"user_id": "learner-7", "name": "Ada Lovelace", "roles": [LEARNER],
                                   "status": "Active"})  # the course roster names learner-7 for the poll
    polled = REGISTRY.get_sample_value("leads_ags_polls_total", {"outcome": "ok"}) or 0.0
    [report] = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool),
                                   roster_for=intake.lti_roster_for(peers.tool)).values()
    assert REGISTRY.get_sample_value("leads_ags_polls_total", {"outcome": "ok"}) == polled + 1  # the operator sees it
    assert (report.awarded, report.waiting, report.title) == (1, 0, "GLAM uploads 101")  # learner-8 failed the quiz
    assert "1 new award(s)" in report.text() and "GLAM uploads 101" in report.text()
    [again] = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool)).values()
    assert again.awarded == 0 and "0 new award(s)" in again.text()
    board = peers.http.get(f"{peers.tool_base}/awards/course/{teacher}", headers={"Accept": "application/json"})
    [award] = board.json()["awards"]
    assert award["achievement"] == "glam-mc-rights" and award["learner"].endswith(":learner-7")
    assert (award["learner_name"], award["state"]) == ("Ada Lovelace", "pending")


def test_poll_with_no_known_course_says_why_and_fails(peers: Peers) -> None:  # noqa: F811
    with pytest.raises(LeadsError) as caught:
        intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool))
    assert caught.value.code == "nothing_to_poll" and "launches a LEADS link" in str(caught.value)


def test_every_launch_with_the_grade_service_registers_the_course(peers: Peers) -> None:  # noqa: F811
    """An ordinary learner launch (no claim page, no dashboard) makes the course known to the poll."""
    r, _ = peers.launch(PendingLaunch("resource", "learner-3", [LEARNER], custom={"leads_design": CERT}),
                        accept="application/json")
    assert r.status_code == 200
    [report] = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool)).values()
    assert report.title == "GLAM uploads 101" and report.design == CERT


def test_the_claim_link_is_never_graded(peers: Peers) -> None:  # noqa: F811
    """Deep linking declares no line item for the claim link; a platform that grades every link anyway (Moodle with
    "Accept grades from the tool: Always") sees that column removed when the claim link is launched."""
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": CERT}).text)
    peers.http.post(action, data=fields)
    [items] = peers.platform.deep_link_items
    claim = [i for i in items if (i.get("custom") or {}).get("leads_action") == "claim"]
    assert len(claim) == 1 and "lineItem" not in claim[0]
    with peers.platform.lock:  # what Moodle does with "Always": a grade column for the claim link too
        item_id = str(next(peers.platform.ids))
        url = f"{peers.platform.base}/ags/course-101/lineitems/{item_id}"
        peers.platform.line_items[item_id] = {"id": url, "label": claim[0]["title"], "scoreMaximum": 100,
                                              "resourceId": "", "tag": ""}
        peers.platform.scores[item_id] = []
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER], custom=dict(claim[0]["custom"]),
                                      lineitem=url), accept="application/json")
    assert r.status_code == 200
    assert item_id not in peers.platform.line_items  # removed through AGS
    assert {i["resourceId"] for i in peers.platform.line_items.values()} == set(SCORES)  # assessments untouched


def test_an_award_without_a_name_waits_and_the_instructor_names_the_learner(peers: Peers) -> None:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": CERT}).text)
    peers.http.post(action, data=fields)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], custom={"leads_design": CERT}),
                        accept="application/json")
    teacher = r.json()["launch_id"]
    gradebook = services.ags(peers.tool, teacher)
    lineitems = {i["resourceId"]: i["id"] for i in gradebook.line_items()}
    gradebook.post_score(lineitems["glam-as-rights-quiz"], {
        "userId": "learner-9", "scoreGiven": 90, "scoreMaximum": 100, "activityProgress": "Completed",
        "gradingProgress": "FullyGraded", "timestamp": datetime.now(UTC).isoformat()})
    [report] = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool),
                                   roster_for=intake.lti_roster_for(peers.tool)).values()  # learner-9 not on it
    assert report.awarded == 1 and report.waiting == 1 and "waiting for the learner's name" in report.text()
    worker = Worker(peers.db, CredentialsServiceIssuer(CredentialService(peers.db, peers.tool.settings)))
    assert worker.run(threading.Event(), once=True) == 0  # nothing to sign: no name, no job
    board = f"{peers.tool_base}/awards/course/{teacher}"
    [award] = peers.http.get(board, headers={"Accept": "application/json"}).json()["awards"]
    assert award["state"] == "needs_name" and award["learner_name"] is None
    page = peers.http.get(board).text
    assert "waiting for the learner's name" in html.unescape(page) and "user learner-9 in your course" in page
    assert "lti:" not in page.split("<table", 1)[1]  # no internal id where the name would be
    spanish = peers.http.get(board, headers={"Accept-Language": "es"}).text
    assert "a la espera del nombre de la persona" in spanish and "Nombre en el certificado" in spanish
    refused = peers.http.post(f"{board}/name/{award['id']}", data={"name": "  "},
                              headers={"Accept": "application/json"})
    assert refused.status_code == 422
    named = peers.http.post(f"{board}/name/{award['id']}", data={"name": "Grace Hopper"})
    assert named.status_code == 303
    assert worker.run(threading.Event(), once=True) == 1
    [award] = peers.http.get(board, headers={"Accept": "application/json"}).json()["awards"]
    assert (award["state"], award["learner_name"]) == ("issued", "Grace Hopper")
    credential = peers.http.get(award["links"]["ob3"]).json()
    subject = credential["credentialSubject"]
    assert [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"] == ["Grace Hopper"]
    assert subject["narrative"].startswith("Course: GLAM uploads 101")


def _claim(p: Peers, user: str, design: str = "glam-mc-rights") -> dict[str, Any]:
    custom = {"leads_action": "claim", "leads_design": design}
    r, _ = p.launch(PendingLaunch("resource", user, [LEARNER], custom=custom), accept="application/json")
    claim = p.http.get(f"{p.tool_base}/awards/claim/{r.json()['launch_id']}", headers={"Accept": "application/json"})
    assert claim.status_code == 200, claim.text
    return dict(claim.json())


def test_a_claim_counts_only_the_claimants_own_results(peers: Peers) -> None:  # noqa: F811
    """A platform that ignores ``?user_id=`` (Open edX's lti_consumer) answers every learner's results: a classmate's
    pass awards no one else, a classmate's fail revokes no one else."""
    peers.platform.results_ignore_user_id = True
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": "glam-mc-rights"}).text)
    assert peers.http.post(action, data=fields).status_code == 200
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    quiz = next(i["id"] for i in gradebook.line_items() if i["resourceId"] == "glam-as-rights-quiz")

    def grade(user: str, given: float) -> None:
        gradebook.post_score(quiz, {"userId": user, "scoreGiven": given, "scoreMaximum": 100,
                                    "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                    "timestamp": datetime.now(UTC).isoformat()})

    grade("learner-1", 95)
    nothing = _claim(peers, "learner-2")  # learner-2 never took the quiz
    assert "?user_id=learner-2" in peers.platform.results_requests[-1]
    assert nothing["awards"] == [] and len(nothing["missing"]) == 1, nothing
    grade("learner-2", 80)
    grade("learner-3", 20)  # a classmate fails, after learner-2's pass
    [award] = _claim(peers, "learner-2")["awards"]
    assert (award["achievement"], award["state"]) == ("glam-mc-rights", "pending")
    [again] = _claim(peers, "learner-2")["awards"]
    assert again["state"] == "pending"  # not revoked by learner-3's 20


def _deep_link(p: Peers, design: str) -> None:
    r, _ = p.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(p.http.post(f"{p.tool_base}/lti/deep-link/{launch_id}", data={"design": design}).text)
    assert p.http.post(action, data=fields).status_code == 200


def test_the_poll_reads_every_design_linked_in_a_course(peers: Peers) -> None:  # noqa: F811
    """Two micro-credentials deep-linked in one course, each claim link opened once by the teacher: the poll reads
    both designs' grades (it kept only the last design opened), and an assessment link of a part adds no third pass."""
    for design in ("glam-mc-rights", "glam-mc-digitisation"):
        _deep_link(peers, design)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    items = {i["resourceId"]: i["id"] for i in gradebook.line_items()}
    now = datetime.now(UTC).isoformat()
    for user, key in (("ada", "glam-as-rights-quiz"), ("bob", "glam-as-digitisation-portfolio")):
        gradebook.post_score(items[key], {"userId": user, "scoreGiven": 95, "scoreMaximum": 100, "timestamp": now,
                                          "activityProgress": "Completed", "gradingProgress": "FullyGraded"})
    for design in ("glam-mc-rights", "glam-mc-digitisation"):
        peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR],
                                   custom={"leads_action": "claim", "leads_design": design}), accept="application/json")
    reports = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool))
    assert sorted((r.design, r.awarded) for r in reports.values()) == [
        ("glam-mc-digitisation", 1), ("glam-mc-rights", 1)]
    with peers.db.session() as session:
        awarded = {(a.learner.rsplit(":", 1)[-1], a.design) for a in session.scalars(select(Award))}
    assert awarded == {("ada", "glam-mc-rights"), ("bob", "glam-mc-digitisation")}

    # the certificate stacks both: its claim link covers them, and a launch of a part's assessment link adds nothing
    _deep_link(peers, CERT)
    for custom in ({"leads_action": "claim", "leads_design": CERT},
                   {"leads_assessment": "glam-as-rights-quiz", "leads_design": "glam-mc-rights"}):
        peers.launch(PendingLaunch("resource", "learner-1", [LEARNER], custom=custom), accept="application/json")
    reports = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool))
    assert [r.design for r in reports.values()] == [CERT]
