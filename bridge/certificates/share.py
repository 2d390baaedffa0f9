"""Sharing a certificate: LinkedIn's add-to-profile link and the plain share links of the certificate page.

LinkedIn's "Add to profile" URL (``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&…``) fills the
Licenses & certifications form. With ``organizationId`` (the number of the issuer's LinkedIn page, a setting)
LinkedIn shows the organisation's logo; otherwise ``organizationName`` is the issuing organisation's name as the
credential says it. Share links open the networks' own share dialogs with the public certificate URL; nothing is
sent anywhere until the person presses a button there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from bridge.settings import Settings


def linkedin_add_url(settings: Settings, *, name: str, organization: str, issued: datetime | None,
                     url: str, credential_id: str, expires: datetime | None = None) -> str:
    params: dict[str, str | int] = {"startTask": "CERTIFICATION_NAME", "name": name}
    if settings.linkedin_organization_id:
        params["organizationId"] = settings.linkedin_organization_id
    else:
        params["organizationName"] = settings.linkedin_organization_name or organization
    if issued:
        params |= {"issueYear": issued.year, "issueMonth": issued.month}
    if expires:
        params |= {"expirationYear": expires.year, "expirationMonth": expires.month}
    params |= {"certUrl": url, "certId": credential_id.removeprefix("urn:uuid:")}
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@dataclass(frozen=True)
class ShareLink:
    network: str
    url: str


def share_links(url: str, text: str) -> tuple[ShareLink, ...]:
    """The public page on LinkedIn, Mastodon-friendly e-mail and X; the page also offers copy-the-link."""
    return (
        ShareLink("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ShareLink("X", "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": text})),
        ShareLink("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ShareLink("E-mail", f"mailto:?subject={quote(text)}&body={quote(url)}"),
    )
