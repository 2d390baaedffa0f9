"""The three-way plan of one item (pure): what is sent, what is kept, what is a conflict."""

from __future__ import annotations

from typing import Any

from bridge.wikibase import sync


def _item(labels: dict[str, str], descriptions: dict[str, str] | None = None) -> dict[str, Any]:
    return {"id": "Q1", "labels": {k: {"language": k, "value": v} for k, v in labels.items()},
            "descriptions": {k: {"language": k, "value": v} for k, v in (descriptions or {}).items()},
            "claims": {}}


def test_a_language_removed_here_is_removed_on_the_wiki_within_the_languages_managed() -> None:
    """Clearing the Spanish name and description in the editor sent nothing (only the languages the entity still
    had were compared), so the page said "Published" and the wiki kept both."""
    base = sync.fields(_item({"en": "Editing", "es": "Edición", "fr": "Édition"}, {"es": "Escribir"}), set())
    wiki = _item({"en": "Editing", "es": "Edición", "fr": "Édition"}, {"es": "Escribir"})
    mine = _item({"en": "Editing"})
    data, conflicts = sync.plan(wiki, mine, set(), base, "editing", languages=("en", "es"))
    assert not conflicts
    assert data == {"labels": {"es": {"language": "es", "remove": ""}},
                    "descriptions": {"es": {"language": "es", "remove": ""}}}  # French is not the form's: kept

    changed = _item({"en": "Editing", "es": "Edición (wiki)", "fr": "Édition"}, {"es": "Escribir"})
    data, conflicts = sync.plan(changed, mine, set(), base, "editing", languages=("en", "es"))
    assert data is None and [c.field for c in conflicts] == ["label:es"]  # removed here, changed there

    added = _item({"en": "Editing", "es": "Edición", "fr": "Édition", "de": "Bearbeiten"}, {"es": "Escribir"})
    data, _ = sync.plan(added, _item({"en": "Editing"}), set(), base, "editing", languages=("en", "es", "de"))
    assert data is not None and "de" not in data["labels"]  # added on the wiki since the base: kept


def test_without_managed_languages_only_the_entitys_own_are_compared() -> None:
    """`leads wikibase push` of a design set: translations added on the wiki stay (decision 016)."""
    wiki = _item({"en": "Editing", "es": "Edición"})
    data, _ = sync.plan(wiki, _item({"en": "Editing"}), set(), None, "editing")
    assert data is None
