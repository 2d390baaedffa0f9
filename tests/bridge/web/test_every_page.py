"""Every HTML page, as a person sees it: Debian Chromium opens each GET route of the app (real ids from a real LTI
launch, an issued certificate and a pool profile) at 390 and 1280 px, in English and Spanish, and fails on sideways
scrolling, on English left in the Spanish page, on any axe-core violation and on a focus outline under 3:1.

One browser and one tab for the whole walk keep it near a minute."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bridge.app import create_app
from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.verification import Verifier
from bridge.editor import service as editor_service
from bridge.i18n import LOCALE_DIR
from bridge.pool import service as pool
from bridge.pool.verifier import PoolVerifier
from bridge.settings import Settings
from bridge.web.errors import flat_routes
from tests.bridge.dataspace.test_browser import ARGS, CHROMIUM
from tests.bridge.ltitool.claims import learner_has_a_certificate
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, PendingLaunch

AXE = Path(__file__).resolve().parents[2] / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = Path("/work/notes/screens")
WIDTHS = (390, 1280)
STACK = "glam-archive-to-commons-certificate"
PRACTICE = "glam-archive-to-commons"

# GET routes that are not pages people read, with the reason; every other GET route must be visited below.
NOT_PAGES = {
    "/.well-known/did.json": "DID document (JSON)",
    "/.well-known/oauth-authorization-server": "OAuth metadata (JSON)",
    "/.well-known/openid-credential-issuer": "OpenID4VCI metadata (JSON)",
    "/api/admin/awards": "admin API (JSON)", "/api/admin/awards/failed": "admin API (JSON)",
    "/api/entities": "API (JSON)", "/api/issuers/trusted": "API (JSON)",
    "/courses/generate/download": "a file download (.mbz, .tar.gz, .csv)",
    "/courses/generate/jobs/{job_id}": "progress of a live course creation; needs a configured LMS target",
    "/credentials/{credential_id}": "the credential document (JSON-LD; browsers go on to /certificate)",
    "/credentials/{credential_id}/certificate.pdf": "PDF", "/credentials/{credential_id}/download": "a file",
    "/credentials/{credential_id}/offline-qr.{ext}": "image", "/credentials/{credential_id}/qr.{ext}": "image",
    "/entity/{key}": "linked-data entity (JSON-LD / redirect)", "/healthz": "probe (JSON)",
    "/issuers/{slug}/did.json": "DID document (JSON)", "/lti/js/{name}.js": "script",
    "/lti/jwks": "keys (JSON)", "/lti/login": "LTI OIDC redirect", "/lti/login/check": "LTI OIDC redirect",
    "/lti/login/window": "LTI login relay (script frame, no visible text)",
    "/lti/resume/{launch_id}": "LTI storage relay (script frame)", "/openapi.json": "OpenAPI (JSON)",
    "/pool/people/{handle}/capx.json": "CapX export (JSON)", "/practices/{key}/map.svg": "image (SVG)",
    "/status/{list_id}": "status list credential (JSON)",
    "/docs": "Swagger UI (third-party page, English only)", "/redoc": "ReDoc (third-party page, English only)",
    "/lti/register": "dynamic registration: answers only a platform's registration request",
    "/api/admin/issuers/{org}/keys": "admin API (JSON)", "/badges/{key}.{ext}": "image",
    "/issuers/{slug}/logo": "image", "/livez": "probe (JSON)", "/readyz": "probe (JSON)",
    "/metrics": "Prometheus exposition (text)", "/edit/search": "search-as-you-type (JSON)",
    "/edit/callback": "OAuth 2 redirect back from the wiki", "/pool/wiki/login": "OAuth 2 redirect to the wiki",
    "/pool/wiki/callback": "OAuth 2 redirect back from the wiki",
    "/pool/capx/badges/user/{username}/": "badge feed for CapX's importer (JSON)",
}


def _spanish_catalogue() -> dict[str, str]:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "certificates.po").open("rb") as fh:
        catalog = read_po(fh)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and isinstance(m.string, str)}


def english_only_phrases() -> list[str]:
    """Catalogued English sentences whose Spanish differs: none may appear in a Spanish page."""
    return sorted({msgid for msgid, msgstr in _spanish_catalogue().items()
                   if msgstr and msgstr != msgid and len(msgid) >= 14 and " " in msgid and "%" not in msgid
                   and "{" not in msgid and "<" not in msgid})


def _pages(peers: Peers, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    """The concrete address of every page route, from real fixtures."""
    ada = learner_has_a_certificate(peers)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    teacher = str(r.json()["launch_id"])
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    deep = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    awards = peers.http.get(f"{peers.tool_base}/awards/mine/{ada}", headers={"Accept": "application/json"}).json()
    single = awards["awards"][0]["credential_id"]
    settings = peers.tool.settings
    credentials = CredentialService(peers.db, settings)
    stacked = credentials.issue(IssueInput(design_key=STACK, learner_name="Cat")).id
    issued = credentials.issue(IssueInput(design_key="glam-mc-rights", learner_name="Cat"))
    _, token = pool.create_profile(peers.db, handle="cat", display_name="Cat",
                                   languages=["es"])
    entry = pool.publish(peers.db, PoolVerifier(Verifier(credentials)), handle="cat", token=token,
                         credential=issued.document, entity_base=settings.entity_base, holder_proof="lms")
    shared = peers.http.post(f"{peers.tool_base}/map", data={"practice": PRACTICE, "share": "1",
                                                              "credential": json.dumps(issued.document)})
    assert shared.status_code == 303, shared.text[:300]
    shared_map = shared.headers["location"].split("?", 1)[0]
    practice = peers.http.get(f"{peers.tool_base}/practices/{PRACTICE}", headers={"Accept": "application/json"})
    data = practice.json()
    competence = data["competences"][0]["key"]
    course = data["courses"][0]["key"]
    return {
        "/": "/", "/practices": "/practices", "/practices/{key}": f"/practices/{PRACTICE}",
        "/competences/{key}": f"/competences/{competence}", "/designs/{key}": f"/designs/{STACK}",
        "/courses/{key}": f"/courses/{course}", "/verify": "/verify", "/pool": "/pool",
        "/pool/competences/{key}": f"/pool/competences/{competence}", "/pool/people/{handle}": "/pool/people/cat",
        "/pool/publish": "/pool/publish", "/pool/launch/{launch_id}": f"/pool/launch/{ada}",
        "/awards/claim/{launch_id}": f"/awards/claim/{ada}", "/awards/mine/{launch_id}": f"/awards/mine/{ada}",
        "/awards/course/{launch_id}": f"/awards/course/{teacher}",
        "/credentials/{credential_id}/certificate": f"/credentials/{single}/certificate",
        "stacked certificate": f"/credentials/{stacked}/certificate",
        "/courses/generate": "/courses/generate",
        "course generation (instructor)": f"/courses/generate?launch={teacher}&design={STACK}",
        "/lti/app/{launch_id}": f"/lti/app/{teacher}", "learner start page": f"/lti/app/{ada}",
        "/lti/app/{launch_id}/roster": f"/lti/app/{teacher}/roster",
        "/lti/deep-link/{launch_id}": f"/lti/deep-link/{deep}", "/lti/admin": "/lti/admin",
        "not found": "/no/such/page",
        "/issuers/{slug}": "/issuers/leads", "/pool/evidence/{entry_id}": f"/pool/evidence/{entry.id}",
        "/pool/mine": "/pool/mine", "/pool/profiles/new": "/pool/profiles/new",
        "/pool/people/{handle}/wiki-login": "/pool/people/cat/wiki-login", "/pool/capx/missing": "/pool/capx/missing",
        "/map": "/map", "/map/launch/{launch_id}": f"/map/launch/{ada}", "/map/s/{map_id}": shared_map,
        "/edit/signin": "/edit/signin", "/edit": "/edit", "/edit/{slug}/new": "/edit/design/new",
        "/edit/{slug}/{key}": f"/edit/design/{STACK}", "/edit/history/{key}": f"/edit/history/{STACK}",
    }


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        c = [v / 255 for v in rgb[:3]]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _check(page: Any, url: str, lang: str, width: int, phrases: list[str]) -> list[str]:
    problems = []
    response = page.goto(url)
    assert response is not None
    if "text/html" not in response.headers.get("content-type", ""):
        return [f"{url}: not an HTML page ({response.headers.get('content-type')})"]
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if wide[0] > wide[1]:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                             (e.className && typeof e.className === 'string' ? '.' + e.className : ''))""")
        problems.append(f"{url} {lang} {width}px: {wide[0]}px wide > {wide[1]}px ({', '.join(culprits)})")
    squeezed = page.evaluate("""() => {  // a sentence squeezed into a column a word or a letter wide
        const out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const t = n.textContent.trim(), r = n.parentElement.getBoundingClientRect();
            if (t.length >= 30 && r.width > 0 && r.width < 120 && r.height > 240) out.push(t.slice(0, 40));
        }
        return out.slice(0, 3); }""")
    if squeezed:
        problems.append(f"{url} {lang} {width}px: text squeezed into a narrow column: {squeezed}")
    if page.evaluate("document.documentElement.lang") != lang:
        problems.append(f"{url} {lang}: <html lang> is {page.evaluate('document.documentElement.lang')!r}")
    if lang == "es":
        texts = page.evaluate("""() => {  // text of the page's own language (content marked lang="en" is data)
            const lang = document.documentElement.lang, out = [document.title];
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const owner = n.parentElement.closest('[lang]');
                if (owner && owner.lang !== lang) continue;
                if (n.parentElement.closest('script, style, noscript')) continue;
                const t = n.textContent.trim(); if (t) out.push(t);
            }
            return out; }""")
        left = [p for p in phrases if any(t.rstrip(": ") == p or (len(p) >= 40 and p in t) for t in texts)]
        if left:
            problems.append(f"{url} es: English left: {left[:5]}")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | '))""")
    problems += [f"{url} {lang} {width}px axe {v}" for v in found]
    return problems


