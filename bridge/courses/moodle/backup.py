"""A Moodle course backup (.mbz) from a course outline: the files Moodle's restore reads, in its format.

The layout follows what Moodle's own backup writes (``backup/moodle2``) and what its restore tasks read:
``restore_root_task`` (files, groups, scales, outcomes, questions, roles, users), ``restore_course_task`` (course/),
``restore_section_task`` (sections/section_ID/), ``restore_activity_task`` (activities/lti_CMID/) and
``restore_final_task`` (gradebook, grade history, course completion). Every structure step a restore runs with
the settings below fails on a missing file, so each such file is written, even when it holds nothing.

The LTI activities carry ``typeid`` 0 and the LEADS launch URL as ``toolurl``: Moodle then uses the site's
pre-configured LTI 1.3 tool whose domain matches (mod_lti ``lti_get_tool_by_url_match``), which is how a backup
of a site-tool activity is restored anyway (site tool records are never part of a backup).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import md5

from bridge.courses.moodle.competencies import OUTCOME_COMPLETE, OUTCOME_EVIDENCE, OUTCOME_NONE
from bridge.courses.moodle.lang import moodle_languages
from bridge.courses.outline import Activity, CourseOutline, xml_text

NULL = "$@NULL@$"  # how Moodle's backup writes SQL NULL

# Moodle 4.1 LTS: the oldest release the backup must restore on; later releases restore older backups.
MOODLE_VERSION = "2022112800"
MOODLE_RELEASE = "4.1 (Build: 20221128)"
BACKUP_RELEASE = "4.1"
MOD_LTI_VERSION = "2022112800"

ARCHIVE_INDEX = ".ARCHIVE_INDEX"
ARCHIVE_INDEX_PREFIX = "Moodle archive file index. Count: "
COURSE_ID = 2
COURSE_CONTEXT_ID = 100
CATEGORY_ID = 1
GRADE_CATEGORY_ID = 1
COURSE_GRADE_ITEM_ID = 1

def _el(tag: str, attrs: dict[str, object] | None = None, *children: ET.Element | tuple[str, object]) -> ET.Element:
    """An element with attributes and children; a ``(tag, value)`` pair is a leaf (None → Moodle's NULL)."""
    node = ET.Element(tag, {k: str(v) for k, v in (attrs or {}).items()})
    for child in children:
        if isinstance(child, ET.Element):
            node.append(child)
        else:
            name, value = child
            leaf = ET.SubElement(node, name)
            leaf.text = NULL if value is None else _fmt(value)
    return node


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.5f}"
    return str(value)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False, short_empty_elements=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml_text(data)


@dataclass(frozen=True)
class _Act:
    activity: Activity
    number: int  # 1-based across the course
    cmid: int
    instance: int
    contextid: int
    section_id: int
    section_number: int
    grade_item_id: int | None
    weight: float

    @property
    def directory(self) -> str:
        return f"activities/lti_{self.cmid}"


@dataclass(frozen=True)
class _Sec:
    section_id: int
    number: int
    title: str | None
    summary: str
    acts: tuple[_Act, ...]

    @property
    def directory(self) -> str:
        return f"sections/section_{self.section_id}"


def _layout(outline: CourseOutline) -> list[_Sec]:
    weights = {p.key: p.weight for p in outline.parts}
    graded_in_part: dict[str, int] = {}
    for s in outline.sections:
        graded_in_part[s.part] = graded_in_part.get(s.part, 0) + sum(1 for a in s.activities if a.graded)
    secs = [_Sec(section_id=10, number=0, title=None, summary=f"<p>{_escape(outline.summary)}</p>", acts=())]
    n = 0
    grade_item = COURSE_GRADE_ITEM_ID
    for number, section in enumerate(outline.sections, start=1):
        acts: list[_Act] = []
        for activity in section.activities:
            n += 1
            gid = None
            weight = 0.0
            if activity.graded:
                grade_item += 1
                gid = grade_item
                weight = round(weights.get(section.part, 0.0) / max(graded_in_part.get(section.part, 1), 1), 5)
            acts.append(_Act(activity=activity, number=n, cmid=100 + n, instance=n, contextid=200 + n,
                             section_id=10 + number, section_number=number, grade_item_id=gid, weight=weight))
        secs.append(_Sec(section_id=10 + number, number=number, title=section.title, summary=section.summary,
                         acts=tuple(acts)))
    return secs


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def backup_filename(outline: CourseOutline, when: datetime) -> str:
    return f"backup-moodle2-course-{COURSE_ID}-{outline.short_name}-{when.strftime('%Y%m%d-%H%M')}-nu.mbz"


