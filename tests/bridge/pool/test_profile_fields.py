"""What a profile shows the public beside its "verified" marks is checked like a name: its languages are language
codes, its contact has no bidi overrides or control characters and no e-mail address, even in full-width letters."""

from __future__ import annotations

import pytest

from bridge.db import Database
from bridge.errors import ValidationFailed
from bridge.pool import service


@pytest.mark.parametrize("languages", [
    ["en)\u202e (User:Jimbo_Wales ✔ verified by signing in with Wikimedia"],
    ["<b>x</b>"],
    [f"l{i:02d}" for i in range(30)],
    [""],
])
def test_languages_must_be_language_codes(db: Database, languages: list[str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.create_profile(db, handle="cat", display_name="Cat", languages=languages)
    assert refused.value.problems[0].property == "languages"


@pytest.mark.parametrize("contact", [
    "Wikimedia-verified: User:Jimbo_Wales \u202e",  # a right-to-left override
    "User:Cat\x00", "a\nb",  # NUL, a line break
    "ada＠example.org",  # a full-width at sign is still an e-mail address
    "ada@example.org",
])
def test_a_contact_is_checked_like_a_name_and_is_never_an_address(db: Database, contact: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.create_profile(db, handle="cat", display_name="Cat", contact=contact)
    assert refused.value.problems[0].property == "contact"


def test_ordinary_languages_and_contacts_are_kept(db: Database) -> None:
    profile, _ = service.create_profile(db, handle="cat", display_name="Cat", languages=["es", "pt-BR", "es"],
                                        contact=" https://meta.wikimedia.org/wiki/User_talk:Cat ")
    assert profile.languages == ["es", "pt-BR"] and profile.contact == "https://meta.wikimedia.org/wiki/User_talk:Cat"
    assert service.create_profile(db, handle="dog", display_name="Dog", contact="User talk:Dog (Wikimedia Commons)")