@pytest.mark.browser
@pytest.mark.node
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_every_page_fits_a_phone_speaks_spanish_and_passes_axe(peers: Peers, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    pages = _pages(peers, tmp_path)
    app = create_app(Settings(data_dir=tmp_path / "enum", base_url="http://testserver", load_sample=False), peers.db)
    routes = {r.path for r in flat_routes(app) if "GET" in (getattr(r, "methods", None) or ())}
    app.state.lti.close()
    unvisited = routes - set(pages) - set(NOT_PAGES)
    assert not unvisited, f"GET routes neither visited nor listed as not a page: {sorted(unvisited)}"
    phrases = english_only_phrases()
    assert len(phrases) > 100  # the check has teeth

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(bypass_csp=True)  # to inject axe-core; the pages' own CSP is tested elsewhere
            page = context.new_page()
            token = editor_service.add_local_editor(peers.db, "Alice")  # the editor's pages, signed in
            page.goto(f"{peers.tool_base}/edit/signin")
            page.fill("#name", "Alice")
            page.fill("#token", token)
            page.click("form.editor button[type=submit]")
            page.goto(f"{peers.tool_base}/edit/design/new")
            assert "/edit/design/new" in page.url and "Alice" in page.content()  # the editor's form, not sign-in
            for lang in ("en", "es"):
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    for path in pages.values():
                        sep = "&" if "?" in path else "?"
                        problems += _check(page, f"{peers.tool_base}{path}{sep}lang={lang}", lang, width, phrases)
                        if path == "/" and SCREENS.parent.is_dir():
                            SCREENS.mkdir(exist_ok=True)
                            page.screenshot(path=str(SCREENS / f"home-{lang}-{width}.png"), full_page=True)
            # the focus outline: keyboard focus on the skip link, then on a link of the page
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{peers.tool_base}/")
            for _ in range(2):
                page.keyboard.press("Tab")
                style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                    return [s.outlineStyle, s.outlineWidth, s.outlineColor,
                            getComputedStyle(document.body).backgroundColor] }""")
                assert style[0] != "none" and float(style[1].rstrip("px")) >= 2, style
                ratio = _contrast(_rgb(style[2]), _rgb(style[3]) if "0, 0, 0, 0" not in style[3] else (255, 255, 255))
                assert ratio >= 3, f"focus outline contrast {ratio:.2f}:1 ({style})"
        finally:
            browser.close()
    assert not problems, "\n" + "\n".join(problems)