def build_mbz(outline: CourseOutline, when: datetime | None = None) -> bytes:
    """The .mbz bytes (gzip tar). ``when`` fixes every timestamp, so the same input gives the same file."""
    when = when or datetime.now(UTC)
    files = backup_files(outline, when)
    mtime = int(when.timestamp())
    dirs = sorted({path.rsplit("/", 1)[0] + "/" for path in files if "/" in path}
                  | {path.split("/", 1)[0] + "/" for path in files if "/" in path})
    entries: list[tuple[str, bytes | None]] = [(d, None) for d in dirs] + list(files.items())
    # Moodle's tgz packer writes an index first (used to list the archive without reading it all)
    index = f"{ARCHIVE_INDEX_PREFIX}{len(entries)}\n" + "".join(
        f"{name}\td\t0\t?\n" if data is None else f"{name}\tf\t{len(data)}\t{mtime}\n" for name, data in entries)
    buf = io.BytesIO()
    # gzip's own header carries a time too: pin it, so the same input gives the same bytes
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=mtime) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in [(ARCHIVE_INDEX, index.encode()), *entries]:
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def backup_files(outline: CourseOutline, when: datetime) -> dict[str, bytes]:
    """Path → content of every file in the backup (moodle_backup.xml first, as Moodle writes it)."""
    ts = int(when.timestamp())
    secs = _layout(outline)
    acts = [a for s in secs for a in s.acts]
    out: dict[str, bytes] = {"moodle_backup.xml": _moodle_backup(outline, secs, when)}
    out["files.xml"] = _xml(_el("files"))
    out["groups.xml"] = _xml(_el("groups", None, _el("groupings")))
    out["outcomes.xml"] = _xml(_el("outcomes_definition"))
    out["questions.xml"] = _xml(_el("question_categories"))
    out["scales.xml"] = _xml(_el("scales_definition"))
    out["roles.xml"] = _xml(_el("roles_definition"))
    out["users.xml"] = _xml(_el("users"))
    out["completion.xml"] = _completion(acts)
    out["gradebook.xml"] = _gradebook(outline, acts, ts)
    out["grade_history.xml"] = _xml(_el("grade_history", None, _el("grade_grades")))
    out["badges.xml"] = _xml(_el("badges"))
    out["moodle_backup.log"] = b""
    out["course/course.xml"] = _course(outline, ts)
    out["course/inforef.xml"] = _xml(_el("inforef"))
    out["course/roles.xml"] = _roles()
    out["course/enrolments.xml"] = _xml(_el("enrolments", None, _el("enrols")))
    out["course/filters.xml"] = _filters()
    out["course/calendar.xml"] = _xml(_el("events"))
    out["course/comments.xml"] = _xml(_el("comments"))
    out["course/competencies.xml"] = _course_competencies(outline)
    out["course/completiondefaults.xml"] = _xml(_el("course_completion_defaults"))
    out["course/contentbank.xml"] = _xml(_el("contents"))
    for sec in secs:
        out[f"{sec.directory}/section.xml"] = _section(sec, ts)
        out[f"{sec.directory}/inforef.xml"] = _xml(_el("inforef"))
    for act in acts:
        d = act.directory
        out[f"{d}/lti.xml"] = _lti(outline, act, ts)
        out[f"{d}/module.xml"] = _module(act, ts)
        out[f"{d}/grades.xml"] = _grades(act, ts)
        out[f"{d}/grade_history.xml"] = _xml(_el("grade_history", None, _el("grade_grades")))
        out[f"{d}/grading.xml"] = _xml(_el("areas"))
        out[f"{d}/inforef.xml"] = _activity_inforef(act)
        out[f"{d}/roles.xml"] = _roles()
        out[f"{d}/filters.xml"] = _filters()
        out[f"{d}/calendar.xml"] = _xml(_el("events"))
        out[f"{d}/comments.xml"] = _xml(_el("comments"))
        out[f"{d}/competencies.xml"] = _module_competencies(outline, act)
        out[f"{d}/completion.xml"] = _xml(_el("completions", None, _el("completionviews")))
        out[f"{d}/xapistate.xml"] = _xml(_el("states"))
    return out


