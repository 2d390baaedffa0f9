"""Checks a .mbz the way Moodle's restore reads it (backup/moodle2 restore tasks), returning every problem.

Written from Moodle's code: ``backup_general_helper::get_backup_information`` (moodle_backup.xml),
``restore_root_task`` / ``restore_course_task`` / ``restore_section_task`` / ``restore_activity_task`` /
``restore_final_task`` (which file each structure step opens; a missing one throws
``missing_moodle_backup_xml_file``), ``restore_lti_activity_structure_step`` (paths /activity/lti...), and the
field lists of ``backup_module_structure_step``, ``backup_section_structure_step`` and ``backup_lti_stepslib``.
"""

from __future__ import annotations

import io
import tarfile
import xml.etree.ElementTree as ET

# Element order of real Moodle 4.x backups (a 4.3 course backup and backup_*_structure_step field lists).
MODULE_FIELDS = ["modulename", "sectionid", "sectionnumber", "idnumber", "added", "score", "indent", "visible",
                 "visibleoncoursepage", "visibleold", "groupmode", "groupingid", "completion",
                 "completiongradeitemnumber", "completionpassgrade", "completionview", "completionexpected",
                 "availability", "showdescription", "downloadcontent", "lang", "tags"]
SECTION_FIELDS = ["number", "name", "summary", "summaryformat", "sequence", "visible", "availabilityjson",
                  "timemodified"]
LTI_FIELDS = ["name", "intro", "introformat", "timecreated", "timemodified", "typeid", "toolurl", "securetoolurl",
              "preferheight", "launchcontainer", "instructorchoicesendname", "instructorchoicesendemailaddr",
              "instructorchoiceacceptgrades", "instructorchoiceallowroster", "instructorchoiceallowsetting",
              "grade", "instructorcustomparameters", "debuglaunch", "showtitlelaunch", "showdescriptionlaunch",
              "icon", "secureicon", "resourcekey", "password"]
GRADE_ITEM_FIELDS = ["categoryid", "itemname", "itemtype", "itemmodule", "iteminstance", "itemnumber", "iteminfo",
                     "idnumber", "calculation", "gradetype", "grademax", "grademin", "scaleid", "outcomeid",
                     "gradepass", "multfactor", "plusfactor", "aggregationcoef", "aggregationcoef2",
                     "weightoverride", "sortorder", "display", "decimals", "hidden", "locked", "locktime",
                     "needsupdate", "timecreated", "timemodified", "grade_grades"]
# backup_ltiservice_gradebookservices_subplugin: <subplugin_ltiservice_gradebookservices_lti><lineitems><lineitem id>
GBS_ELEMENT = "subplugin_ltiservice_gradebookservices_lti"
LINEITEM_FIELDS = ["gradeitemid", "courseid", "toolproxyid", "typeid", "baseurl", "ltilinkid", "resourceid", "tag",
                   "vendorcode", "guid", "subreviewurl", "subreviewparams"]
# backup_course_competencies_structure_step / backup_activity_competencies_structure_step: restore maps each
# competency by its ID number inside the framework with frameworkidnumber (both needed)
COURSE_COMPETENCY_FIELDS = ["id", "idnumber", "ruleoutcome", "sortorder", "frameworkid", "frameworkidnumber"]
MODULE_COMPETENCY_FIELDS = ["idnumber", "ruleoutcome", "sortorder", "frameworkidnumber", "overridegrade"]
INFO_FIELDS = ["name", "moodle_version", "moodle_release", "backup_version", "backup_release", "backup_date",
               "mnet_remoteusers", "include_files", "include_file_references_to_external_content",
               "original_wwwroot", "original_site_identifier_hash", "original_course_id", "original_course_format",
               "original_course_fullname", "original_course_shortname", "original_course_startdate",
               "original_course_enddate", "original_course_contextid", "original_system_contextid", "details",
               "contents", "settings"]
ROOT_FILES = {"files.xml": "files", "groups.xml": "groups", "scales.xml": "scales_definition",
              "outcomes.xml": "outcomes_definition", "questions.xml": "question_categories",
              "roles.xml": "roles_definition", "gradebook.xml": "gradebook", "completion.xml": "course_completion",
              "grade_history.xml": "grade_history"}


# Files a real 4.x course backup also holds: (root setting that makes restore read it, name, root element).
COURSE_OPTIONAL = [("competencies", "competencies.xml", "course_competencies"),
                   ("comments", "comments.xml", "comments"), ("contentbankcontent", "contentbank.xml", "contents"),
                   ("always-optional", "completiondefaults.xml", "course_completion_defaults")]
