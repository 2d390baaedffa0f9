"""An Open edX course export (OLX .tar.gz) from a course outline, in the layout Studio's export writes.

``course/course.xml`` points at ``course/course/{run}.xml``; every child is a pointer tag (only ``url_name``) to
``{category}/{url_name}.xml``, which is how edx-platform's XML importer follows the tree. A micro-credential is a
chapter, each outline section a sequential with one vertical (an HTML block with the summary and the
``lti_consumer`` blocks). The LTI blocks use LTI 1.3 (launch, OIDC login and keyset URLs of LEADS) and carry the
score; a sequential with graded links is graded under its micro-credential's assignment type, whose weight in
``grading_policy.json`` comes from the ECTS, and the course "Pass" cutoff is the weighted mean threshold.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.courses.outline import Activity, CourseOutline, Section, xml_text


@dataclass(frozen=True)
class CourseKey:
    org: str
    number: str
    run: str

    @property
    def course_id(self) -> str:
        return f"course-v1:{self.org}+{self.number}+{self.run}"

    @classmethod
    def for_outline(cls, outline: CourseOutline, org: str = "LEADS", run: str | None = None) -> CourseKey:
        return cls(org=org, number=course_number(outline.design_key), run=run or "run1")


NUMBER_LIMIT = 40


def course_number(design_key: str) -> str:
    """The course number of a design: its key in CamelCase letters and digits, as always for a short key (the
    courses made before keep their number); a longer key keeps its first letters plus a hash of the whole key, so
    two keys that begin alike never share a course (design keys may have 200 characters)."""
    number = re.sub(r"[^A-Za-z0-9]", "", design_key.title()) or "COURSE"
    if len(number) <= NUMBER_LIMIT:
        return number
    digest = hashlib.sha256(design_key.encode("utf-8")).hexdigest()[:8]
    return f"{number[:NUMBER_LIMIT - len(digest) - 1]}_{digest}"


def url_name(prefix: str, key: str) -> str:
    """A url_name edx-platform accepts (letters, digits, ``_ - .``) and unique across categories."""
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}"[:200]


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return xml_text(data) + b"\n"


def _pointer(parent: ET.Element, tag: str, name: str) -> None:
    ET.SubElement(parent, tag, {"url_name": name})


def lti_attributes(outline: CourseOutline, activity: Activity) -> dict[str, str]:
    """The ``lti_consumer`` XBlock fields, serialised as Studio exports them (booleans, JSON lists)."""
    graded = activity.line_item is not None
    return {
        "display_name": activity.title,
        "description": activity.description,
        "lti_version": "lti_1p3",
        "config_type": "new",
        "lti_1p3_launch_url": outline.lti.launch_url,
        "lti_1p3_oidc_url": outline.lti.login_url,
        "lti_1p3_tool_key_mode": "keyset_url",
        "lti_1p3_tool_keyset_url": outline.lti.keyset_url,
        "lti_advantage_ags_mode": "declarative" if graded else "disabled",
        "lti_advantage_deep_linking_enabled": "false",
        "lti_advantage_enable_nrps": "false",
        "custom_parameters": json.dumps(activity.custom_lines()),
        "launch_target": "new_window",
        "button_text": "Open in LEADS",
        "has_score": "true" if graded else "false",
        "weight": f"{activity.line_item.score_maximum:.1f}" if activity.line_item else "0.0",
        "accept_grades_past_due": "false",
        "ask_to_send_username": "true",
        "ask_to_send_email": "true",
    }


def grading_policy(outline: CourseOutline) -> dict[str, object]:
    graders: list[dict[str, object]] = []
    for part in outline.parts:
        count = sum(1 for s in outline.sections if s.part == part.key and any(a.graded for a in s.activities))
        if count:
            graders.append({"type": part.title, "short_label": part.short_label, "min_count": count,
                            "drop_count": 0, "weight": part.weight})
    if graders:  # weights must add up to exactly 1.0
        graders[-1]["weight"] = round(1.0 - sum(float(str(g["weight"])) for g in graders[:-1]), 4)
    return {"GRADER": graders, "GRADE_CUTOFFS": {"Pass": outline.pass_cutoff()}}


def olx_files(outline: CourseOutline, key: CourseKey, start: datetime | None = None) -> dict[str, bytes]:
    """Path (inside the archive, under ``course/``) → content of every OLX file."""
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    titles = {p.key: p.title for p in outline.parts}
    out: dict[str, bytes] = {}
    out["course.xml"] = _xml(ET.Element("course", {"url_name": key.run, "org": key.org, "course": key.number}))
    course = ET.Element("course", {"display_name": outline.title, "language": outline.language})

    chapters: dict[str, ET.Element] = {}
    for section in outline.sections:
        chapter_key = section.part if section.kind != "claim" else section.key
        if chapter_key not in chapters:
            name = url_name("chapter", chapter_key)
            _pointer(course, "chapter", name)
            title = titles.get(chapter_key, section.title) if section.kind != "claim" else section.title
            chapters[chapter_key] = ET.Element("chapter", {"display_name": title})
        seq_name = url_name("sequential", section.key)
        _pointer(chapters[chapter_key], "sequential", seq_name)
        out[f"sequential/{seq_name}.xml"] = _sequential(outline, section, titles)
        out.update(_vertical(outline, section))
    for chapter_key, chapter in chapters.items():
        out[f"chapter/{url_name('chapter', chapter_key)}.xml"] = _xml(chapter)
    out[f"course/{key.run}.xml"] = _xml(course)

    end = start.replace(year=start.year + 1)
    policy = {f"course/{key.run}": {  # display_name and language live in the course XML (no override)
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "course_image": "", "advanced_modules": ["lti_consumer"], "cert_html_view_enabled": False,
    }}
    out[f"policies/{key.run}/policy.json"] = json.dumps(policy, indent=2, ensure_ascii=False).encode()
    out[f"policies/{key.run}/grading_policy.json"] = json.dumps(grading_policy(outline), indent=2,
                                                                ensure_ascii=False).encode()
    out["policies/assets.json"] = b"{}"
    out["about/overview.html"] = f"<section class=\"about\"><p>{_esc(outline.summary)}</p></section>\n".encode()
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sequential(outline: CourseOutline, section: Section, titles: dict[str, str]) -> bytes:
    attrs = {"display_name": section.title}
    if any(a.graded for a in section.activities) and section.part in titles:
        attrs.update({"graded": "true", "format": titles[section.part]})
    seq = ET.Element("sequential", attrs)
    _pointer(seq, "vertical", url_name("vertical", section.key))
    return _xml(seq)


def _vertical(outline: CourseOutline, section: Section) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    vertical = ET.Element("vertical", {"display_name": section.title})
    html_name = url_name("html", section.key)
    _pointer(vertical, "html", html_name)
    files[f"html/{html_name}.xml"] = _xml(ET.Element("html", {"filename": html_name, "display_name": section.title}))
    files[f"html/{html_name}.html"] = (section.summary or f"<p>{_esc(section.title)}</p>").encode() + b"\n"
    for activity in section.activities:
        name = url_name("lti", activity.key)
        _pointer(vertical, "lti_consumer", name)
        files[f"lti_consumer/{name}.xml"] = _xml(ET.Element("lti_consumer", lti_attributes(outline, activity)))
    files[f"vertical/{url_name('vertical', section.key)}.xml"] = _xml(vertical)
    return files


def build_olx(outline: CourseOutline, key: CourseKey, when: datetime | None = None) -> bytes:
    """The .tar.gz Studio imports: everything under ``course/``, deterministic for a given ``when``."""
    mtime = int((when or datetime.now(UTC)).timestamp())
    files = olx_files(outline, key)
    buf = io.BytesIO()
    # gzip's own header carries a time too: pin it, so the same input gives the same bytes
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=mtime) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs = sorted({"course"} | {"course/" + p.rsplit("/", 1)[0] for p in files if "/" in p})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = mtime
            tar.addfile(info)
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(f"course/{path}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = mtime
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
