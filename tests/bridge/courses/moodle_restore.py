"""What Moodle's restore makes of a .mbz's LTI activities and grades, and what its grade service then reports.

Written from Moodle's code (read with the search tool, moodle/moodle):
``restore_lti_activity_structure_step::process_lti`` (new instance, ``typeid`` 0),
``restore_activity_grades_structure_step`` / ``restore_module_structure_step`` (an ID number already used in the
course is cleared: ``grade_verify_idnumber``), ``restore_ltiservice_gradebookservices_subplugin`` (path
``/activity/lti/subplugin_ltiservice_gradebookservices_lti/lineitems/lineitem``; ``process_…_lineitem`` with
``find_typeid``; ``after_restore_lti`` mapping the grade item and, for backups without a line item, creating one
whose ``resourceid`` is the grade item's ID number), ``lti_get_tool_by_url_match`` (by tool domain), and
``gradebookservices::get_lineitems`` / ``item_for_json`` (the AGS line item JSON).

Competencies: ``restore_course_competencies_structure_step`` (paths ``/course_competencies/competencies/competency``
and ``/course_competencies/settings``; ``process_course_competency`` finds the framework by ``frameworkidnumber``,
then the competency by ``idnumber`` in it, skips the row when either is missing, and creates the course link with
the row's ``ruleoutcome`` unless it exists) and ``restore_activity_competencies_structure_step``
(``/course_module_competencies/competencies/competency``, the same lookup, linked to the new course module, with
``overridegrade`` since Moodle 4.0); both run only when the root setting ``competencies`` is on and the file exists
(``execute_condition``). Read from backup/moodle2/restore_stepslib.php (andrewnicols/moodle 3842fd70, the two
classes after ``restore_activity_logstores_structure_step``).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

NULL = "$@NULL@$"
GBS_PATH = "lti/subplugin_ltiservice_gradebookservices_lti/lineitems/lineitem"


@dataclass(frozen=True)
class SiteTool:
    """The site's pre-configured LTI 1.3 tool (``lti_types``), as dynamic registration creates it."""

    id: int
    baseurl: str
    course: int = 1  # SITEID

    @property
    def domain(self) -> str:
        return urlsplit(self.baseurl).netloc


