"""Open edX Studio: OAuth2 client credentials (JWT), course runs, and OLX import with status polling.

Endpoints as edx-platform documents them: ``POST {lms}/oauth2/access_token`` (grant_type=client_credentials,
token_type=jwt), ``POST/GET/PATCH {studio}/api/v1/course_runs/[{id}/]``,
``POST {studio}/api/courses/v0/import/{course_id}/`` (multipart ``course_data``) answering ``{"task_id"}``, and
``GET`` the same URL with ``task_id`` and ``filename`` answering ``{"state"}`` (a UserTaskStatus state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from bridge.errors import UpstreamError

DONE_STATES = {"Succeeded"}
FAILED_STATES = {"Failed", "Canceled"}


class StudioError(UpstreamError):
    def __init__(self, message: str, status_code: int | None = None, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="studio_error", params=params)
        self.extra = {"http_status": status_code} if status_code else {}


class StudioClient:
    def __init__(self, studio_url: str, lms_url: str, client_id: str, client_secret: str, http: httpx.Client) -> None:
        self.studio = studio_url.rstrip("/")
        self.lms = lms_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        self._token: str | None = None

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError("%(url)s cannot be reached (%(name)s)",
                                code="studio_unreachable",
                                params={"url": url, "name": exc.__class__.__name__}) from None

    def token(self) -> str:
        if self._token is None:
            r = self._request("POST", f"{self.lms}/oauth2/access_token", data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret, "token_type": "jwt"})
            if r.status_code != 200:
                raise StudioError("OAuth2 token refused (HTTP %(status_code)s): %(detail)s; check client_id and "
                                  "client_secret of the target", r.status_code,
                                  params={"status_code": r.status_code, "detail": _detail(r)})
            self._token = str(r.json()["access_token"])
        return self._token

    def _api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"JWT {self.token()}"}
        return self._request(method, f"{self.studio}{path}", headers=headers, **kwargs)

    def get_course_run(self, course_id: str) -> dict[str, Any] | None:
        r = self._api("GET", f"/api/v1/course_runs/{course_id}/")
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise StudioError("reading course run %(course_id)s failed (HTTP %(status_code)s): %(detail)s",
                              r.status_code,
                              params={"course_id": course_id, "status_code": r.status_code, "detail": _detail(r)})
        return dict(r.json())

    def create_course_run(self, body: dict[str, Any]) -> dict[str, Any]:
        r = self._api("POST", "/api/v1/course_runs/", json=body)
        if r.status_code not in (200, 201):
            raise StudioError("creating the course run failed (HTTP %(status_code)s): %(detail)s",
                              r.status_code, params={"status_code": r.status_code, "detail": _detail(r)})
        return dict(r.json())

    def update_course_run(self, course_id: str, body: dict[str, Any]) -> None:
        r = self._api("PATCH", f"/api/v1/course_runs/{course_id}/", json=body)
        if r.status_code != 200:
            raise StudioError("updating course run %(course_id)s failed (HTTP %(status_code)s): %(detail)s",
                              r.status_code,
                              params={"course_id": course_id, "status_code": r.status_code, "detail": _detail(r)})

    def start_import(self, course_id: str, filename: str, data: bytes) -> str:
        r = self._api("POST", f"/api/courses/v0/import/{course_id}/",
                      files={"course_data": (filename, data, "application/gzip")})
        if r.status_code != 200:
            raise StudioError("starting the OLX import failed (HTTP %(status_code)s): %(detail)s",
                              r.status_code, params={"status_code": r.status_code, "detail": _detail(r)})
        return str(r.json()["task_id"])

    def import_state(self, course_id: str, task_id: str, filename: str) -> str:
        r = self._api("GET", f"/api/courses/v0/import/{course_id}/",
                      params={"task_id": task_id, "filename": filename})
        if r.status_code != 200:
            raise StudioError("reading the import status failed (HTTP %(status_code)s): %(detail)s",
                              r.status_code, params={"status_code": r.status_code, "detail": _detail(r)})
        return str(r.json()["state"])

    def wait_for_import(self, course_id: str, task_id: str, filename: str, sleep: Callable[[float], None],
                        every: float, limit: int) -> str:
        for _ in range(limit):
            state = self.import_state(course_id, task_id, filename)
            if state in DONE_STATES:
                return state
            if state in FAILED_STATES:
                raise ImportFailed("Studio reports the OLX import as %(state)s; see the import page of %(course_id)s "
                                   "in Studio for the reason", params={"state": state, "course_id": course_id})
            sleep(every)
        raise StudioError("the OLX import of %(course_id)s did not finish after %(limit)s polls; run again to keep "
                          "waiting", params={"course_id": course_id, "limit": limit})


class ImportFailed(StudioError):
    """Studio ran the import task and it failed: that task is over, a new upload is needed."""


def _detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:200]
    if isinstance(body, dict):
        return str(body.get("developer_message") or body.get("detail") or body.get("error_description") or body)
    return str(body)[:200]