ACTIVITY_OPTIONAL = [("competencies", "competencies.xml", "course_module_competencies"),
                     ("comments", "comments.xml", "comments"), ("userscompletion", "completion.xml", "completions"),
                     ("xapistate", "xapistate.xml", "states")]
INDEX_PREFIX = "Moodle archive file index. Count: "


def _check_index(files: dict[str, bytes]) -> list[str]:
    """Moodle's tgz packer index (optional): a count line, then path, type, size, mtime per entry."""
    if ".ARCHIVE_INDEX" not in files:
        return []
    lines = files[".ARCHIVE_INDEX"].decode().splitlines()
    if not lines or not lines[0].startswith(INDEX_PREFIX):
        return [".ARCHIVE_INDEX: first line must start with the count prefix, or Moodle ignores the index"]
    problems = []
    if int(lines[0].removeprefix(INDEX_PREFIX)) != len(lines) - 1:
        problems.append(".ARCHIVE_INDEX: count differs from the number of entries")
    listed = {}
    for line in lines[1:]:
        path, kind, size, _mtime = line.split("\t")
        if kind == "f":
            listed[path] = int(size)
    actual = {p: len(d) for p, d in files.items() if p != ".ARCHIVE_INDEX"}
    if listed != actual:
        problems.append(f".ARCHIVE_INDEX lists other files or sizes than the archive holds: "
                        f"{sorted(set(listed.items()) ^ set(actual.items()))[:4]}")
    return problems


def read_mbz(data: bytes) -> dict[str, bytes]:
    if data[:2] != b"\x1f\x8b":
        raise AssertionError("not a gzip file: Moodle's mbz packer only restores tgz (or zip) backups")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        out = {}
        for m in tar.getmembers():
            if m.isfile():
                f = tar.extractfile(m)
                assert f is not None
                out[m.name] = f.read()
        return out


def _tags(el: ET.Element) -> list[str]:
    return [c.tag for c in el]


def _text(el: ET.Element, tag: str) -> str:
    found = el.find(tag)
    return "" if found is None or found.text is None else found.text