@dataclass
class Course:
    """The restored rows that matter to grades: ``lti``, ``course_modules``, ``grade_items``, gradebookservices."""

    id: int
    tools: list[SiteTool]
    lti: dict[int, dict[str, Any]] = field(default_factory=dict)
    modules: dict[int, dict[str, Any]] = field(default_factory=dict)
    grade_items: dict[int, dict[str, Any]] = field(default_factory=dict)
    gbs: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    # the site's competencies: framework ID number → {competency ID number → competency id}
    site_competencies: dict[str, dict[str, int]] = field(default_factory=dict)
    course_competencies: list[dict[str, Any]] = field(default_factory=list)  # competency_coursecomp rows
    module_competencies: list[dict[str, Any]] = field(default_factory=list)  # competency_modulecomp rows

    def _value(self, el: ET.Element, tag: str) -> str | None:
        found = el.find(tag)
        text = found.text if found is not None else None
        return None if text in (None, NULL) else text

    def tool_by_url(self, url: str | None) -> SiteTool | None:
        """``lti_get_tool_by_url_match``: a configured tool whose domain is the URL's domain."""
        host = urlsplit(url or "").netloc
        return next((t for t in self.tools if host and t.domain == host), None)

    def find_typeid(self, old_typeid: str, baseurl: str | None) -> int:
        """``restore_ltiservice_gradebookservices_subplugin::find_typeid``: same id and base URL in the course or
        site-wide, then any course or site tool with that base URL; else 0."""
        for tool in self.tools:
            if str(tool.id) == old_typeid and tool.course in (self.id, 1) and tool.baseurl == baseurl:
                return tool.id
        for course in (self.id, 1):
            for tool in self.tools:
                if tool.course == course and tool.baseurl == baseurl:
                    return tool.id
        return 0

    def idnumber_free(self, idnumber: str | None, table: dict[int, dict[str, Any]]) -> str:
        return idnumber if idnumber and all(row.get("idnumber") != idnumber for row in table.values()) else ""

    def restore(self, files: dict[str, bytes]) -> None:
        """One restore of the backup into this course (merge): every activity of ``moodle_backup.xml``."""
        info = ET.fromstring(files["moodle_backup.xml"]).find("information")
        assert info is not None
        gbs_old: list[tuple[dict[str, Any], str]] = []  # (new gbs row, old grade item id)
        grade_map: dict[str, int] = {}
        restored_lti: list[int] = []
        root = {s.findtext("name"): s.findtext("value") for s in info.findall("settings/setting")
                if s.findtext("level") == "root"}
        competencies = root.get("competencies") == "1"
        if competencies and "course/competencies.xml" in files:
            for row in ET.fromstring(files["course/competencies.xml"]).findall("competencies/competency"):
                self._link(row, self.course_competencies, {"courseid": self.id})
        for activity in info.findall("contents/activities/activity"):
            directory = activity.findtext("directory") or ""
            act = ET.fromstring(files[f"{directory}/lti.xml"])
            lti = act.find("lti")
            assert lti is not None
            new_lti = next(self.ids)
            self.lti[new_lti] = {"typeid": 0, "toolurl": self._value(lti, "toolurl"), "name": self._value(lti, "name"),
                                 "custom": self._value(lti, "instructorcustomparameters") or "",
                                 "acceptgrades": self._value(lti, "instructorchoiceacceptgrades")}
            restored_lti.append(new_lti)
            module = ET.fromstring(files[f"{directory}/module.xml"])
            cmid = next(self.ids)
            self.modules[cmid] = {"instance": new_lti, "idnumber": self.idnumber_free(
                self._value(module, "idnumber"), self.modules)}
            if competencies and f"{directory}/competencies.xml" in files:
                for row in ET.fromstring(files[f"{directory}/competencies.xml"]).findall("competencies/competency"):
                    self._link(row, self.module_competencies,
                               {"cmid": cmid, "overridegrade": int(self._value(row, "overridegrade") or 0)})
            for line in act.findall(GBS_PATH):  # process_ltiservice_gradebookservices_lineitem
                typeid_text = self._value(line, "typeid")
                typeid = None if typeid_text is None else self.find_typeid(typeid_text, self._value(line, "baseurl"))
                if self._value(line, "ltilinkid") not in (None, lti.get("id")):
                    continue  # a line item of another link
                row = {"gradeitemid": 0, "courseid": self.id, "toolproxyid": None,
                       "ltilinkid": new_lti if self._value(line, "ltilinkid") else None, "typeid": typeid,
                       "baseurl": self._value(line, "baseurl"), "resourceid": self._value(line, "resourceid"),
                       "tag": self._value(line, "tag")}
                self.gbs.append(row)
                gbs_old.append((row, self._value(line, "gradeitemid") or ""))
            grades = ET.fromstring(files[f"{directory}/grades.xml"])
            for item in grades.findall("grade_items/grade_item"):
                new_item = next(self.ids)
                grade_map[str(item.get("id"))] = new_item
                self.grade_items[new_item] = {
                    "itemname": self._value(item, "itemname"), "itemtype": self._value(item, "itemtype"),
                    "itemmodule": self._value(item, "itemmodule"), "iteminstance": new_lti,
                    "grademax": float(self._value(item, "grademax") or 0),
                    "idnumber": self.idnumber_free(self._value(item, "idnumber"), self.grade_items)}
        for row, old in gbs_old:  # after_restore_lti: the grade item, and the resource id of old backups
            new_item = grade_map.get(old, 0)
            if new_item:
                row["gradeitemid"] = new_item
                if row["resourceid"] is None:
                    row["resourceid"] = self.grade_items[new_item]["idnumber"]
        for lti_id in restored_lti:  # pre-3.9 backups: a coupled line item for a graded link without one
            gi = next((i for i, g in self.grade_items.items()
                       if g["itemmodule"] == "lti" and g["iteminstance"] == lti_id), None)
            if gi is None or any(r["gradeitemid"] == gi for r in self.gbs):
                continue
            tool = self.tool_by_url(self.lti[lti_id]["toolurl"])
            if tool is not None:
                self.gbs.append({"gradeitemid": gi, "courseid": self.id, "toolproxyid": None, "ltilinkid": lti_id,
                                 "typeid": tool.id, "baseurl": tool.baseurl,
                                 "resourceid": self.grade_items[gi]["idnumber"], "tag": None})

    def _link(self, row: ET.Element, table: list[dict[str, Any]], where: dict[str, Any]) -> None:
        """``process_course_competency`` / ``process_course_module_competency``."""
        framework = self.site_competencies.get(self._value(row, "frameworkidnumber") or "")
        if framework is None:
            return
        competency = framework.get(self._value(row, "idnumber") or "")
        if competency is None:
            return
        key = {"competencyid": competency, **{k: v for k, v in where.items() if k in ("courseid", "cmid")}}
        if any(all(r[k] == v for k, v in key.items()) for r in table):
            return
        table.append({**where, "competencyid": competency, "ruleoutcome": int(self._value(row, "ruleoutcome") or 0)})

    def gbs_for(self, item_id: int) -> dict[str, Any] | None:
        return next((r for r in self.gbs if r["gradeitemid"] == item_id), None)

    def line_items(self, wwwroot: str, typeid: int) -> list[dict[str, Any]]:
        """``get_lineitems`` for the tool (no filters) as ``item_for_json`` writes them."""
        endpoint = f"{wwwroot}/mod/lti/services.php/{self.id}/lineitems"
        out: list[dict[str, Any]] = []
        for item_id in sorted(self.grade_items):
            item, gbs = self.grade_items[item_id], self.gbs_for(item_id)
            if gbs is not None:
                if gbs["typeid"] != typeid:
                    continue
            elif item["itemmodule"] != "lti":
                continue
            else:
                tool = self.tool_by_url(self.lti[item["iteminstance"]]["toolurl"])
                if tool is None or tool.id != typeid:
                    continue
            line: dict[str, Any] = {"id": f"{endpoint}/{item_id}/lineitem?type_id={typeid}",
                                    "label": item["itemname"], "scoreMaximum": item["grademax"]}
            if gbs is not None:
                line["resourceId"] = gbs["resourceid"] or ""
                line["tag"] = gbs["tag"] or ""
                if gbs["ltilinkid"] is not None:
                    line["resourceLinkId"] = line["ltiLinkId"] = str(gbs["ltilinkid"])
            else:
                line["tag"] = ""
                line["resourceLinkId"] = line["ltiLinkId"] = str(item["iteminstance"])
            out.append(line)
        return out
