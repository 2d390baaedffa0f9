"""The whole story of a certificate, read from the data space: what a signed credential alone does not carry.

An OB 3.0 credential is signed once, in the design's language, and names its competences without levels; a stacked
credential does not list its parts. The page and the PDF add, in the reader's language: the design's title and
description, every competence the design certifies (directly, through its outcomes and through its parts) with the
level, the learning outcomes, the assessments, and the parts (each linked to the learner's own credential for that
part when we issued one that stands — not revoked, suspended or expired —, else to the part's design, with the
status of the one that does not stand). Display only: the verifier judges the signed document.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select

from bridge.certificates.view import CertificateView, valid_until
from bridge.credentials.api import IssuedCredentialRow
from bridge.dataspace.api import Assessment, Competence, CredentialDesign, Index, LearningOutcome, current_index
from bridge.db import Database
from bridge.i18n import gettext_for


@dataclass(frozen=True)
class CompetenceLine:
    key: str
    name: str
    level: int | None = None
    level_name: str = ""
    level_text: str = ""  # "level 2 · Applies" in the reader's language

    def text(self) -> str:
        """"Copyright and licensing assessment (level 2 · Applies)" style, for the PDF."""
        return f"{self.name} ({self.level_text})" if self.level_text else self.name


@dataclass(frozen=True)
class PartLine:
    key: str
    title: str
    url: str
    held: bool  # the learner holds a credential we issued for this part that stands (url is that credential)
    status: str = ""  # not held: "suspended" or "expired" when the learner's credential for it is either


@dataclass(frozen=True)
class Story:
    design_key: str
    title: str
    description: str
    outcomes: tuple[str, ...]
    competences: tuple[CompetenceLine, ...]
    assessments: tuple[str, ...]
    parts: tuple[PartLine, ...]

    def cache_key(self) -> str:
        """Everything the PDF shows from the story, for the PDF cache key."""
        return "\0".join([self.title, self.description, *self.outcomes, *(c.text() for c in self.competences),
                          *(p.title for p in self.parts)])


def _competences(index: Index, design: CredentialDesign, lang: str, seen: frozenset[str] = frozenset()
                 ) -> dict[str, int | None]:
    """Competence key -> highest level required, over the design, its outcomes and (recursively) its parts."""
    levels: dict[str, int | None] = {}

    def add(key: str, level: int | None) -> None:
        old = levels.get(key)
        levels[key] = level if old is None else max(old, level or 0)

    for requirement in design.requires:
        add(requirement.key, requirement.level)
    for key in design.outcomes:
        outcome = index.get(key, LearningOutcome)
        if outcome and outcome.competence:
            add(outcome.competence.key, outcome.competence.level)
    for _ref, part in index.parts(design):
        if isinstance(part, CredentialDesign) and part.key not in seen:
            for key, level in _competences(index, part, lang, seen | {design.key}).items():
                add(key, level)
    return levels


def _held_parts(db: Database, learner_id: str | None, keys: list[str], now: datetime
                ) -> dict[str, tuple[str, str]]:
    """Design key -> (id, status) of this learner's newest credential for it, preferring one that stands (status
    ``""``) to a suspended or expired one; revoked ones are not held (none without a learner id)."""
    if not learner_id or not keys:
        return {}
    with db.reading() as session:
        rows = session.execute(
            select(IssuedCredentialRow.design_key, IssuedCredentialRow.id, IssuedCredentialRow.suspended,
                   IssuedCredentialRow.document)
            .where(IssuedCredentialRow.learner_id == learner_id, IssuedCredentialRow.design_key.in_(keys),
                   IssuedCredentialRow.revoked.is_(False))
            .order_by(IssuedCredentialRow.created)
        ).all()
    held: dict[str, tuple[str, str]] = {}
    for key, cid, suspended, document in rows:  # oldest first: a newer one replaces an older one …
        ends = valid_until(document or {})
        status = "suspended" if suspended else "expired" if ends is not None and ends <= now else ""
        found = held.get(key)
        if found is None or found[1] or not status:  # … unless the older one stands and this one does not
            held[key] = (cid, status)
    return held


def design_story(db: Database, design_key: str, lang: str, learner_id: str | None = None) -> Story | None:
    """The story of ``design_key`` in ``lang``; None when the data space does not know the design."""
    index = current_index(db)
    design = index.get(design_key, CredentialDesign)
    if design is None:
        return None
    lines = []
    for key, level in _competences(index, design, lang).items():
        competence = index.get(key, Competence)
        if competence is None:
            continue
        level_name = next((lv.labels.get(lang) or lv.labels.get("en", "") for lv in competence.levels
                           if lv.number == level), "")
        level_text = ""
        if level is not None:
            level_text = gettext_for(lang).gettext("level %(n)s") % {"n": level}
            level_text += f" · {level_name}" if level_name else ""
        lines.append(CompetenceLine(key, competence.label(lang), level, level_name, level_text))
    outcomes = tuple(o.label(lang) for o in (index.get(k, LearningOutcome) for k in design.outcomes) if o)
    parts = [p for _r, p in index.parts(design) if isinstance(p, CredentialDesign)]
    held = _held_parts(db, learner_id, [p.key for p in parts], datetime.now(UTC))
    assessments = [a for a in (index.get(k, Assessment) for k in design.assessed_by) if a]
    for part in parts:  # a stack is assessed through its parts
        assessments += [a for a in (index.get(k, Assessment) for k in part.assessed_by) if a]
    return Story(
        design_key=design.key,
        title=design.label(lang),
        description=design.description(lang),
        outcomes=outcomes,
        competences=tuple(lines),
        assessments=tuple(dict.fromkeys(a.label(lang) for a in assessments)),
        parts=tuple(_part(p, lang, held.get(p.key)) for p in parts),
    )


def _part(part: CredentialDesign, lang: str, held: tuple[str, str] | None) -> PartLine:
    cid, status = held or ("", "")
    if cid and not status:
        return PartLine(part.key, part.label(lang), f"/credentials/{cid}/certificate?lang={lang}", True)
    return PartLine(part.key, part.label(lang), f"/designs/{part.key}?lang={lang}", False, status)


def with_story(view: CertificateView, story: Story | None) -> CertificateView:
    """The view in the reader's language with the data space's story (the credential's own words otherwise)."""
    if story is None:
        return view
    return replace(
        view,
        title=story.title or view.title,
        description=story.description or view.description,
        outcomes=story.outcomes or view.outcomes,
        competences=tuple(c.text() for c in story.competences) or view.competences,
    )