ROOT_SETTINGS: tuple[tuple[str, int], ...] = (
    ("imscc11", 0), ("users", 0), ("anonymize", 0), ("role_assignments", 0), ("activities", 1), ("blocks", 0),
    ("files", 1), ("filters", 1), ("comments", 0), ("badges", 0), ("calendarevents", 1), ("userscompletion", 0),
    ("logs", 0), ("grade_histories", 0), ("questionbank", 1), ("groups", 1), ("competencies", 0),
    ("customfield", 1), ("contentbankcontent", 0), ("legacyfiles", 0),
)


def _course_competency_rows(outline: CourseOutline) -> list[tuple[int, str, str]]:
    """(sortorder, competency ID number, framework ID number) of every competency of the course."""
    return [(n, c.idnumber, f.idnumber) for n, (f, c) in enumerate(
        (f, c) for f in outline.frameworks for c in f.competencies)]


def _course_competencies(outline: CourseOutline) -> bytes:
    """Course competencies as ``backup_course_competencies_structure_step`` writes them (backup_stepslib.php:
    ``settings`` only when the course has a competency settings row, then ``competencies`` of
    id/idnumber/ruleoutcome/sortorder/frameworkid/frameworkidnumber, then ``user_competencies``, empty without
    users). ``restore_course_competencies_structure_step::process_course_competency`` links each to the
    site's competency with that ID number in the framework with that ID number (a missing one is skipped), so the
    framework is imported (or created by `leads course create`) before the restore."""
    outcome = OUTCOME_COMPLETE if outline.complete_competencies else OUTCOME_NONE
    rows = [_el("competency", None, ("id", n + 1), ("idnumber", idnumber), ("ruleoutcome", outcome),
                ("sortorder", n), ("frameworkid", 0), ("frameworkidnumber", framework))
            for n, idnumber, framework in _course_competency_rows(outline)]
    return _xml(_el("course_competencies", None, _el("competencies", None, *rows), _el("user_competencies")))


def _module_competencies(outline: CourseOutline, act: _Act) -> bytes:
    """The competencies a graded activity assesses (``backup_activity_competencies_structure_step``: idnumber,
    ruleoutcome, sortorder, frameworkidnumber, and overridegrade, which Moodle 4.0+ backs up and restores;
    ``restore_activity_competencies_structure_step`` maps it like the course's). Completing the activity (a
    passing grade) attaches evidence (course_module_competency::OUTCOME_EVIDENCE), or completes the competency."""
    outcome = OUTCOME_COMPLETE if outline.complete_competencies else OUTCOME_EVIDENCE
    rows = [_el("competency", None, ("idnumber", c.idnumber), ("ruleoutcome", outcome), ("sortorder", n),
                ("frameworkidnumber", f.idnumber), ("overridegrade", 0))
            for n, (f, c) in enumerate((f, c) for f in outline.frameworks for c in f.competencies
                                       if act.activity.key in c.assessments)]
    return _xml(_el("course_module_competencies", None, _el("competencies", None, *rows)))