def check_mbz(files: dict[str, bytes]) -> list[str]:
    problems: list[str] = []
    parsed: dict[str, ET.Element] = {}
    for path, data in files.items():
        if path.endswith(".xml") and path != ".ARCHIVE_INDEX":
            if not data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'):
                problems.append(f"{path}: no UTF-8 XML declaration")
            try:
                parsed[path] = ET.fromstring(data)
            except ET.ParseError as exc:
                problems.append(f"{path}: not well-formed XML ({exc})")
    used: set[str] = {"moodle_backup.log", "users.xml"}
    problems += _check_index(files)
    used.add(".ARCHIVE_INDEX")

    def need(path: str, root: str) -> ET.Element | None:
        used.add(path)
        el = parsed.get(path)
        if el is None:
            problems.append(f"{path}: missing (restore throws missing_moodle_backup_xml_file)")
            return None
        if el.tag != root:
            problems.append(f"{path}: root is <{el.tag}>, restore expects <{root}>")
        return el

    mb = need("moodle_backup.xml", "moodle_backup")
    if mb is None:
        return problems
    info = mb.find("information")
    if info is None:
        return [*problems, "moodle_backup.xml: no <information>"]
    missing = [t for t in INFO_FIELDS if info.find(t) is None]
    if missing:
        problems.append(f"moodle_backup.xml: information lacks {missing}")
    detail = info.find("details/detail")
    if detail is None or not detail.get("backup_id") or _text(detail, "type") != "course" \
            or _text(detail, "format") != "moodle2":
        problems.append("moodle_backup.xml: details/detail must be a moodle2 course backup with a backup_id")
    settings = {}
    for s in info.findall("settings/setting"):
        settings[(_text(s, "level"), _text(s, "section") or _text(s, "activity"), _text(s, "name"))] = _text(s, "value")
    root = {name: value for (level, _, name), value in settings.items() if level == "root"}
    for name in ("users", "activities", "filters", "calendarevents", "userscompletion", "logs", "comments"):
        if name not in root:
            problems.append(f"moodle_backup.xml: root setting '{name}' missing")

    for path, tag in ROOT_FILES.items():
        need(path, tag)

    course_info = info.find("contents/course")
    course_id = _text(course_info, "courseid") if course_info is not None else ""
    course_dir = _text(course_info, "directory") if course_info is not None else "course"
    course = need(f"{course_dir}/course.xml", "course")
    if course is not None:
        if course.get("id") != course_id:
            problems.append("course/course.xml: id differs from contents/course/courseid")
        for t in ("shortname", "fullname", "format", "enablecompletion", "category"):
            if course.find(t) is None:
                problems.append(f"course/course.xml: <{t}> missing")
    need(f"{course_dir}/roles.xml", "roles")
    need(f"{course_dir}/inforef.xml", "inforef")
    need(f"{course_dir}/enrolments.xml", "enrolments")
    if root.get("filters") == "1":
        need(f"{course_dir}/filters.xml", "filters")
    if root.get("calendarevents") == "1":
        need(f"{course_dir}/calendar.xml", "events")
    for setting, name, tag in COURSE_OPTIONAL:
        path = f"{course_dir}/{name}"
        if root.get(setting) == "1" or path in files:  # required by the setting; else, if there, well-formed
            need(path, tag)
    if root.get("badges") == "1" or "badges.xml" in files:
        need("badges.xml", "badges")

    sections: dict[str, ET.Element] = {}
    for s in info.findall("contents/sections/section"):
        sid, sdir = _text(s, "sectionid"), _text(s, "directory")
        for suffix in ("included", "userinfo"):
            if ("section", f"section_{sid}", f"section_{sid}_{suffix}") not in settings:
                problems.append(f"moodle_backup.xml: setting section_{sid}_{suffix} missing")
        el = need(f"{sdir}/section.xml", "section")
        need(f"{sdir}/inforef.xml", "inforef")
        if el is not None:
            sections[sid] = el
            if el.get("id") != sid:
                problems.append(f"{sdir}/section.xml: id {el.get('id')} != sectionid {sid}")
            if _tags(el) != SECTION_FIELDS:
                problems.append(f"{sdir}/section.xml: fields {_tags(el)} differ from Moodle's {SECTION_FIELDS}")
    numbers = sorted(int(_text(s, "number")) for s in sections.values())
    if numbers != list(range(len(numbers))):
        problems.append(f"section numbers {numbers} are not 0..n-1")

    cmids: dict[str, str] = {}
    grade_item_ids: set[str] = set()
    for a in info.findall("contents/activities/activity"):
        mid, sid, modname, adir = (_text(a, t) for t in ("moduleid", "sectionid", "modulename", "directory"))
        cmids[mid] = modname
        if adir != f"activities/{modname}_{mid}":
            problems.append(f"activity {mid}: directory {adir} is not activities/{modname}_{mid}")
        for suffix in ("included", "userinfo"):
            if ("activity", f"{modname}_{mid}", f"{modname}_{mid}_{suffix}") not in settings:
                problems.append(f"moodle_backup.xml: setting {modname}_{mid}_{suffix} missing")
        sec = sections.get(sid)
        if sec is None:
            problems.append(f"activity {mid}: sectionid {sid} is not a backed-up section")
        elif mid not in _text(sec, "sequence").split(","):
            problems.append(f"activity {mid}: not in the sequence of section {sid}")
        module = need(f"{adir}/module.xml", "module")
        if module is not None:
            if module.get("id") != mid or not module.get("version"):
                problems.append(f"{adir}/module.xml: id/version attributes wrong")
            if _text(module, "modulename") != modname or _text(module, "sectionid") != sid:
                problems.append(f"{adir}/module.xml: modulename/sectionid differ from moodle_backup.xml")
            if sec is not None and _text(module, "sectionnumber") != _text(sec, "number"):
                problems.append(f"{adir}/module.xml: sectionnumber differs from the section's number")
            if _tags(module) != MODULE_FIELDS:
                problems.append(f"{adir}/module.xml: fields {_tags(module)} differ from Moodle's")
        act = need(f"{adir}/{modname}.xml", "activity")
        instance = None
        lineitems: list[ET.Element] = []
        if act is not None:
            if act.get("moduleid") != mid or act.get("modulename") != modname or not act.get("contextid"):
                problems.append(f"{adir}/{modname}.xml: <activity> moduleid/modulename/contextid attributes wrong")
            inner = act.find(modname)
            if inner is None or inner.get("id") != act.get("id"):
                problems.append(f"{adir}/{modname}.xml: no <{modname} id> matching <activity id>")
            else:
                instance = inner.get("id")
                if modname == "lti":
                    fields = [t for t in _tags(inner) if t not in ("ltitype", "ltisubmissions", GBS_ELEMENT)]
                    if fields != LTI_FIELDS:
                        problems.append(f"{adir}/lti.xml: fields differ from backup_lti_stepslib: {fields}")
                    lineitems = inner.findall(f"{GBS_ELEMENT}/lineitems/lineitem")
        need(f"{adir}/roles.xml", "roles")
        if root.get("filters") == "1":
            need(f"{adir}/filters.xml", "filters")
        if root.get("calendarevents") == "1":
            need(f"{adir}/calendar.xml", "events")
        need(f"{adir}/grading.xml", "areas")
        for setting, name, tag in ACTIVITY_OPTIONAL:
            if root.get(setting) == "1" or f"{adir}/{name}" in files:
                need(f"{adir}/{name}", tag)
        need(f"{adir}/grade_history.xml", "grade_history")
        grades = need(f"{adir}/grades.xml", "activity_gradebook")
        inforef = need(f"{adir}/inforef.xml", "inforef")
        items = grades.findall("grade_items/grade_item") if grades is not None else []
        ids = {str(g.get("id")) for g in items}
        refs = {_text(g, "id") for g in inforef.findall("grade_itemref/grade_item")} if inforef is not None else set()
        if ids != refs:
            problems.append(f"{adir}: grade items {sorted(ids)} != inforef grade_itemref {sorted(refs)}")
        if modname == "lti" and act is not None:
            for line in lineitems:
                if _tags(line) != LINEITEM_FIELDS or not line.get("id"):
                    problems.append(f"{adir}/lti.xml: lineitem fields differ from the gradebookservices backup")
                if _text(line, "gradeitemid") not in ids:
                    problems.append(f"{adir}/lti.xml: lineitem names grade item {_text(line, 'gradeitemid')}, "
                                    "not one of this activity (after_restore_lti cannot map it)")
                if _text(line, "ltilinkid") != instance:
                    problems.append(f"{adir}/lti.xml: lineitem ltilinkid is not this lti instance (restore skips it)")
                if _text(line, "typeid") in ("", "$@NULL@$"):
                    problems.append(f"{adir}/lti.xml: lineitem typeid is null (restore cannot find the tool)")
        for g in items:
            grade_item_ids.add(str(g.get("id")))
            if _tags(g) != GRADE_ITEM_FIELDS:
                problems.append(f"{adir}/grades.xml: grade_item fields differ from Moodle's")
            if _text(g, "itemmodule") != modname or _text(g, "iteminstance") != instance:
                problems.append(f"{adir}/grades.xml: grade item not tied to this {modname} instance")
            if float(_text(g, "gradepass")) > float(_text(g, "grademax")):
                problems.append(f"{adir}/grades.xml: gradepass above grademax")
        if module is not None and _text(module, "completiongradeitemnumber") == "0" and not items:
            problems.append(f"{adir}: completion requires a grade but the activity has no grade item")

    for sid, sec in sections.items():
        for cm in filter(None, _text(sec, "sequence").split(",")):
            if cm not in cmids:
                problems.append(f"section {sid}: sequence names course module {cm}, which is not in the backup")

    gradebook = parsed.get("gradebook.xml")
    if gradebook is not None:
        cats = {c.get("id") for c in gradebook.findall("grade_categories/grade_category")}
        for g in gradebook.findall("grade_items/grade_item"):
            if _text(g, "itemtype") == "course" and _text(g, "iteminstance") not in cats:
                problems.append("gradebook.xml: course grade item points to no grade category")
            if g.get("id") in grade_item_ids:
                problems.append(f"gradebook.xml: grade item id {g.get('id')} reused by an activity")
    completion = parsed.get("completion.xml")
    if completion is not None:
        for c in completion.findall("course_completion_criteria"):
            if _text(c, "criteriatype") == "4" and cmids.get(_text(c, "moduleinstance")) != _text(c, "module"):
                problems.append(f"completion.xml: criterion {c.get('id')} names a module not in the backup")

    for path, el in parsed.items():
        if not path.endswith("competencies.xml"):
            continue
        fields = COURSE_COMPETENCY_FIELDS if path.startswith("course/") else MODULE_COMPETENCY_FIELDS
        for c in el.findall("competencies/competency"):
            if _tags(c) != fields or not _text(c, "idnumber") or not _text(c, "frameworkidnumber"):
                problems.append(f"{path}: competency fields {_tags(c)} differ from Moodle's {fields}")
            if _text(c, "ruleoutcome") not in ("0", "1", "2", "3"):
                problems.append(f"{path}: ruleoutcome must be 0..3 (course_competency::OUTCOME_*)")

    for path in files:
        if path not in used:
            problems.append(f"{path}: not read by any restore step (stray file)")
    return problems
