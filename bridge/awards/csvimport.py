"""CSV import for manual cases: every row checked first (all problems listed), then all rows or none.

A dry run goes through exactly the same code and rolls the transaction back, so what it reports is what a
real import would do.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bridge.awards import service
from bridge.awards.config import AwardSettings, policy_of
from bridge.awards.rules import ScoreError
from bridge.awards.service import GradeInput
from bridge.db import Database
from bridge.errors import LeadsError, Problem, ValidationFailed

REQUIRED = ("learner", "design", "assessment", "score", "maximum")
OPTIONAL = ("name", "email", "event_id")


@dataclass
class ImportReport:
    rows: int
    dry_run: bool
    duplicates: int = 0
    awards: Counter[str] = field(default_factory=Counter)
    learners: int = 0

    def lines(self) -> list[str]:
        verb = "would award" if self.dry_run else "awarded"
        out = [f"{'DRY RUN — nothing stored. ' if self.dry_run else ''}{self.rows} row(s), {self.learners} "
               f"learner(s), {self.duplicates} already imported"]
        out += [f"  {verb} {n} × {key}" for key, n in sorted(self.awards.items())]
        if not self.awards:
            out.append(f"  {verb} nothing")
        return out


SURPLUS = "\x00surplus"  # where DictReader puts a row's values beyond the header's columns
DELIMITERS = (",", ";", "\t")  # Excel writes ";" where the decimal separator is a comma (de, fr, es …)


def _delimiter(text: str) -> str:
    """The separator whose split of the header line holds the required columns; "," when none does (the header
    problem then names what is missing)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    for delimiter in DELIMITERS:
        fields = next(csv.reader([first], delimiter=delimiter), [])
        if all(c in {f.strip() for f in fields} for c in REQUIRED):
            return delimiter
    return ","


def _number(value: str, delimiter: str) -> float:
    """A number; in a ";"-separated file also with a decimal comma ("7,5"), as those spreadsheets write it."""
    if delimiter != "," and value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    return float(value)


def parse(text: str, source: str) -> list[GradeInput]:
    """The grades of a CSV file, or ValidationFailed naming every problem (nothing imported)."""
    try:
        return _parse(text, source)
    except csv.Error as exc:  # a field past csv's 131,072 characters, a NUL: a traceback before
        raise ValidationFailed("the CSV cannot be read", [Problem(
            "file", "csv", "%(reason)s; save the file again as CSV from the spreadsheet",
            params={"reason": str(exc)})]) from None


def _parse(text: str, source: str) -> list[GradeInput]:
    delimiter = _delimiter(text)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter, restkey=SURPLUS)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed("the CSV header is incomplete", [Problem(
            "header", ", ".join(missing), f"missing column(s); the header needs {', '.join(REQUIRED)} "
            f"(optional: {', '.join(OPTIONAL)})")])
    grades: list[GradeInput] = []
    problems: list[Problem] = []
    for n, raw in enumerate(reader, start=2):
        where = f"line {n}"
        extra = list(raw.pop(SURPLUS, None) or [])
        while extra and not str(extra[-1]).strip():
            extra.pop()  # a trailing separator (or a few) is no value
        if extra:
            problems.append(Problem(where, "row", "line %(line)s has %(values)s values, the header has %(columns)s",
                                    params={"line": n, "values": len(header) + len(extra), "columns": len(header)}))
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        for col in ("learner", "design", "assessment"):
            if not row.get(col):
                problems.append(Problem(where, col, "is empty"))
        numbers: dict[str, float] = {}
        for col in ("score", "maximum"):
            try:
                numbers[col] = _number(row.get(col, ""), delimiter)
            except ValueError:
                problems.append(Problem(where, col, f"{row.get(col)!r} is not a number"))
        if problems and problems[-1].entity == where:
            continue
        # without an event_id, a row is a replay only when it repeats the latest grade stored (GradeInput.replay)
        event_id = row.get("event_id") or hashlib.sha256(
            "|".join(row.get(c, "") for c in REQUIRED).encode()).hexdigest()[:40]
        grades.append(GradeInput(source=source, learner=row["learner"], design=row["design"],
                                 assessment=row["assessment"], score=numbers["score"], maximum=numbers["maximum"],
                                 event_id=event_id, learner_name=row.get("name") or None,
                                 learner_email=row.get("email") or None, payload={"line": n},
                                 replay="event" if row.get("event_id") else "latest"))
    if problems:
        raise ValidationFailed(f"the CSV has {len(problems)} problem(s); nothing was imported", problems)
    return grades


def import_text(db: Database, text: str, *, dry_run: bool = False, source: str = "csv",
                cfg: AwardSettings,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """``progress(done, total)``: rows checked, then every row once stored (for the command's progress bar)."""
    grades = parse(text, source)
    report = ImportReport(rows=len(grades), dry_run=dry_run, learners=len({(g.learner, g.design) for g in grades}))
    with db.sessions() as session:
        session.begin()
        service.write_lock(session)
        rules = service.load_rules(session, policy_of(cfg))
        problems: list[Problem] = []
        for i, g in enumerate(grades):  # name every bad row before anything is stored
            try:
                service._check(g, rules)
            except (ScoreError, LeadsError) as exc:
                problems.append(Problem(f"line {g.payload['line'] if g.payload else i + 2}", "row", exc.message))
            if progress is not None and (i + 1) % 200 == 0:
                progress(i + 1, 2 * len(grades))
        if problems:
            session.rollback()
            raise ValidationFailed(f"the CSV has {len(problems)} problem(s); nothing was imported", problems)
        outcomes = service.record_many(session, rules, grades, policy=policy_of(cfg), max_attempts=cfg.max_attempts)
        if progress is not None:
            progress(2 * len(grades), 2 * len(grades))
        report.duplicates = sum(o.duplicate for o in outcomes)
        for o in outcomes:
            if o.awarded:
                report.awards.update(o.decision.award)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def import_file(db: Database, path: Path, *, dry_run: bool = False, source: str = "csv",
                cfg: AwardSettings,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LeadsError(f"{path}: no such file", code="file_not_found", status=404) from None
    except UnicodeDecodeError:
        raise LeadsError(f"{path}: not UTF-8 text; save the sheet as CSV UTF-8", code="invalid_csv") from None
    return import_text(db, text, dry_run=dry_run, source=source, cfg=cfg, progress=progress)