def _moodle_backup(outline: CourseOutline, secs: list[_Sec], when: datetime) -> bytes:
    name = backup_filename(outline, when)
    activities = _el("activities", None, *[
        _el("activity", None, ("moduleid", a.cmid), ("sectionid", a.section_id), ("modulename", "lti"),
            ("title", a.activity.title), ("directory", a.directory))
        for s in secs for a in s.acts])
    sections = _el("sections", None, *[
        _el("section", None, ("sectionid", s.section_id), ("title", s.title or str(s.number)),
            ("directory", s.directory)) for s in secs])
    course = _el("course", None, ("courseid", COURSE_ID), ("title", outline.short_name), ("directory", "course"))
    settings = [_el("setting", None, ("level", "root"), ("name", "filename"), ("value", name))]
    root = {**dict(ROOT_SETTINGS), "competencies": 1 if outline.frameworks else 0}
    settings += [_el("setting", None, ("level", "root"), ("name", k), ("value", v)) for k, v in root.items()]
    for s in secs:
        for suffix, value in (("included", 1), ("userinfo", 0)):
            settings.append(_el("setting", None, ("level", "section"), ("section", f"section_{s.section_id}"),
                                ("name", f"section_{s.section_id}_{suffix}"), ("value", value)))
        for a in s.acts:
            for suffix, value in (("included", 1), ("userinfo", 0)):
                settings.append(_el("setting", None, ("level", "activity"), ("activity", f"lti_{a.cmid}"),
                                    ("name", f"lti_{a.cmid}_{suffix}"), ("value", value)))
    site_hash = md5(outline.lti.launch_url.encode(), usedforsecurity=False).hexdigest()
    info = _el(
        "information", None,
        ("name", name), ("moodle_version", MOODLE_VERSION), ("moodle_release", MOODLE_RELEASE),
        ("backup_version", MOODLE_VERSION), ("backup_release", BACKUP_RELEASE),
        ("backup_date", int(when.timestamp())), ("mnet_remoteusers", 0), ("include_files", 1),
        ("include_file_references_to_external_content", 0),
        ("original_wwwroot", outline.lti.launch_url.rsplit("/lti/", 1)[0]),
        ("original_site_identifier_hash", site_hash), ("original_course_id", COURSE_ID),
        ("original_course_format", "topics"), ("original_course_fullname", outline.title),
        ("original_course_shortname", outline.short_name), ("original_course_startdate", 0),
        ("original_course_enddate", 0), ("original_course_contextid", COURSE_CONTEXT_ID),
        ("original_system_contextid", 1),
        _el("details", None, _el("detail", {"backup_id": md5(name.encode(), usedforsecurity=False).hexdigest()},
                                 ("type", "course"), ("format", "moodle2"), ("interactive", 1), ("mode", 10),
                                 ("execution", 1), ("executiontime", 0))),
        _el("contents", None, activities, sections, course),
        _el("settings", None, *settings),
    )
    return _xml(_el("moodle_backup", None, info))


def _course(outline: CourseOutline, ts: int) -> bytes:
    root = _el(
        "course", {"id": COURSE_ID, "contextid": COURSE_CONTEXT_ID},
        ("shortname", outline.short_name), ("fullname", outline.title), ("idnumber", f"leads:{outline.design_key}"),
        ("summary", f"<p>{_escape(outline.summary)}</p>"), ("summaryformat", 1), ("format", "topics"),
        ("showgrades", 1), ("newsitems", 0), ("startdate", 0), ("enddate", 0), ("marker", 0), ("maxbytes", 0),
        ("legacyfiles", 0), ("showreports", 0), ("visible", 1), ("groupmode", 0), ("groupmodeforce", 0),
        ("defaultgroupingid", 0), ("lang", (moodle_languages(outline.language) or [""])[0]), ("theme", ""),
        ("timecreated", ts),
        ("timemodified", ts), ("requested", 0), ("showactivitydates", 1), ("showcompletionconditions", 1),
        ("enablecompletion", 1), ("completionnotify", 0),
        _el("category", {"id": CATEGORY_ID}, ("name", "LEADS"), ("description", None)),
        _el("tags"), _el("customfields"),
        _el("courseformatoptions", None,
            _el("courseformatoption", None, ("format", "topics"), ("sectionid", 0), ("name", "hiddensections"),
                ("value", 1)),
            _el("courseformatoption", None, ("format", "topics"), ("sectionid", 0), ("name", "coursedisplay"),
                ("value", 0))),
    )
    return _xml(root)


def _roles() -> bytes:
    return _xml(_el("roles", None, _el("role_overrides"), _el("role_assignments")))


def _filters() -> bytes:
    return _xml(_el("filters", None, _el("filter_actives"), _el("filter_configs")))


def _section(sec: _Sec, ts: int) -> bytes:
    return _xml(_el("section", {"id": sec.section_id},
                    ("number", sec.number), ("name", sec.title), ("summary", sec.summary), ("summaryformat", 1),
                    ("sequence", ",".join(str(a.cmid) for a in sec.acts)), ("visible", 1),
                    ("availabilityjson", None), ("timemodified", ts)))


