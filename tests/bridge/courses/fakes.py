"""Local HTTP fakes on loopback that speak Moodle's REST web services and Open edX Studio's APIs.

Written from the documented shapes: Moodle answers every web-service call with HTTP 200 and JSON, errors as
``{"exception", "errorcode", "message"}``; parameters arrive as PHP-style form fields (``courses[0][fullname]``).
Studio wants an OAuth2 client-credentials JWT, answers course runs as JSON and imports OLX asynchronously.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.bridge.courses.olx_import import check_course, import_olx


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``courses[0][fullname]=x`` → ``{"courses": [{"fullname": "x"}]}`` (what PHP does with form fields)."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        keys = [name.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", name)]
        node: Any = root
        for i, k in enumerate(keys):
            last = i == len(keys) - 1
            nxt: Any = value if last else ([] if keys[i + 1].isdigit() else {})
            if isinstance(node, list):
                idx = int(k)
                while len(node) <= idx:
                    node.append(None)
                if node[idx] is None or last:
                    node[idx] = nxt
                node = node[idx]
            else:
                if k not in node or last:
                    node[k] = nxt
                node = node[k]
    return root


def multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    out: dict[str, tuple[str | None, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        out[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return out


class _Handler(BaseHTTPRequestHandler):
    fake: Any

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(*self.fake.handle("GET", self.path, self.headers, b""))

    def do_POST(self) -> None:
        self._send(*self.fake.handle("POST", self.path, self.headers, self._body()))

    def do_PATCH(self) -> None:
        self._send(*self.fake.handle("PATCH", self.path, self.headers, self._body()))


@contextmanager
def serve(fake: Any) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TAXONOMIES = ("behaviour", "competency", "concept", "domain", "indicator", "level", "outcome", "practice",
              "proficiency", "skill", "value")  # competency_framework::get_taxonomies_list()


@dataclass
class FakeMoodle:
    token: str = "good-token"
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    sections: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    private_files: dict[str, bytes] = field(default_factory=dict)
    drafts: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    langs: tuple[str, ...] = ("en",)  # installed language packs
    updated_fields: list[list[str]] = field(default_factory=list)  # what each course update changed
    fail: dict[str, tuple[str, str]] = field(default_factory=dict)  # wsfunction → (errorcode, message), once
    # competencies (core_competency external API; persistent validation as competency_framework/competency do)
    competencies_enabled: bool = True
    scales: dict[int, list[str]] = field(default_factory=lambda: {
        1: ["Mostly separate knowing", "Separate and connected", "Mostly connected knowing"],
        2: ["Not yet competent", "Competent"]})
    frameworks: dict[int, dict[str, Any]] = field(default_factory=dict)
    competencies: dict[int, dict[str, Any]] = field(default_factory=dict)
    course_competencies: list[dict[str, Any]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(2))

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        url = urlsplit(path)
        if url.path == "/webservice/upload.php":
            form = multipart(headers["Content-Type"], body)
            if form.get("token", (None, b""))[1].decode() != self.token:
                return 200, {"error": "Invalid token - token not found", "errorcode": "invalidtoken"}
            filename, content = form["file_1"]
            item = next(self.ids)
            self.drafts[item] = (str(filename), content)
            return 200, [{"component": "user", "contextid": 5, "userid": "2", "filearea": "draft",
                          "filename": filename, "filepath": "/", "itemid": item, "license": "unknown",
                          "author": "Admin", "source": "O:8:\"stdClass\""}]
        if url.path != "/webservice/rest/server.php" or method != "POST":
            return 404, {"error": "not found"}
        params = unflatten(parse_qsl(body.decode(), keep_blank_values=True))
        fn = params.get("wsfunction", "")
        self.calls.append(fn)
        if params.get("moodlewsrestformat") != "json":
            return 200, {"exception": "moodle_exception", "errorcode": "invalidparameter", "message": "format"}
        if params.get("wstoken") != self.token:
            return 200, {"exception": "moodle_exception", "errorcode": "invalidtoken",
                         "message": "Invalid token - token not found"}
        if fn in self.fail:
            code, message = self.fail.pop(fn)
            return 200, {"exception": "moodle_exception", "errorcode": code, "message": message}
        handler = getattr(self, fn, None)
        if handler is None:
            return 200, {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                         "message": "Can't find data record in database table external_functions."}
        return 200, handler(params)

    def core_course_get_categories(self, p: dict[str, Any]) -> Any:
        crit = {c["key"]: c["value"] for c in p.get("criteria", [])}
        return [c for c in self.categories.values() if all(str(c.get(k)) == v for k, v in crit.items())]

    def core_course_create_categories(self, p: dict[str, Any]) -> Any:
        out = []
        for cat in p["categories"]:
            cid = next(self.ids)
            self.categories[cid] = {"id": cid, "name": cat["name"], "parent": int(cat.get("parent", 0))}
            out.append({"id": cid, "name": cat["name"]})
        return out

    def core_course_get_courses_by_field(self, p: dict[str, Any]) -> Any:
        f, v = p.get("field"), p.get("value")
        return {"courses": [c for c in self.courses.values() if str(c.get(str(f))) == v], "warnings": []}

    def core_course_create_courses(self, p: dict[str, Any]) -> Any:
        """core_course_external::create_courses, then course/lib.php create_course(), in their order of checks."""
        out = []
        for c in p["courses"]:
            if int(c.get("categoryid") or 0) not in self.categories:  # context_coursecat::instance(IGNORE_MISSING)
                return self._error("moodle_exception", "errorcatcontextnotvalid",
                                   f"You cannot execute functions in the category context (category id:"
                                   f"{c.get('categoryid')}). The context error message was: Invalid parameter value "
                                   f"detected (Context does not exist)")
            for name in ("fullname", "shortname"):
                if not str(c.get(name, "")).strip():
                    return self._error("moodle_exception", "errorinvalidparam", f'The param "{name}" is invalid.')
            if "lang" in c and c["lang"] not in self.langs:  # get_string_manager()->get_list_of_translations()
                return self._error("moodle_exception", "errorinvalidparam", 'The param "lang" is invalid.')
            if any(x["shortname"] == c["shortname"] for x in self.courses.values()):
                return {"exception": "moodle_exception", "errorcode": "shortnametaken",
                        "message": f"Short name is already used for another course ({c['shortname']})"}
            if c.get("idnumber") and any(x.get("idnumber") == c["idnumber"] for x in self.courses.values()):
                return self._error("moodle_exception", "courseidnumbertaken",
                                   f"ID number is already used for another course ({c['idnumber']})")
            cid = next(self.ids)
            options = {o["name"]: o["value"] for o in c.get("courseformatoptions", [])}
            self.courses[cid] = {"id": cid, **{k: v for k, v in c.items() if k != "courseformatoptions"}}
            n = int(options.get("numsections", 4))
            self.sections[cid] = [{"id": cid * 100 + i, "section": i, "name": "" if i else "General",
                                   "summary": "", "modules": []} for i in range(n + 1)]
            out.append({"id": cid, "shortname": c["shortname"]})
        return out

    def core_course_update_courses(self, p: dict[str, Any]) -> Any:
        warnings = []
        for c in p["courses"]:
            cid = int(c["id"])
            problem = self._update_problem(cid, c)
            if problem is not None:  # update_courses turns each course's exception into a warning
                warnings.append({"item": "course", "itemid": cid, "warningcode": problem[0], "message": problem[1]})
                continue
            self.courses[cid].update({k: v for k, v in c.items() if k != "id"})
            self.updated_fields.append(sorted(k for k in c if k != "id"))
        return {"warnings": warnings}

    def _update_problem(self, cid: int, c: dict[str, Any]) -> tuple[str, str] | None:
        if cid not in self.courses:  # context_course::instance($id, MUST_EXIST)
            return "invalidrecord", "Can't find data record in database table context."
        old = self.courses[cid]
        if "categoryid" in c and int(c["categoryid"]) not in self.categories:
            return "invalidrecord", "Can't find data record in database table course_categories."
        if "lang" in c and c["lang"] != old.get("lang", "") and c["lang"] not in self.langs:
            return "errorinvalidparam", 'The param "lang" is invalid.'
        if "shortname" in c and any(x["shortname"] == c["shortname"] and i != cid for i, x in self.courses.items()):
            return "shortnametaken", f"Short name is already used for another course ({c['shortname']})"
        if c.get("idnumber") and any(x.get("idnumber") == c["idnumber"] and i != cid for i, x in self.courses.items()):
            return "courseidnumbertaken", f"ID number is already used for another course ({c['idnumber']})"
        return None

    def core_course_get_contents(self, p: dict[str, Any]) -> Any:
        cid = int(p["courseid"])
        if cid not in self.sections:
            return {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                    "message": "Can't find data record in database table course."}
        return self.sections[cid]

    def core_courseformat_update_course(self, p: dict[str, Any]) -> Any:
        assert p["action"] == "section_add"
        secs = self.sections[int(p["courseid"])]
        n = len(secs)
        secs.append({"id": int(p["courseid"]) * 100 + n, "section": n, "name": "", "summary": "", "modules": []})
        return json.dumps([{"name": "section", "action": "put", "fields": {"id": secs[-1]["id"]}}])

    def core_update_inplace_editable(self, p: dict[str, Any]) -> Any:
        for secs in self.sections.values():
            for s in secs:
                if s["id"] == int(p["itemid"]) and p["itemtype"] == "sectionname":
                    s["name"] = p["value"]
                    return {"displayvalue": p["value"], "component": p["component"], "itemtype": "sectionname",
                            "value": p["value"], "itemid": p["itemid"]}
        return {"exception": "moodle_exception", "errorcode": "invalidrecord", "message": "no section"}

    def core_webservice_get_site_info(self, p: dict[str, Any]) -> Any:
        return {"sitename": "Fake Moodle", "username": "leads-coordinator", "firstname": "Lea", "lastname": "Coord",
                "fullname": "Lea Coord", "userid": 2, "siteurl": "http://fake", "functions": []}

    # -- competencies: errors as Moodle raises them ------------------------------------------------------------
    @staticmethod
    def _error(exception: str, errorcode: str, message: str) -> dict[str, Any]:
        return {"exception": exception, "errorcode": errorcode, "message": message}

    def _disabled(self) -> dict[str, Any] | None:  # api::require_enabled()
        if self.competencies_enabled:
            return None
        return self._error("moodle_exception", "competenciesarenotenabled", "Competencies are not enabled.")

    def _invalid_persistent(self, errors: dict[str, str]) -> dict[str, Any]:
        return self._error("core\\invalid_persistent_exception", "invalidpersistent",
                           "Invalid persistent: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))

    def core_competency_list_competency_frameworks(self, p: dict[str, Any]) -> Any:
        if (off := self._disabled()) is not None:
            return off
        order = p.get("order", "")
        if order not in ("", "ASC", "DESC"):
            return self._error("invalid_parameter_exception", "invalidparameter",
                               "Invalid parameter value detected (Invalid order param. Must be ASC, DESC or empty.)")
        query = str(p.get("query", "")).lower()
        return [dict(f) for f in self.frameworks.values()
                if not query or query in f["shortname"].lower() or query in f["idnumber"].lower()]

    def core_competency_get_scale_values(self, p: dict[str, Any]) -> Any:
        values = self.scales.get(int(p["scaleid"]))
        if values is None:
            # competency/classes/external.php get_scale_values(): grade_scale::fetch() answers false and
            # $scale->load_items() is a PHP Error, which the REST server sends without an errorcode
            # (webservice/rest/locallib.php generate_error: "errorcode" only if isset($ex->errorcode))
            return {"exception": "Error", "message": "Call to a member function load_items() on bool"}
        return [{"id": i, "name": v} for i, v in enumerate(values, start=1)]

    def core_competency_create_competency_framework(self, p: dict[str, Any]) -> Any:
        if (off := self._disabled()) is not None:
            return off
        f = p.get("competencyframework") or {}
        missing = [k for k in ("shortname", "idnumber", "scaleid", "scaleconfiguration") if k not in f]
        if missing:
            return self._error("invalid_parameter_exception", "invalidparameter",
                               f"Invalid parameter value detected (competencyframework => Missing required key in "
                               f"single structure: {missing[0]})")
        errors: dict[str, str] = {}
        if any(x["idnumber"] == f["idnumber"] for x in self.frameworks.values()):
            errors["idnumber"] = "ID number is already used for another framework"  # idnumbertaken
        scale_id = int(f["scaleid"])
        if scale_id not in self.scales:
            errors["scaleid"] = "Invalid scale ID"  # invalidscaleid
        config = json.loads(f["scaleconfiguration"])
        if not (isinstance(config, list) and config and str(config[0].get("scaleid")) == str(scale_id)
                and any(c.get("scaledefault") for c in config[1:]) and any(c.get("proficient") for c in config[1:])):
            errors["scaleconfiguration"] = "The default and proficient scale values must be set"
        for term in filter(None, str(f.get("taxonomies", "")).split(",")):
            if term not in TAXONOMIES:
                errors["taxonomies"] = f"Invalid taxonomy: {term}"
        if errors:
            return self._invalid_persistent(errors)
        fid = next(self.ids)
        self.frameworks[fid] = {"id": fid, "shortname": f["shortname"], "idnumber": f["idnumber"],
                                "description": f.get("description", ""), "visible": int(f.get("visible", 1)),
                                "scaleid": scale_id, "scaleconfiguration": f["scaleconfiguration"], "contextid": 1,
                                "taxonomies": f.get("taxonomies", "")}
        return dict(self.frameworks[fid])

    def core_competency_list_competencies(self, p: dict[str, Any]) -> Any:
        filters = {x["column"]: x["value"] for x in p.get("filters", [])}
        return [dict(c) for c in self.competencies.values()
                if all(str(c.get(k)) == v for k, v in filters.items())]

    def core_competency_create_competency(self, p: dict[str, Any]) -> Any:
        if (off := self._disabled()) is not None:
            return off
        c = p.get("competency") or {}
        fid = int(c.get("competencyframeworkid", 0))
        if fid not in self.frameworks:  # competency_framework persistent read
            return self._error("dml_missing_record_exception", "invalidrecord",
                               "Can't find data record in database table competency_framework.")
        if any(x["idnumber"] == c.get("idnumber") and x["competencyframeworkid"] == fid
               for x in self.competencies.values()):
            return self._invalid_persistent({"idnumber": "ID number is already used for another competency"})
        cid = next(self.ids)
        self.competencies[cid] = {"id": cid, "shortname": c["shortname"], "idnumber": c["idnumber"],
                                  "description": c.get("description", ""), "competencyframeworkid": fid,
                                  "parentid": int(c.get("parentid", 0)), "sortorder": int(c.get("sortorder", 0))}
        return dict(self.competencies[cid])

    def core_competency_add_competency_to_course(self, p: dict[str, Any]) -> Any:
        if (off := self._disabled()) is not None:
            return off
        course, cid = int(p["courseid"]), int(p["competencyid"])
        if course not in self.courses:
            return self._error("dml_missing_record_exception", "invalidrecord",
                               "Can't find data record in database table course.")
        if cid not in self.competencies:
            return self._error("dml_missing_record_exception", "invalidrecord",
                               "Can't find data record in database table competency.")
        if not self.frameworks[self.competencies[cid]["competencyframeworkid"]]["visible"]:
            return self._error("coding_exception", "codingerror", "A competency belonging to hidden framework "
                               "can not be linked to course")
        if any(x["courseid"] == course and x["competencyid"] == cid for x in self.course_competencies):
            return False  # api::add_competency_to_course: already there
        self.course_competencies.append({"id": next(self.ids), "courseid": course, "competencyid": cid,
                                         "ruleoutcome": 0, "sortorder": len(self.course_competencies)})
        return True

    def core_competency_list_course_competencies(self, p: dict[str, Any]) -> Any:
        course = int(p["id"])
        return [{"competency": dict(self.competencies[x["competencyid"]]), "coursecompetency": dict(x),
                 "coursemodules": []} for x in self.course_competencies if x["courseid"] == course]

    def core_competency_set_course_competency_ruleoutcome(self, p: dict[str, Any]) -> Any:
        outcome = int(p["ruleoutcome"])
        for x in self.course_competencies:
            if x["id"] == int(p["coursecompetencyid"]):
                if outcome not in (0, 1, 2, 3):
                    return self._invalid_persistent({"ruleoutcome": "Invalid value"})
                x["ruleoutcome"] = outcome
                return True
        return self._error("dml_missing_record_exception", "invalidrecord",
                           "Can't find data record in database table competency_coursecomp.")

    def core_user_add_user_private_files(self, p: dict[str, Any]) -> Any:
        filename, content = self.drafts.pop(int(p["draftid"]))
        self.private_files[filename] = content
        return None


COURSE_KEY_PART = re.compile(r"[\w\-~.:]+")  # opaque_keys CourseLocator.ALLOWED_ID_CHARS, for org, number, run


@dataclass
class FakeStudio:
    client_id: str = "leads-client"
    client_secret: str = "s3cret"
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls_before_done: int = 2
    fail_import: bool = False
    calls: list[str] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        url = urlsplit(path)
        self.calls.append(f"{method} {url.path}")
        if url.path == "/oauth2/access_token" and method == "POST":
            form = dict(parse_qsl(body.decode()))
            if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.client_id \
                    or form.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            return 200, {"access_token": "header.payload.sig", "token_type": "JWT", "expires_in": 3600,
                         "scope": "read write"}
        if headers.get("Authorization") != "JWT header.payload.sig":
            return 401, {"detail": "Authentication credentials were not provided."}
        m = re.fullmatch(r"/api/v1/course_runs/(?:(?P<id>[^/]+)/)?", url.path)
        if m:
            return self._course_runs(method, m.group("id"), body)
        m = re.fullmatch(r"/api/courses/v0/import/(?P<id>[^/]+)/", url.path)
        if m:
            return self._import(method, m.group("id"), headers, body, dict(parse_qsl(url.query)))
        return 404, {"detail": "Not found."}

    def _course_runs(self, method: str, run_id: str | None, body: bytes) -> tuple[int, Any]:
        if method == "POST" and run_id is None:
            data = json.loads(body)
            key = f"course-v1:{data['org']}+{data['number']}+{data['run']}"
            if not all(COURSE_KEY_PART.fullmatch(str(data[k])) for k in ("org", "number", "run")):
                return 500, {"detail": "Server Error"}  # opaque_keys InvalidKeyError, uncaught by the view
            if any(k.lower() == key.lower() for k in self.runs):  # has_course(ignore_case=True): DuplicateCourseError
                return 500, {"detail": "Server Error"}
            self.runs[key] = {"id": key, "title": data["title"], "schedule": data["schedule"],
                              "pacing_type": data["pacing_type"], "team": data["team"], "images": {}}
            return 201, self.runs[key]
        if run_id is None or run_id not in self.runs:  # also a malformed key: COURSE_KEY_REGEX does not route it
            return 404, {"detail": "Not found."}
        if method == "PATCH":
            self.runs[run_id].update(json.loads(body))
        return 200, self.runs[run_id]

    def _import(self, method: str, course_id: str, headers: Any, body: bytes,
                query: dict[str, str]) -> tuple[int, Any]:
        if course_id not in self.runs:
            return 404, {"developer_message": "course not found", "error_code": "internal_error"}
        if method == "POST":
            form = multipart(headers["Content-Type"], body)
            if "course_data" not in form:
                return 400, {"developer_message": "Missing required parameter", "error_code": "internal_error"}
            filename, data = form["course_data"]
            if not str(filename).endswith(".tar.gz"):
                return 400, {"developer_message": "Parameter in the wrong format", "error_code": "internal_error"}
            task = f"task-{next(self.ids)}"
            problems = check_course(import_olx(data))
            self.imports[task] = {"course": course_id, "filename": filename, "polls": 0, "problems": problems,
                                  "data": data, "fails": self.fail_import}
            return 200, {"task_id": task}
        job = self.imports.get(query.get("task_id", ""))
        if job is None or job["filename"] != query.get("filename"):
            return 500, {"developer_message": "task not found", "error_code": "internal_error"}
        job["polls"] += 1
        if job["polls"] <= self.polls_before_done:
            return 200, {"state": "In Progress"}
        return 200, {"state": "Failed" if job["fails"] or job["problems"] else "Succeeded"}
