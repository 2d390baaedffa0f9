"""Reads an OLX export the way edx-platform's XML importer does, and reports what it would reject.

From edx-platform ``xmodule/xml_block.py`` / ``modulestore/xml.py``: the archive holds a folder with
``course.xml``, a pointer ``<course url_name org course/>``; a pointer tag is an element with no children, no text
and only ``url_name`` (plus ``org``/``course`` for the course) and its definition is read from
``{tag}/{url_name with ':' → '/'}.xml``; the policy is ``policies/{url_name}/policy.json`` keyed
``course/{url_name}``, the grading policy ``policies/{url_name}/grading_policy.json``; an ``html`` block with a
``filename`` attribute takes its body from ``html/{filename}.html``. Field values of the ``lti_consumer`` XBlock
are deserialised from the attributes (JSON for lists and booleans, floats for the weight).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

LTI13_REQUIRED = ("lti_1p3_launch_url", "lti_1p3_oidc_url", "lti_1p3_tool_keyset_url")
ALLOWED_ID = re.compile(r"[\w\-~.:]+")  # opaque-keys ALLOWED_ID_CHARS: course key parts and block ids
KNOWN = {"course", "chapter", "sequential", "vertical", "html", "lti_consumer"}


def is_pointer_tag(el: ET.Element) -> bool:
    expected = {"url_name", "course", "org"} if el.tag == "course" else {"url_name"}
    has_text = el.text is not None and len(el.text.strip()) > 0
    return len(el) == 0 and set(el.attrib) == expected and not has_text


@dataclass
class Block:
    category: str
    url_name: str
    attrs: dict[str, str]
    children: list[Block] = field(default_factory=list)
    body: str | None = None

    def walk(self) -> list[Block]:
        out = [self]
        for c in self.children:
            out += c.walk()
        return out


@dataclass
class ImportedCourse:
    org: str
    number: str
    run: str
    root: Block
    policy: dict[str, Any]
    grading_policy: dict[str, Any]
    problems: list[str]


def read_tar(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        out: dict[str, bytes] = {}
        for m in tar.getmembers():
            if m.name.startswith("/") or ".." in m.name.split("/"):
                raise AssertionError(f"unsafe path in archive: {m.name}")  # Studio refuses these too
            if m.isfile():
                f = tar.extractfile(m)
                assert f is not None
                out[m.name] = f.read()
        return out


def import_olx(data: bytes) -> ImportedCourse:
    files = read_tar(data)
    roots = [p for p in files if p.endswith("/course.xml") and p.count("/") == 1]
    if len(roots) != 1:
        raise AssertionError(f"expected one <dir>/course.xml, found {roots}")
    base = roots[0].rsplit("/", 1)[0] + "/"
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}

    def load(el: ET.Element, where: str) -> Block:
        if el.tag not in KNOWN:
            problems.append(f"{where}: unknown block type <{el.tag}>")
        if is_pointer_tag(el):
            name = el.attrib["url_name"]
            if not ALLOWED_ID.fullmatch(name):
                problems.append(f"{where}: url_name '{name}' has characters a usage key cannot hold")
            path = f"{base}{el.tag}/{name.replace(':', '/')}.xml"
            if path not in files:
                problems.append(f"{where}: pointer <{el.tag} url_name='{name}'> but {path} is missing")
                return Block(el.tag, name, {})
            definition = ET.fromstring(files[path])
            if definition.tag != el.tag:
                problems.append(f"{path}: root <{definition.tag}> where <{el.tag}> was pointed to")
            if is_pointer_tag(definition):
                problems.append(f"{path}: the target of a pointer is itself a pointer")
            key = (el.tag, name)
            if key in seen:
                problems.append(f"{path}: url_name '{name}' used twice for {el.tag} (also in {seen[key]})")
            seen[key] = where
            block = Block(el.tag, name, dict(definition.attrib))
            source = definition
            where = path
        else:
            block = Block(el.tag, el.attrib.get("url_name", ""), dict(el.attrib))
            source = el
        if block.category == "html" and "filename" in block.attrs:
            html_path = f"{base}html/{block.attrs['filename']}.html"
            if html_path not in files:
                problems.append(f"{where}: html body {html_path} missing")
            else:
                block.body = files[html_path].decode("utf-8")
        block.children = [load(child, where) for child in source]
        return block

    pointer = ET.fromstring(files[roots[0]])
    if not is_pointer_tag(pointer):
        raise AssertionError("course.xml must be a pointer <course url_name org course/>")
    org, number, run = pointer.attrib["org"], pointer.attrib["course"], pointer.attrib["url_name"]
    for part in (org, number, run):
        if not ALLOWED_ID.fullmatch(part):
            problems.append(f"course key part '{part}' has characters a course key cannot hold")
    course_path = f"{base}course/{run}.xml"
    root_el = ET.fromstring(files[course_path])
    root = Block("course", run, dict(root_el.attrib), [load(c, course_path) for c in root_el])

    policy_path = f"{base}policies/{run}/policy.json"
    policy_all = json.loads(files[policy_path]) if policy_path in files else {}
    policy = policy_all.get(f"course/{run}")
    if policy is None:
        problems.append(f"{policy_path}: no 'course/{run}' entry")
        policy = {}
    grading_path = f"{base}policies/{run}/grading_policy.json"
    grading = json.loads(files[grading_path]) if grading_path in files else {}
    if not grading:
        problems.append(f"{grading_path}: missing")
    return ImportedCourse(org, number, run, root, policy, grading, problems)


def check_course(course: ImportedCourse) -> list[str]:
    """What Studio would reject or grade wrongly: LTI 1.3 fields, graded sequentials and the grading policy."""
    problems = list(course.problems)
    if "lti_consumer" not in course.policy.get("advanced_modules", []):
        problems.append("policy: lti_consumer is not in advanced_modules; Studio will not render the blocks")
    graders = {g["type"]: g for g in course.grading_policy.get("GRADER", [])}
    total = sum(float(g["weight"]) for g in graders.values())
    if graders and abs(total - 1.0) > 1e-9:
        problems.append(f"grading policy weights add up to {total}, not 1.0")
    cutoffs = course.grading_policy.get("GRADE_CUTOFFS", {})
    if not cutoffs or not all(0 < float(v) <= 1 for v in cutoffs.values()):
        problems.append(f"GRADE_CUTOFFS {cutoffs} must hold values in (0, 1]")
    graded_count: dict[str, int] = {}
    for block in course.root.walk():
        if block.category == "sequential" and block.attrs.get("graded") == "true":
            fmt = block.attrs.get("format", "")
            if fmt not in graders:
                problems.append(f"sequential {block.url_name}: format '{fmt}' is no GRADER type")
            graded_count[fmt] = graded_count.get(fmt, 0) + 1
            if not any(b.category == "lti_consumer" and b.attrs.get("has_score") == "true" for b in block.walk()):
                problems.append(f"sequential {block.url_name}: graded but holds nothing scored")
        if block.category == "lti_consumer":
            a = block.attrs
            if a.get("lti_version") != "lti_1p3":
                problems.append(f"lti_consumer {block.url_name}: lti_version is {a.get('lti_version')}")
            for name in LTI13_REQUIRED:
                if not a.get(name, "").startswith(("https://", "http://")):
                    problems.append(f"lti_consumer {block.url_name}: {name} is not a URL")
            if a.get("lti_1p3_tool_key_mode") != "keyset_url":
                problems.append(f"lti_consumer {block.url_name}: key mode must be keyset_url")
            if json.loads(a.get("has_score", "false")) not in (True, False):
                problems.append(f"lti_consumer {block.url_name}: has_score is not a boolean")
            float(a.get("weight", "0"))
            if not isinstance(json.loads(a.get("custom_parameters", "[]")), list):
                problems.append(f"lti_consumer {block.url_name}: custom_parameters is not a JSON list")
            if not a.get("display_name"):
                problems.append(f"lti_consumer {block.url_name}: no display_name")
    for fmt, grader in graders.items():
        if graded_count.get(fmt, 0) < int(grader["min_count"]):
            problems.append(f"GRADER {fmt}: min_count {grader['min_count']} but {graded_count.get(fmt, 0)} graded")
    return problems