def _lti(outline: CourseOutline, act: _Act, ts: int) -> bytes:
    a = act.activity
    lti = _el(
        "lti", {"id": act.instance},
        ("name", a.title), ("intro", f"<p>{_escape(a.description)}</p>" if a.description else ""),
        ("introformat", 1), ("timecreated", ts), ("timemodified", ts),
        ("typeid", 0), ("toolurl", outline.lti.launch_url), ("securetoolurl", ""), ("preferheight", 0),
        ("launchcontainer", 4 if a.graded else 1),  # 4 = new window (LTI 1.3 needs its own window for cookies)
        ("instructorchoicesendname", 1), ("instructorchoicesendemailaddr", 1),
        ("instructorchoiceacceptgrades", 1 if a.graded else 0), ("instructorchoiceallowroster", None),
        ("instructorchoiceallowsetting", None), ("grade", int(a.line_item.score_maximum) if a.line_item else 0),
        ("instructorcustomparameters", "\n".join(a.custom_lines())), ("debuglaunch", 0),
        ("showtitlelaunch", 1), ("showdescriptionlaunch", 1), ("icon", ""), ("secureicon", ""),
        ("resourcekey", None), ("password", None),
        _el("ltisubmissions"),
        *_gradebookservices(outline, act),
    )
    return _xml(_el("activity", {"id": act.instance, "moduleid": act.cmid, "modulename": "lti",
                                 "contextid": act.contextid}, lti))


GBS_TYPE_ID = 1  # any non-null id: restore then looks the site tool up by its base URL (find_typeid)


def _gradebookservices(outline: CourseOutline, act: _Act) -> list[ET.Element]:
    """The graded link's line item as ``ltiservice_gradebookservices`` backs it up, so that restore stores the
    LTI resource id and tag itself (``restore_ltiservice_gradebookservices_subplugin::process_…_lineitem``).

    Without it, restore falls back to the grade item's ID number as resource id (``after_restore_lti``, the
    pre-3.9 path), which Moodle's grade service then reports as ``leads:<key>``. ``typeid`` is not null and
    ``baseurl`` is the tool URL dynamic registration gives the site tool (``…/lti/launch``): restore maps the
    line item to that tool by base URL (``find_typeid``); ``gradeitemid`` is the grade item of grades.xml, which
    ``after_restore_lti`` maps to the restored one; ``ltilinkid`` is this activity, so it stays coupled.
    """
    a = act.activity
    if a.line_item is None or act.grade_item_id is None:
        return []  # the claim link: no line item at all
    item = _el("lineitem", {"id": act.number},
               ("gradeitemid", act.grade_item_id), ("courseid", COURSE_ID), ("toolproxyid", None),
               ("typeid", GBS_TYPE_ID), ("baseurl", outline.lti.launch_url), ("ltilinkid", act.instance),
               ("resourceid", a.line_item.resource_id), ("tag", a.line_item.tag), ("vendorcode", None),
               ("guid", None), ("subreviewurl", None), ("subreviewparams", None))
    return [_el("subplugin_ltiservice_gradebookservices_lti", None, _el("lineitems", None, item))]


def _module(act: _Act, ts: int) -> bytes:
    graded = act.activity.graded
    return _xml(_el(
        "module", {"id": act.cmid, "version": MOD_LTI_VERSION},
        ("modulename", "lti"), ("sectionid", act.section_id), ("sectionnumber", act.section_number),
        ("idnumber", f"leads:{act.activity.key}"), ("added", ts), ("score", 0), ("indent", 0), ("visible", 1),
        ("visibleoncoursepage", 1), ("visibleold", 1), ("groupmode", 0), ("groupingid", 0),
        ("completion", 2),  # automatic: graded links complete on a passing grade, the claim link on view
        ("completiongradeitemnumber", 0 if graded else None), ("completionpassgrade", 1 if graded else 0),
        ("completionview", 0 if graded else 1), ("completionexpected", 0), ("availability", None),
        ("showdescription", 1), ("downloadcontent", 1), ("lang", ""), _el("tags"),
    ))


