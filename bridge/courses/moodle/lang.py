"""Moodle's names for languages: its language pack codes, not BCP-47 tags."""

from __future__ import annotations

_SCRIPT_PACKS: dict[tuple[str, str | None], str] = {
    ("zh", "hans"): "zh_cn", ("zh", "hant"): "zh_tw", ("sr", "cyrl"): "sr_cr", ("sr", "latn"): "sr_lt"}


def moodle_languages(tag: str) -> list[str]:
    """Moodle language pack codes for a BCP-47 tag, most specific first: ``pt-BR`` → ``pt_br``, ``pt``.

    Moodle names packs lowercase with ``_`` and marks a script its own way (``zh_cn`` / ``zh_tw``, ``sr_cr`` /
    ``sr_lt``); other script subtags, variants and extensions have no pack and are dropped."""
    parts = [p.lower() for p in tag.replace("_", "-").split("-") if p]
    if not parts:
        return []
    language, rest = parts[0], parts[1:]
    script = rest.pop(0) if rest and len(rest[0]) == 4 and rest[0].isalpha() else None
    is_region = bool(rest) and ((len(rest[0]) == 2 and rest[0].isalpha()) or (len(rest[0]) == 3 and rest[0].isdigit()))
    region = rest[0] if is_region else None
    codes: list[str] = []
    if (language, script) in _SCRIPT_PACKS:
        codes.append(_SCRIPT_PACKS[(language, script)])
    elif region:
        codes.append(f"{language}_{region}")
    codes.append(language)
    return list(dict.fromkeys(codes))
