"""``leads course``: export a design as a Moodle backup or an Open edX course, or create it on a target LMS."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import typer

from bridge.cli.common import cli_errors, database, settings
from bridge.cli.progress import Progress
from bridge.courses import service
from bridge.courses.steps import Step
from bridge.courses.targets import get_target, load_targets
from bridge.errors import LeadsError

app = typer.Typer(no_args_is_help=True)


@app.command("export")
@cli_errors
def export(
    design: str = typer.Option(..., "--design", help="Key of the credential design (leads data list)"),
    fmt: str = typer.Option(..., "--format", help="mbz (Moodle backup), olx (Open edX course .tar.gz) or "
                            "moodle-competencies (the competency framework CSV a Moodle admin imports)"),
    output: Path = typer.Option(..., "-o", "--output", help="File to write"),
) -> None:
    """Write the course for a design as a file the LMS imports (Moodle restore, Studio import)."""
    if fmt not in service.EXPORTERS:
        raise LeadsError(f"--format must be one of {', '.join(sorted(service.EXPORTERS))}, not '{fmt}'",
                         code="unknown_format")
    outline = service.load_outline(database(), design, settings().base_url)
    data = service.export(outline, fmt)
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise LeadsError(f"{output}: cannot write ({exc.strerror})", code="write_failed") from None
    if fmt == "moodle-competencies":
        [framework] = outline.frameworks
        typer.echo(f"wrote {output}: framework '{framework.shortname}' ({framework.idnumber}), "
                   f"{len(framework.competencies)} competencies, scale {', '.join(framework.scale)}. Import it under "
                   "Site administration → Competencies → Import competency framework, before restoring the .mbz")
        return
    graded = len(outline.graded_activities)
    typer.echo(f"wrote {output} ({len(data)} bytes): {len(outline.sections)} sections, {graded} graded LTI "
               f"links to {outline.lti.launch_url}")


@app.command("create")
@cli_errors
def create(
    design: str = typer.Option(..., "--design", help="Key of the credential design"),
    target: str = typer.Option(..., "--target", help="Target name from LEADS_COURSE_TARGETS"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Create the course on a configured LMS, or update the one created before for this design and target."""
    chosen = get_target(target, load_targets(settings().courses))
    db = database()
    outline = service.load_outline(db, design, settings().base_url)

    with Progress("course steps", quiet=as_json) as bar, \
            httpx.Client(timeout=60, headers={"User-Agent": settings().user_agent}) as http:

        def progress(step: Step, status: str) -> None:
            if not as_json:
                bar.note(f"  [{status:>7}] {step.text}")
            bar.advance()

        result = service.create_course(db, outline, chosen, http, progress=progress)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=1))
        return
    typer.echo(f"{'updated' if result.updated else 'created'} {result.lms} course {result.remote_id}: {result.url}")
    if result.lms == "moodle":
        typer.echo(f"  {result.created.get('backup_owner') or 'the token user'} restores "
                   f"{result.created.get('backup_file')} into this course: Course administration → Restore → "
                   "Choose a file… → Private files (adds the graded LTI activities and their competency links)")
        if refused := result.created.get("language_not_forced"):
            typer.echo(f"  Moodle did not accept the course language {refused['language']} ({refused['reason']}): the "
                       "course follows each user's language; to force it, install that language pack (Site "
                       "administration → Language → Language packs) and run this command again")
        for missing in result.created.get("competency_frameworks_missing") or []:
            typer.echo(f"  competency framework {missing} is not on the site: import it first (leads course export "
                       f"--design {design} --format moodle-competencies), then run this command again")


@app.command("targets")
@cli_errors
def targets() -> None:
    """List the configured LMS targets (secrets are not shown)."""
    for name, t in sorted(load_targets(settings().courses).items()):
        where = t.url if t.lms == "moodle" else t.studio_url
        typer.echo(f"{name:<20} {t.lms:<8} {where}")


@app.command("links")
@cli_errors
def links(design: str | None = typer.Option(None, "--design")) -> None:
    """Courses created so far: design, target, status (a 'partial' one resumes on the next create)."""
    for link in service.list_links(database(), design):
        typer.echo(f"{link['design']:<40} {link['target']:<16} {link['status']:<8} {link['url'] or ''}")
