"""A domain error says the same thing in every language: its message is a template with named parameters, the
English text is that template filled, and a page's catalogue translates the template, not the filled text."""

from __future__ import annotations

from bridge.errors import LeadsError, NotFound, Problem, Term, UpstreamError
from bridge.i18n import gettext_for


def test_the_message_is_the_template_filled_and_the_template_is_kept() -> None:
    exc = NotFound("no pool profile '%(handle)s'", params={"handle": "cat"})
    assert exc.message == str(exc) == "no pool profile 'cat'"
    assert exc.template == "no pool profile '%(handle)s'" and exc.status == 404
    assert exc.as_dict() == {"error": "not_found", "message": "no pool profile 'cat'"}  # the API stays English


def test_a_page_in_spanish_gets_the_translated_template_with_the_same_names() -> None:
    exc = NotFound("no pool profile '%(handle)s'", params={"handle": "gato"})
    template = gettext_for("es").gettext(exc.template)
    assert template != exc.template and "%(handle)s" in template  # catalogued, with the parameter kept
    assert exc.said(gettext_for("es").gettext) == template % {"handle": "gato"}
    assert exc.said(gettext_for("en").gettext) == exc.message


def test_without_params_a_percent_sign_is_only_text() -> None:
    exc = LeadsError("pass mark 50 % not reached", code="x")
    assert exc.message == "pass mark 50 % not reached" and exc.said(lambda s: s) == exc.message


def test_a_translation_that_lost_a_placeholder_falls_back_to_english_not_a_500() -> None:
    exc = UpstreamError("the wiki could not be reached (%(name)s)", params={"name": "ConnectTimeout"})
    assert exc.said(lambda s: "no se pudo llegar al wiki (%(nombre)s)") == exc.message
    assert exc.status == 502


def test_a_message_no_catalogue_knows_stays_english() -> None:
    exc = LeadsError("nothing like this was ever catalogued (%(n)s)", code="x", params={"n": 3})
    assert exc.said(gettext_for("es").gettext) == "nothing like this was ever catalogued (3)"


def test_a_problem_names_its_property_and_values_in_the_readers_language() -> None:
    problem = Problem("c1", Term("%(field)s (%(lang)s)"), "is %(n)s characters long; Wikibase allows at most "
                      "%(limit)s, so shorten it", {"field": Term("label"), "lang": "es", "n": 300, "limit": 250})
    assert str(problem) == "c1 · label (es): is 300 characters long; Wikibase allows at most 250, so shorten it"
    assert problem.as_dict()["property"] == "label (es)"  # the API and `leads data validate` stay English
    assert problem.said(gettext_for("es").gettext) == \
        "c1 · etiqueta (es): tiene 300 caracteres; Wikibase admite como máximo 250, así que acórtelo"
    assert problem.said(lambda s: "%(nope)s") == str(problem)  # a broken translation: English, not a 500
    assert Problem("c1", "label", "x") == Problem("c1", "label", "x", {})


def _error_classes() -> set[str]:
    """LeadsError and every class below it, read from the source (some load only with their CLI command)."""
    import ast
    from pathlib import Path

    bases: dict[str, set[str]] = {}
    for path in (Path(__file__).resolve().parents[2] / "bridge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
    found = {"LeadsError"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


def test_messages_with_values_are_templates_in_every_file_the_catalogue_reads() -> None:
    """An f-string message cannot be translated (and babel would extract a fragment of it): a refusal or a problem
    with values is a ``%(name)s`` template with ``params`` (docs/decisions/021)."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    globs = re.findall(r"^\[python: (.+)\]$", (root / "bridge/i18n/babel.cfg").read_text(), re.M)
    files = sorted({p for g in globs for p in root.glob(g.replace("**.py", "**/*.py"))})
    from bridge.i18n.__main__ import SELF_WORDED  # their first argument is no message

    messages_first = (*_error_classes() - set(SELF_WORDED), "LtiError", "worded")
    at = {name: 0 for name in messages_first} | {"Problem": 2, "refused": 1}
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            index = at.get(str(name))
            if index is not None and len(node.args) > index and isinstance(node.args[index], ast.JoinedStr | ast.BinOp):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert len(files) > 20 and not found, found


def test_the_catalogue_extracts_the_messages_of_every_error_class() -> None:
    from bridge.i18n.__main__ import ERROR_CLASSES, SELF_WORDED

    assert _error_classes() == {"LeadsError", *ERROR_CLASSES, *SELF_WORDED}
