"""Award pages inside an LTI launch: claim your certificate, my certificates, the instructor's dashboard.

The launch id in the path is the capability: the stored launch says who the user is, in which course, with
which role. Plain ``def`` routes, because the claim reads grades from the platform (blocking HTTP); nothing here
signs — pending awards are shown as "being issued" until a worker has signed them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.awards import board, intake, people, service, standing
from bridge.awards.api import award_settings, wallet_offers
from bridge.awards.api import who_for_launch as _who
from bridge.awards.launches import Who, record_launch
from bridge.awards.tables import Award, Job
from bridge.certificates.api import linkedin_add_url
from bridge.dataspace.api import current_index
from bridge.db import Database
from bridge.errors import LeadsError
from bridge.i18n import gettext_for_request
from bridge.ltitool.api import ags, lti_tool
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory
from bridge.web.negotiate import templates, wants_json
from bridge.web.params import After, page_links

router = APIRouter(tags=["awards pages"])


def _remember(request: Request, who: Who) -> None:
    """A launch with the grade service makes its course pollable (`leads awards poll`); its name and title kept."""
    record_launch(_db(request), who)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def links(award: Award, settings: Settings, label: str) -> dict[str, str]:
    """Downloads and sharing for an issued award (credential routes of bridge.credentials and certificates)."""
    if not award.credential_id:
        return {}
    cid = award.credential_id.removeprefix("urn:uuid:")
    base = settings.base_url.rstrip("/")
    url = f"{base}/credentials/{cid}"
    root = IssuerDirectory(settings).root
    linkedin = linkedin_add_url(settings, name=label, organization=root.names.get("en") or root.slug,
                                issued=award.issued_at or datetime.now(), url=url, credential_id=cid)
    return {"ob3": f"{url}?format=json", "page": f"{url}/certificate", "pdf": f"{url}/certificate.pdf",
            "linkedin": linkedin, "verify": f"{base}/verify"}


def _labels(request: Request) -> dict[str, str]:
    return {key: e.label() for key, e in current_index(_db(request)).by_key.items()}


def _award_view(award: Award, settings: Settings, labels: dict[str, str], edc: Job | None = None,
                seen: str | None = None) -> dict[str, Any]:
    """``seen``: the state the credential's standing gives an issued award (``bridge.awards.standing``)."""
    label = labels.get(award.achievement, award.achievement)
    state = seen or award.state
    return {**service.award_dict(award), "state": state, "label": label, "links": links(award, settings, label),
            "edc": edc_view(award, edc, settings.base_url, state)}


def edc_view(award: Award, job: Job | None, base_url: str, state: str | None = None) -> dict[str, str | None]:
    """Where the award's EDC stands: ``none`` (not asked for), ``preparing`` (a worker signs it), ``ready`` (with
    the JSON-LD download) or ``failed``."""
    if (state or award.state) != "issued" or job is None:
        return {"state": "none", "url": None}
    credential = (job.payload or {}).get("credential_id")
    if job.state == "done" and credential:
        cid = str(credential).removeprefix("urn:uuid:")
        return {"state": "ready", "url": f"{base_url.rstrip('/')}/credentials/{cid}?format=json"}
    return {"state": "failed" if job.state == "failed" else "preparing", "url": None}


@router.get("/awards/claim/{launch_id}", summary="Claim your certificate: checks grades through AGS now")
def claim(request: Request, launch_id: str) -> Response:
    who = _who(request, launch_id)
    if not who.design:
        raise LeadsError("this link is not connected to a credential design; ask your instructor to add it again "
                         "through LEADS", code="no_design", status=409)
    _remember(request, who)
    tool = lti_tool(request)
    try:
        reader: intake.ResultsReader | None = ags(tool, launch_id)
    except LeadsError:
        reader = None  # no grade service on this link: decide from the grades already received
    result = intake.claim(_db(request), reader, learner=who.learner, user_id=who.user_id, design=who.design,
                          source=f"ags:{who.source}", context=who.context, learner_name=who.name,
                          learner_email=who.email, cfg=award_settings(request))
    labels = _labels(request)
    base = request.app.state.settings
    with _db(request).reading() as session:
        seen = standing.seen_states(session, result.awards)
    views = [_award_view(a, base, labels, seen=seen.get(a.id)) for a in result.awards]
    body = {"learner": who.learner, "design": who.design, "awards": views,
            "missing": [m.text() for m in result.missing]}
    if wants_json(request):
        return JSONResponse(body)
    gettext = _with_wallets(request, who, views)
    return templates.TemplateResponse(request, "awards/claim.html", {**body, "launch_id": launch_id, "_": gettext,
                                      "design_label": labels.get(who.design, who.design)},
                                      headers={"Cache-Control": "no-store"})


def _with_wallets(request: Request, who: Who, awards: list[dict[str, Any]]) -> Callable[[str], str]:
    """Adds a wallet offer (QR code and deep link, OpenID4VCI) to each issued award; returns the page's ``_``."""
    gettext = gettext_for_request(request)
    offer_view = wallet_offers(request)
    for award in awards:
        if award["state"] == "issued" and offer_view is not None:
            award["wallet"] = offer_view(request, award["id"], who.learner, gettext)
    return gettext