def _grade_item_fields(itemname: str | None, itemtype: str, itemmodule: str | None, iteminstance: int,
                       itemnumber: int | None, idnumber: str | None, grademax: float, gradepass: float,
                       coef2: float, override: int, sortorder: int, ts: int,
                       categoryid: int | None) -> list[tuple[str, object]]:
    return [
        ("categoryid", categoryid), ("itemname", itemname), ("itemtype", itemtype), ("itemmodule", itemmodule),
        ("iteminstance", iteminstance), ("itemnumber", itemnumber), ("iteminfo", None), ("idnumber", idnumber),
        ("calculation", None), ("gradetype", 1), ("grademax", grademax), ("grademin", 0.0), ("scaleid", None),
        ("outcomeid", None), ("gradepass", gradepass), ("multfactor", 1.0), ("plusfactor", 0.0),
        ("aggregationcoef", 0.0), ("aggregationcoef2", coef2), ("weightoverride", override),
        ("sortorder", sortorder), ("display", 0), ("decimals", None), ("hidden", 0), ("locked", 0),
        ("locktime", 0), ("needsupdate", 0), ("timecreated", ts), ("timemodified", ts),
    ]


def _grades(act: _Act, ts: int) -> bytes:
    items = []
    a = act.activity
    if a.graded and a.line_item is not None and act.grade_item_id is not None:
        fields = _grade_item_fields(a.title, "mod", "lti", act.instance, 0, f"leads:{a.key}",
                                    a.line_item.score_maximum, a.passing_grade, act.weight, 1,
                                    act.grade_item_id, ts, GRADE_CATEGORY_ID)
        items.append(_el("grade_item", {"id": act.grade_item_id}, *fields, _el("grade_grades")))
    return _xml(_el("activity_gradebook", None, _el("grade_items", None, *items), _el("grade_letters")))


def _activity_inforef(act: _Act) -> bytes:
    if act.grade_item_id is None:
        return _xml(_el("inforef"))
    return _xml(_el("inforef", None, _el("grade_itemref", None, _el("grade_item", None, ("id", act.grade_item_id)))))


def _gradebook(outline: CourseOutline, acts: list[_Act], ts: int) -> bytes:
    graded = [a for a in acts if a.grade_item_id is not None]
    course_max = sum(a.activity.line_item.score_maximum for a in graded if a.activity.line_item) or 100.0
    category = _el("grade_category", {"id": GRADE_CATEGORY_ID},
                   ("parent", None), ("depth", 1), ("path", f"/{GRADE_CATEGORY_ID}/"), ("fullname", "?"),
                   ("aggregation", 13), ("keephigh", 0), ("droplow", 0), ("aggregateonlygraded", 1),
                   ("aggregateoutcomes", 0), ("timecreated", ts), ("timemodified", ts), ("hidden", 0))
    course_item = _el("grade_item", {"id": COURSE_GRADE_ITEM_ID}, *_grade_item_fields(
        None, "course", None, GRADE_CATEGORY_ID, None, None, course_max,
        round(course_max * outline.pass_cutoff(), 5), 0.0, 0, 1, ts, None), _el("grade_grades"))
    return _xml(_el("gradebook", None, _el("attributes"), _el("grade_categories", None, category),
                    _el("grade_items", None, course_item), _el("grade_letters"),
                    _el("grade_settings", None,
                        _el("grade_setting", {"id": 1}, ("name", "minmaxtouse"), ("value", 1)))))


def _completion(acts: list[_Act]) -> bytes:
    criteria = [
        _el("course_completion_criteria", {"id": i},
            ("course", COURSE_ID), ("criteriatype", 4), ("module", "lti"), ("moduleinstance", a.cmid),
            ("courseinstanceshortname", None), ("enrolperiod", 0), ("timeend", 0), ("gradepass", None),
            ("role", None), ("roleshortname", None), _el("course_completion_crit_completions"))
        for i, a in enumerate((a for a in acts if a.activity.graded), start=1)
    ]
    methods = [
        _el("course_completion_aggr_methd", {"id": 1}, ("course", COURSE_ID), ("criteriatype", None),
            ("method", 1), ("value", None)),
        _el("course_completion_aggr_methd", {"id": 2}, ("course", COURSE_ID), ("criteriatype", 4),
            ("method", 1), ("value", None)),
    ]
    return _xml(_el("course_completion", None, *criteria, *methods, _el("course_completions")))
