"""The design's competences as Moodle competencies, checked against Moodle's formats: the web-service calls of
`leads course create` (on the loopback fake, which refuses what core_competency refuses), the framework file as
tool_lpimportcsv's importer reads it, and the .mbz links as the competency restore steps map them."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bridge.courses import service
from bridge.courses.moodle.backup import build_mbz
from bridge.courses.moodle.client import MoodleClient, MoodleError
from bridge.courses.moodle.competencies import CSV_HEADER, framework_csv, scale_configuration
from bridge.courses.outline import CourseOutline
from bridge.courses.targets import MoodleTarget
from bridge.db import Database
from tests.bridge.courses.fakes import FakeMoodle
from tests.bridge.courses.mbz_check import check_mbz, read_mbz

LEVELS = ["Assists", "Applies", "Masters", "Adapts", "Innovates"]


def _target(url: str, **kw: Any) -> MoodleTarget:
    return MoodleTarget(name="uni-moodle", url=url, token=SecretStr("good-token"), **kw)


def test_a_framework_per_practice_with_the_proficiency_scale(pilot_outline: CourseOutline) -> None:
    [fw] = pilot_outline.frameworks
    assert fw.idnumber == "leads:glam-archive-to-commons" and list(fw.scale) == LEVELS
    assert fw.proficient_from == 2  # the design requires "Applies" at least
    assessed = {a for c in fw.competencies for a in c.assessments}
    assert assessed == {a.key for a in pilot_outline.graded_activities}


def _import_csv(text: str, scales: dict[int, list[str]]) -> dict[str, Any]:
    """What tool_lpimportcsv's framework_importer does with the file: columns by position (read_mapping_data
    without a mapping), one ``Is framework`` row, competencies in a tree by parent ID number, the framework's
    scale found among the site scales by its values or created, the scale id put into the configuration."""
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER and all(len(r) == 14 for r in rows)
    [framework] = [r for r in rows[1:] if r[12]]
    competencies = [r for r in rows[1:] if not r[12]]
    values = framework[5].split(",")
    scale_id = next((i for i, v in scales.items() if v == values), None)
    if scale_id is None:
        scale_id = max(scales) + 1
        scales[scale_id] = values
    config = json.loads(framework[6])
    config[0]["scaleid"] = scale_id
    assert any(c.get("scaledefault") for c in config[1:]) and any(c.get("proficient") for c in config[1:])
    assert all(r[0] == "" or r[0] in {c[1] for c in competencies} for r in competencies)  # parents exist
    return {"idnumber": framework[1], "shortname": framework[2], "scaleid": scale_id, "config": config,
            "taxonomies": framework[13], "competencies": {r[1]: r[2] for r in competencies}}


def test_the_framework_file_is_what_the_moodle_importer_reads(pilot_outline: CourseOutline) -> None:
    [fw] = pilot_outline.frameworks
    scales = {1: ["Mostly separate knowing", "Separate and connected", "Mostly connected knowing"],
              2: ["Not yet competent", "Competent"]}
    imported = _import_csv(framework_csv(fw), scales)
    assert imported["idnumber"] == fw.idnumber and scales[imported["scaleid"]] == LEVELS  # scale created
    assert [c["proficient"] for c in imported["config"][1:]] == [0, 1, 1, 1, 1]
    assert [c["scaledefault"] for c in imported["config"][1:]] == [1, 0, 0, 0, 0]
    assert set(imported["competencies"]) == {c.idnumber for c in fw.competencies}
    assert imported["taxonomies"] == "competency"
    again = _import_csv(framework_csv(fw), scales)  # a second import reuses the scale with the same values
    assert again["scaleid"] == imported["scaleid"]


def test_the_mbz_links_course_and_activities_to_the_competencies(pilot_outline: CourseOutline) -> None:
    files = read_mbz(build_mbz(pilot_outline))
    assert check_mbz(files) == []
    info = ET.fromstring(files["moodle_backup.xml"]).find("information")
    assert info is not None
    root = {s.findtext("name"): s.findtext("value") for s in info.findall("settings/setting")
            if s.findtext("level") == "root"}
    assert root["competencies"] == "1"  # restore offers and runs the competency steps
    [fw] = pilot_outline.frameworks
    course = ET.fromstring(files["course/competencies.xml"])
    linked = {(c.findtext("idnumber"), c.findtext("frameworkidnumber"), c.findtext("ruleoutcome"))
              for c in course.findall("competencies/competency")}
    assert linked == {(c.idnumber, fw.idnumber, "0") for c in fw.competencies}
    per_activity: dict[str, set[str]] = {}
    for path, data in files.items():
        if path.endswith("/competencies.xml") and path.startswith("activities/"):
            lti = ET.fromstring(files[path.replace("competencies.xml", "lti.xml")])
            custom = lti.findtext("lti/instructorcustomparameters") or ""
            key = dict(line.split("=", 1) for line in custom.splitlines()).get("leads_assessment")
            comps = {c.findtext("idnumber") or "" for c in ET.fromstring(data).findall("competencies/competency")}
            if key:
                per_activity[key] = comps
            else:
                assert comps == set()  # the claim link assesses nothing
    assert per_activity == {a: {c.idnumber for c in fw.competencies if a in c.assessments}
                            for a in {a.key for a in pilot_outline.graded_activities}}
    completing = read_mbz(build_mbz(replace(pilot_outline, complete_competencies=True)))
    outcomes = {c.findtext("ruleoutcome") for c in
                ET.fromstring(completing["course/competencies.xml"]).findall("competencies/competency")}
    assert outcomes == {"3"}  # completing the course completes the competencies


def test_course_create_links_an_imported_framework(db: Database, moodle: tuple[FakeMoodle, str],
                                                   http: httpx.Client, pilot_outline: CourseOutline) -> None:
    """The admin imported the framework file: `leads course create` finds it by ID number and links the course."""
    fake, url = moodle
    [fw] = pilot_outline.frameworks
    imported = _import_csv(framework_csv(fw), fake.scales)
    fake.frameworks[900] = {"id": 900, "shortname": imported["shortname"], "idnumber": imported["idnumber"],
                            "visible": 1, "scaleid": imported["scaleid"], "scaleconfiguration": "", "contextid": 1}
    for n, (idnumber, name) in enumerate(imported["competencies"].items()):
        fake.competencies[901 + n] = {"id": 901 + n, "shortname": name, "idnumber": idnumber,
                                      "competencyframeworkid": 900}
    result = service.create_course(db, pilot_outline, _target(url), http)
    assert "core_competency_create_competency_framework" not in fake.calls
    assert "core_competency_create_competency" not in fake.calls
    course = int(str(result.remote_id))
    assert sorted(x["competencyid"] for x in fake.course_competencies if x["courseid"] == course) == \
        sorted(901 + n for n in range(len(fw.competencies)))
    assert result.created["competency_frameworks_missing"] == []
    assert result.created["backup_owner"] == "Lea Coord (leads-coordinator)"
    service.create_course(db, pilot_outline, _target(url), http)  # again: nothing linked twice
    assert len(fake.course_competencies) == len(fw.competencies)


def test_course_create_creates_the_framework_with_a_matching_scale(db: Database, moodle: tuple[FakeMoodle, str],
                                                                   http: httpx.Client,
                                                                   pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    fake.scales[7] = list(LEVELS)
    result = service.create_course(db, pilot_outline, _target(url, competency_scale_id=7, complete_competencies=True),
                                   http)
    [fw] = pilot_outline.frameworks
    [made] = fake.frameworks.values()
    assert made["idnumber"] == fw.idnumber and made["scaleid"] == 7
    assert made["scaleconfiguration"] == scale_configuration(fw, 7)
    assert {c["idnumber"] for c in fake.competencies.values()} == {c.idnumber for c in fw.competencies}
    assert {x["ruleoutcome"] for x in fake.course_competencies} == {3}
    assert result.created["competencies_linked"] == len(fw.competencies)
    service.create_course(db, pilot_outline, _target(url, competency_scale_id=7), http)
    assert len(fake.frameworks) == 1 and len(fake.competencies) == len(fw.competencies)  # found, not duplicated


def test_a_scale_with_other_levels_is_refused(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    from bridge.courses.steps import CourseCreationFailed

    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, _target(url, competency_scale_id=2), http)
    assert err.value.step == "competencies" and "Not yet competent" in err.value.message
    assert fake.frameworks == {}


def test_without_framework_or_scale_the_course_is_made_and_the_missing_framework_named(
        db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    result = service.create_course(db, pilot_outline, _target(url), http)
    assert result.created["competency_frameworks_missing"] == ["leads:glam-archive-to-commons"]
    assert fake.course_competencies == [] and len(fake.courses) == 1


def test_the_fake_refuses_what_moodle_refuses(moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    client = MoodleClient(url, "good-token", http)
    [fw] = pilot_outline.frameworks
    base = {"shortname": "x", "idnumber": "x", "scaleid": 2, "contextlevel": "system", "instanceid": 0}
    with pytest.raises(MoodleError) as err:  # no proficient value: competency_framework::validate_scaleconfiguration
        client.call("core_competency_create_competency_framework", competencyframework={
            **base, "scaleconfiguration": '[{"scaleid":"2"},{"id":1,"scaledefault":1,"proficient":0}]'})
    assert err.value.errorcode == "invalidpersistent"
    with pytest.raises(MoodleError) as err:
        client.call("core_competency_create_competency_framework", competencyframework={
            **base, "scaleid": 99, "scaleconfiguration": scale_configuration(fw, 99)})
    assert err.value.errorcode == "invalidpersistent" and "scaleid" in err.value.message
    with pytest.raises(MoodleError) as err:
        client.call("core_competency_add_competency_to_course", courseid=5, competencyid=1)
    assert err.value.errorcode == "invalidrecord"
    fake.competencies_enabled = False
    with pytest.raises(MoodleError) as err:
        client.call("core_competency_list_competency_frameworks", context={"contextlevel": "system"})
    assert err.value.errorcode == "competenciesarenotenabled"


def test_the_competency_files_have_the_shape_moodle_writes(pilot_outline: CourseOutline) -> None:
    """backup_course_competencies_structure_step: <course_competencies> holds <settings> (only when the course has a
    competency settings row, so not here), <competencies> and <user_competencies>; each <competency> has id,
    idnumber, ruleoutcome, sortorder, frameworkid, frameworkidnumber. backup_activity_competencies_structure_step:
    <course_module_competencies><competencies><competency> with idnumber, ruleoutcome, sortorder,
    frameworkidnumber (and overridegrade, which Moodle 4.0+ backs up and restores)."""
    files = read_mbz(build_mbz(pilot_outline))
    course = ET.fromstring(files["course/competencies.xml"])
    assert course.tag == "course_competencies" and [c.tag for c in course] == ["competencies", "user_competencies"]
    rows = course.findall("competencies/competency")
    assert [r.findtext("sortorder") for r in rows] == [str(n) for n in range(len(rows))]
    assert len({r.findtext("id") for r in rows}) == len(rows)  # the old ids restore maps user competencies by
    for path, data in files.items():
        if path.startswith("activities/") and path.endswith("/competencies.xml"):
            module = ET.fromstring(data)
            assert module.tag == "course_module_competencies" and [c.tag for c in module] == ["competencies"]
            for r in module.findall("competencies/competency"):
                assert r.findtext("ruleoutcome") == "1" and r.findtext("overridegrade") == "0"


def _site_with(fw_csv: str) -> dict[str, dict[str, int]]:
    """What the framework import leaves on the site: the framework and its competencies, by ID number."""
    rows = list(csv.DictReader(io.StringIO(fw_csv)))
    [framework] = [r["Id number"] for r in rows if r["Is framework"] == "1"]
    return {framework: {r["Id number"]: 900 + n for n, r in enumerate(rows) if r["Is framework"] != "1"}}


def test_restore_links_the_course_and_its_activities_to_the_imported_framework(pilot_outline: CourseOutline) -> None:
    from tests.bridge.courses.moodle_restore import Course, SiteTool

    [fw] = pilot_outline.frameworks
    files = read_mbz(build_mbz(pilot_outline))
    site = _site_with(framework_csv(fw))
    course = Course(id=7, tools=[SiteTool(id=3, baseurl="https://leads.example.org/lti/launch")],
                    site_competencies=site)
    course.restore(files)
    ids = site[fw.idnumber]
    assert sorted((r["competencyid"], r["ruleoutcome"]) for r in course.course_competencies) == \
        sorted((ids[c.idnumber], 0) for c in fw.competencies)
    by_module = {cm: {r["competencyid"] for r in course.module_competencies if r["cmid"] == cm}
                 for cm in course.modules}
    keys = {cm: dict(line.split("=", 1) for line in course.lti[m["instance"]]["custom"].splitlines()
                     if "=" in line).get("leads_assessment") for cm, m in course.modules.items()}
    assert {keys[cm]: comps for cm, comps in by_module.items() if keys[cm]} == \
        {a: {ids[c.idnumber] for c in fw.competencies if a in c.assessments}
         for a in {a.key for a in pilot_outline.graded_activities}}
    assert all(r["ruleoutcome"] == 1 and r["overridegrade"] == 0 for r in course.module_competencies)
    course.restore(files)  # a second restore into the same course: the course links exist, none is doubled
    assert len(course.course_competencies) == len(fw.competencies)


def test_restore_skips_competencies_the_site_does_not_have(pilot_outline: CourseOutline) -> None:
    from tests.bridge.courses.moodle_restore import Course, SiteTool

    [fw] = pilot_outline.frameworks
    files = read_mbz(build_mbz(pilot_outline))
    for site in ({}, {fw.idnumber: {}}, {"another-framework": _site_with(framework_csv(fw))[fw.idnumber]}):
        course = Course(id=7, tools=[SiteTool(id=3, baseurl="https://leads.example.org/lti/launch")],
                        site_competencies=site)
        course.restore(files)
        assert course.course_competencies == [] and course.module_competencies == [] and course.modules


def test_an_unknown_scale_is_named_not_a_crash(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    """core_competency_get_scale_values of a missing scale: grade_scale::fetch() is false, load_items() on it is a
    PHP Error, and the REST server answers {"exception": "Error", "message": …} without an errorcode."""
    fake, url = moodle
    raw = http.post(f"{url}/webservice/rest/server.php", data={
        "wstoken": "good-token", "wsfunction": "core_competency_get_scale_values", "moodlewsrestformat": "json",
        "scaleid": "99"}).json()
    assert raw == {"exception": "Error", "message": "Call to a member function load_items() on bool"}
    with pytest.raises(MoodleError) as err:
        MoodleClient(url, "good-token", http).call("core_competency_get_scale_values", scaleid=99)
    assert err.value.errorcode == "Error"
    from bridge.courses.steps import CourseCreationFailed

    with pytest.raises(CourseCreationFailed) as failed:
        service.create_course(db, pilot_outline, _target(url, competency_scale_id=99), http)
    assert failed.value.step == "competencies" and "no scale 99" in failed.value.message
    assert fake.frameworks == {}