@router.get("/awards/mine/{launch_id}", summary="My certificates (inside the LTI launch)")
def mine(request: Request, launch_id: str) -> Response:
    who = _who(request, launch_id)
    labels = _labels(request)
    base = request.app.state.settings
    with _db(request).session() as session:
        rows = service.awards_of(session, who.learner)
        edc = service.edc_jobs(session, rows)
        seen = standing.seen_states(session, rows)
        awards = [_award_view(a, base, labels, edc.get(a.id), seen.get(a.id)) for a in rows]
    if wants_json(request):
        return JSONResponse({"learner": who.learner, "awards": awards})
    gettext = _with_wallets(request, who, awards)
    return templates.TemplateResponse(request, "awards/mine.html", {"awards": awards, "launch_id": launch_id,
                                      "t": gettext, "_": gettext}, headers={"Cache-Control": "no-store"})


def _gettext(request: Request) -> Any:
    """The page's language (``?lang=``, then Accept-Language): new strings of these pages are translated."""
    return gettext_for_request(request)


@router.post("/awards/mine/{launch_id}/edc/{award_id}", summary="Ask for the European Digital Credential of an award")
def request_edc(request: Request, launch_id: str, award_id: str) -> Response:
    """Queues the EDC (a worker signs it, never this request); asking again changes nothing."""
    who = _who(request, launch_id)
    with _db(request).session() as session:
        award = session.get(Award, award_id)
        if award is None or award.learner != who.learner:
            raise LeadsError("no award %(award_id)s of yours", code="not_found", status=404,
                             params={"award_id": award_id})
        job = service.request_edc(session, award_id)
        view = edc_view(award, job, request.app.state.settings.base_url)
    if wants_json(request):
        return JSONResponse({"award": award_id, "edc": view}, status_code=200 if view["state"] == "ready" else 202)
    return RedirectResponse(f"/awards/mine/{launch_id}", status_code=303)


def _instructor(request: Request, launch_id: str) -> Who:
    who = _who(request, launch_id)
    if not who.instructor:
        raise LeadsError("the awards dashboard is for the course's instructors", code="instructor_only", status=403)
    return who


def _check_course(request: Request, who: Who, award_id: str) -> None:
    with _db(request).session() as session:
        award = session.get(Award, award_id)
        if award is None or award.context != who.context:
            raise LeadsError("no award %(award_id)s in this course", code="not_found", status=404,
                             params={"award_id": award_id})


STATE_FILTER = Query(description="only the awards in this state; empty: all",
                     json_schema_extra={"pattern": "^(" + "|".join(board.STATES) + ")?$"})
LEARNER_FILTER = Query(description="part of the learner's name, or their user id in the LMS; empty: everyone",
                       max_length=300)


@router.get("/awards/course/{launch_id}", summary="Awards dashboard of this course (instructors)")
def dashboard(request: Request, launch_id: str, state: Annotated[str | None, STATE_FILTER] = None,
              learner: Annotated[str | None, LEARNER_FILTER] = None, after: After = None) -> Response:
    """The course's counts and one page of its awards, newest first (bridge.awards.board)."""
    who = _instructor(request, launch_id)
    _remember(request, who)
    if state and state not in board.STATES:
        raise LeadsError("no award state '%(state)s': choose one of %(states)s, or none for all",
                         code="invalid_state", status=422, params={"state": state, "states": ", ".join(board.STATES)})
    labels = _labels(request)
    base = request.app.state.settings
    with _db(request).session() as session:
        page = board.course_page(session, who.context, state=state or None, learner=learner, after=after or None)
        awards = [_award_view(a, base, labels, seen=page.states.get(a.id)) for a in page.awards]
    for a in awards:  # the LMS's user id, to tell learners apart while their name is not known
        a["lms_user"] = unquote(a["learner"].rsplit(":", 1)[-1])
    links = page_links(request, page.after)
    if wants_json(request):
        return JSONResponse({"context": who.context, "counts": page.counts, "matching": page.matching,
                             "awards": awards, "next": links["next"]})
    return templates.TemplateResponse(request, "awards/dashboard.html", {
        "awards": awards, "counts": page.counts, "matching": page.matching, "links": links,
        "q": {"state": state or "", "learner": learner or ""}, "launch_id": launch_id,
        "message": request.query_params.get("m", ""), "t": _gettext(request)}, headers={"Cache-Control": "no-store"})


@router.post("/awards/course/{launch_id}/name/{award_id}", summary="Name the learner of an award (instructors)")
def name_learner(request: Request, launch_id: str, award_id: str, name: str = Form(""),
                 email: str = Form("")) -> Response:
    """The name the certificate carries, when the LMS shares none: every award of that learner waiting for a name
    goes to the workers."""
    who = _instructor(request, launch_id)
    _check_course(request, who, award_id)
    with _db(request).session() as session:
        award = session.get(Award, award_id)
        assert award is not None  # checked above
        released = people.set_name_by_instructor(session, award, name, email.strip() or None)
    if wants_json(request):
        return JSONResponse({"award": award_id, "released": released})
    return RedirectResponse(f"/awards/course/{launch_id}?m=named", status_code=303)


@router.post("/awards/course/{launch_id}/revoke/{award_id}", summary="Revoke an award with a reason (instructors)")
def revoke(request: Request, launch_id: str, award_id: str, reason: str = Form("")) -> Response:
    who = _instructor(request, launch_id)
    _check_course(request, who, award_id)
    with _db(request).session() as session:
        service.revoke(session, award_id, reason)
    return RedirectResponse(f"/awards/course/{launch_id}?m=revoked", status_code=303)


@router.post("/awards/course/{launch_id}/reissue/{award_id}", summary="Issue an award again (instructors)")
def reissue(request: Request, launch_id: str, award_id: str) -> Response:
    who = _instructor(request, launch_id)
    _check_course(request, who, award_id)
    with _db(request).session() as session:
        service.reissue(session, award_id)
    return RedirectResponse(f"/awards/course/{launch_id}?m=queued", status_code=303)
