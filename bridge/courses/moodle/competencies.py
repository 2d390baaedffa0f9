"""A course's competences as Moodle competencies: the framework file a site admin imports, and the web-service
calls of `leads course create`.

The file is the CSV of Moodle's "Import competency framework" (``admin/tool/lpimportcsv``,
``framework_importer``): 14 columns in its order; the framework row has ``Is framework`` = 1, the scale values and
the scale configuration (``[{"scaleid": …}, {"id": n, "scaledefault": 0|1, "proficient": 0|1}, …]`` — ids are
positions in the scale, the importer finds or creates a site scale with exactly these values); competency rows
name their parent by ID number (empty: top level). The web services are core_competency's
(``competency/classes/external.php``): Moodle has no web service to create a scale, so the framework is created
over web services only with a site scale that already has the data space's levels (``competency_scale_id`` of the
target), checked with ``core_competency_get_scale_values``; otherwise the admin imports the file first and
`leads course create` finds the framework by its ID number.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bridge.courses.competencies import CompetencyFramework
from bridge.courses.moodle.client import MoodleClient, MoodleError
from bridge.errors import LeadsError

CSV_HEADER = ("Parent id number", "Id number", "Shortname", "Description", "Description format", "Scale values",
              "Scale configuration", "Rule type (optional)", "Rule outcome (optional)", "Rule config (optional)",
              "Cross referenced competency id numbers", "Exported id (optional)", "Is framework", "Taxonomy")
FORMAT_HTML = 1
# course_competency / course_module_competency rule outcomes (core_competency)
OUTCOME_NONE, OUTCOME_EVIDENCE, OUTCOME_RECOMMEND, OUTCOME_COMPLETE = 0, 1, 2, 3


def scale_configuration(framework: CompetencyFramework, scale_id: int | str) -> str:
    """Default rating: the lowest level; proficient from ``proficient_from`` (Moodle requires both to be set)."""
    items: list[dict[str, Any]] = [{"scaleid": str(scale_id)}]
    items += [{"id": i, "scaledefault": 1 if i == 1 else 0, "proficient": 1 if i >= framework.proficient_from else 0}
              for i in range(1, len(framework.scale) + 1)]
    return json.dumps(items, separators=(",", ":"))


def framework_csv(framework: CompetencyFramework) -> str:
    """The framework file for Site administration → Competencies → Import competency framework."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    # the importer replaces the scale id of the configuration with the scale it finds or creates
    writer.writerow(["", framework.idnumber, framework.shortname, _html(framework.description), FORMAT_HTML,
                     ",".join(framework.scale), scale_configuration(framework, 0), "", "", "", "", "", 1,
                     framework.taxonomies])
    for n, c in enumerate(framework.competencies, start=1):
        writer.writerow(["", c.idnumber, c.shortname, _html(c.description), FORMAT_HTML, "", "", "", OUTCOME_NONE,
                         "null", "", n, "", ""])
    return out.getvalue()


def _html(text: str) -> str:
    from html import escape

    return f"<p>{escape(text)}</p>" if text else ""


# -- web services ------------------------------------------------------------------------------------------------


def ensure_framework(client: MoodleClient, framework: CompetencyFramework, scale_id: int | None) -> int:
    """The framework's id on the site: found by ID number, else created (needs a scale with the right levels)."""
    found = client.call("core_competency_list_competency_frameworks", sort="shortname", order="", skip=0, limit=0,
                        context={"contextlevel": "system", "instanceid": 0}, includes="children",
                        onlyvisible=0, query=framework.idnumber)
    for row in found if isinstance(found, list) else []:
        if row.get("idnumber") == framework.idnumber:
            return int(row["id"])
    if scale_id is None:
        raise LeadsError(
            "the competency framework '%(shortname)s' (%(idnumber)s) is not on the Moodle site, and Moodle's web "
            "services cannot create its proficiency scale. Either import the framework file (`leads course export "
            "--format moodle-competencies`) under Site administration → Competencies → Import competency framework, or "
            "create a scale with the levels %(levels)s and give its id as the target's competency_scale_id",
            code="competency_framework_missing", status=409,
            params={"shortname": framework.shortname, "idnumber": framework.idnumber,
                    "levels": ", ".join(framework.scale)})
    try:
        answer = client.call("core_competency_get_scale_values", scaleid=scale_id)
    except MoodleError as exc:  # an unknown scale id: Moodle fails with a PHP Error, no errorcode
        raise LeadsError("the Moodle site has no scale %(scale_id)s (competency_scale_id of the target): %(message)s",
                         code="competency_scale_missing", status=409,
                         params={"scale_id": scale_id, "message": exc.message}) from exc
    values = [str(v.get("name", "")) for v in answer]
    if values != list(framework.scale):
        raise LeadsError("scale %(scale_id)s has the levels %(values)s, not the data space's %(levels)s",
                         code="competency_scale_mismatch", status=409,
                         params={"scale_id": scale_id, "values": values, "levels": list(framework.scale)})
    created = client.call("core_competency_create_competency_framework", competencyframework={
        "shortname": framework.shortname, "idnumber": framework.idnumber, "description": _html(framework.description),
        "descriptionformat": FORMAT_HTML, "visible": 1, "scaleid": scale_id,
        "scaleconfiguration": scale_configuration(framework, scale_id), "contextlevel": "system", "instanceid": 0,
        "taxonomies": framework.taxonomies})
    return int(created["id"])


def ensure_competencies(client: MoodleClient, framework: CompetencyFramework, framework_id: int) -> dict[str, int]:
    """Competency key → id on the site (created when missing, found by ID number otherwise)."""
    listed = client.call("core_competency_list_competencies",
                         filters=[{"column": "competencyframeworkid", "value": str(framework_id)}])
    by_idnumber = {str(c["idnumber"]): int(c["id"]) for c in listed if isinstance(c, dict)}
    out: dict[str, int] = {}
    for n, c in enumerate(framework.competencies, start=1):
        if c.idnumber not in by_idnumber:
            made = client.call("core_competency_create_competency", competency={
                "shortname": c.shortname, "idnumber": c.idnumber, "description": _html(c.description),
                "descriptionformat": FORMAT_HTML, "sortorder": n - 1, "parentid": 0,
                "competencyframeworkid": framework_id})
            by_idnumber[c.idnumber] = int(made["id"])
        out[c.key] = by_idnumber[c.idnumber]
    return out


def link_to_course(client: MoodleClient, course_id: int, competency_ids: list[int], complete: bool) -> None:
    """Course competencies; with ``complete``, completing the course completes them (rule outcome)."""
    for cid in competency_ids:
        client.call("core_competency_add_competency_to_course", courseid=course_id, competencyid=cid)
    if not complete:
        return
    for row in client.call("core_competency_list_course_competencies", id=course_id):
        link = row.get("coursecompetency") or {}
        if int((row.get("competency") or {}).get("id", 0)) in competency_ids \
                and int(link.get("ruleoutcome", 0)) != OUTCOME_COMPLETE:
            client.call("core_competency_set_course_competency_ruleoutcome", coursecompetencyid=int(link["id"]),
                        ruleoutcome=OUTCOME_COMPLETE)
