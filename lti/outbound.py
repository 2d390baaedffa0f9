"""Every call the tool makes to a platform (token, AGS, NRPS, key set, registration) goes through ``call``.

A connection, TLS or timeout failure and an HTTP error status both become one readable ``platform_service_error``
naming the platform's host and the likely fix, never an unhandled exception (a 500). An HTML error page from the
platform is summarised by its title, not pasted. ``tls_context`` builds the trust the HTTP client verifies with.
"""

from __future__ import annotations

import html
import os
import re
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import certifi
import httpx

from lti.errors import LtiError

CODE = "platform_service_error"
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def host_of(url: str) -> str:
    try:
        parts = urlsplit(str(url))
    except ValueError:  # "http://[::1": no host to name
        return str(url)
    return parts.netloc or str(url)


def _tls_problem(exc: BaseException) -> str | None:
    """The TLS reason in an httpx error's chain (``CERTIFICATE_VERIFY_FAILED``, a wrong host name …), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        if isinstance(seen, ssl.SSLError):
            return seen.reason or str(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in text else None


MESSAGES = {
    "tls": "LEADS could not call %(host)s for the %(what)s: it does not trust that server's TLS certificate "
           "(%(detail)s). The administrator of LEADS must add the certificate authority that signed it to the "
           "certificates LEADS trusts (LTI set-up guide, “Trust between the servers”).",
    "timeout": "LEADS could not call %(host)s for the %(what)s: the server did not answer in time. Check that it is "
               "up and that LEADS can reach it (firewall, proxy, DNS).",
    "unreachable": "LEADS could not call %(host)s for the %(what)s: the connection failed (%(detail)s). Check that "
                   "the server is up and that LEADS can reach it (address in the registration, firewall, proxy, "
                   "DNS).",
    "refused": "%(host)s refused the %(what)s request: HTTP %(status)s %(detail)s.",
    "refused_token": "%(host)s refused the %(what)s request: HTTP %(status)s %(detail)s. The platform may be "
                     "unable to read LEADS's key set, or the registration's client id may be wrong.",
    "not_json": "%(host)s answered the %(what)s request with something that is not JSON: %(detail)s.",
    "not_json_type": "%(host)s served the %(what)s as %(type)s, not as JSON (application/json): LEADS reads it only "
                     "from a document the platform serves as JSON. Check the address the platform gave.",
    "registration_conflict": "%(issuer)s is already registered in LEADS with another key set or other sign-in "
                             "addresses (registered: %(known)s; this configuration: %(offered)s). LEADS refuses a "
                             "second registration of one platform that trusts other keys, since it could sign in as "
                             "that platform's people; nothing was registered. If this registration is intended (the "
                             "platform changed its keys or addresses), an administrator of LEADS must add it by hand "
                             "(LEADS's LTI admin page or `leads lti add-platform`).",
    "invalid_url": "The address of the %(what)s is not a valid URL: %(url)s. Check the address the platform gave "
                   "(its configuration, its launch, or its registration in LEADS).",
    "registration_exists": "%(issuer)s client %(client_id)s is already registered in LEADS: the platform's "
                           "registration answered the client id of a registration LEADS holds. Dynamic registration "
                           "only adds new clients; nothing was changed. To change an existing registration (its "
                           "addresses, audience or deployments), an administrator of LEADS must do it by hand "
                           "(LEADS's LTI admin page or `leads lti add-platform`).",
}
"""English wordings with named parameters (of platform calls and of dynamic registration); the application
translates them (the ``what`` too)."""

WHAT = ("access token", "line items", "line item", "results", "score", "membership", "key set",
        "platform configuration", "registration")
"""The names of the calls, for translation catalogues."""


def error(template: str, answer: int = 502, **params: object) -> LtiError:
    """``answer`` is the HTTP status LEADS answers with (502 for a platform failure, 504 for a timeout)."""
    return LtiError(MESSAGES[template] % params, code=CODE, status=answer, template=template, params=params)


def unreachable(what: str, url: str, exc: httpx.TransportError) -> LtiError:
    """A transport failure as a platform service error that says which host and what to do."""
    host = host_of(url)
    tls = _tls_problem(exc)
    if tls is not None:
        return error("tls", host=host, what=what, detail=tls)
    if isinstance(exc, httpx.TimeoutException):
        return error("timeout", 504, host=host, what=what)
    return error("unreachable", host=host, what=what, detail=exc.__class__.__name__)


def summary(response: httpx.Response, limit: int = 200) -> str:
    """A short, safe description of an error body: an HTML page by its title, other text cut short."""
    text = response.text or ""
    kind = response.headers.get("content-type", "")
    if "html" in kind or text.lstrip()[:1] == "<":
        title = _TITLE.search(text)
        words = " ".join(html.unescape(_TAGS.sub(" ", title.group(1) if title else "")).split())
        return f"(HTML page “{words[:limit]}”)" if words else "(HTML page)"
    words = " ".join(text.split())
    return f"({words[:limit]}{'…' if len(words) > limit else ''})" if words else ""


def refused(what: str, url: str, response: httpx.Response) -> LtiError:
    token = what == "access token" and response.status_code in (400, 401, 403, 404)
    return error("refused_token" if token else "refused", host=host_of(url), what=what,
                 status=response.status_code, detail=summary(response))


def _served_as_json(response: httpx.Response) -> bool:
    media = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def json_of(what: str, url: str, response: httpx.Response, served_as_json: bool = False) -> object:
    """The JSON body; with ``served_as_json``, only when served as JSON: a document the platform publishes (its
    configuration) must not be read from any file on its host that happens to parse (an upload, a text page)."""
    if served_as_json and not _served_as_json(response):
        raise error("not_json_type", host=host_of(url), what=what,
                    type=response.headers.get("content-type", "").split(";", 1)[0].strip() or "(none)")
    try:
        return response.json()
    except ValueError as exc:
        raise error("not_json", host=host_of(url), what=what, detail=summary(response)) from exc


def invalid_url(what: str, url: str) -> LtiError:
    """A platform's address that is no URL (``http://[::1``): the platform's error, in words, never a 500."""
    return error("invalid_url", what=what, url=url)


def address(what: str, url: str, params: Mapping[str, str] | None = None) -> str:
    """``url`` as httpx reads it, with ``params`` merged into its query; ``invalid_url`` when it is no URL."""
    try:
        parsed = httpx.URL(url)
        return str(parsed.copy_merge_params(dict(params)) if params else parsed)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise invalid_url(what, str(url)) from None


def call(what: str, url: str, send: Callable[[], httpx.Response]) -> httpx.Response:
    """Run one request; transport failures, an address that is no URL and HTTP error statuses become
    ``platform_service_error``."""
    try:
        response = send()
    except httpx.TransportError as exc:
        raise unreachable(what, url, exc) from exc
    except httpx.InvalidURL:
        raise invalid_url(what, url) from None
    if response.status_code >= 400:
        raise refused(what, url, response)
    return response


def tls_context(ca_bundle: Path | None = None, system_store: bool = False) -> ssl.SSLContext:
    """The trust for outbound HTTPS: certifi's bundle plus ``ca_bundle`` (added, not replacing), or the system's.

    ``system_store`` uses the operating system's trust store (truststore), where an enterprise CA usually lives;
    ``ca_bundle`` is then added to it too.
    """
    if system_store:
        import truststore

        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        context = ssl.create_default_context(cafile=certifi.where())
    extra = [Path(ca_bundle)] if ca_bundle is not None else []
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # honoured by httpx's own default: keep them, but as additions
        if os.environ.get(name):
            extra.append(Path(os.environ[name]))
    for path in extra:
        try:
            if path.is_dir():
                context.load_verify_locations(capath=str(path))
            else:
                context.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise LtiError(f"the extra certificate authorities at {path} cannot be read ({exc}); give a PEM file "
                           "or a directory of hashed certificates", code="invalid_ca_bundle", status=500) from exc
    return context
