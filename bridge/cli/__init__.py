"""The ``leads`` command: one sub-command group per area."""

from __future__ import annotations

import typer

from bridge.cli import awards, course, credentials, data, issuers, keys, lti, pool, serve, wikibase, worker
from bridge.cli import certificates as certificates_cli

app = typer.Typer(help="LEADS: competence models → courses → signed certificates.", no_args_is_help=True)
app.command("serve")(serve.serve)
app.command("migrate")(serve.migrate)
app.add_typer(data.app, name="data", help="The local data space: list, validate, load.")
app.add_typer(wikibase.app, name="wikibase", help="Talk to a Wikibase: bootstrap, push, pull.")
app.command("worker")(worker.worker)
app.add_typer(awards.app, name="awards", help="Awards: failed jobs, retry, revoke, CSV import.")
app.add_typer(keys.app, name="keys", help="Signing keys: encrypt them with the passphrase.")
app.add_typer(lti.app, name="lti", help="LTI 1.3: register platforms, list them, rotate the tool key.")
app.command("issue")(credentials.issue)
app.command("verify")(credentials.verify)
app.add_typer(credentials.app, name="credential", help="Issued credentials: revoke, suspend, unsuspend.")
app.add_typer(issuers.app, name="issuers", help="Issuer trust: trust, untrust, list, refresh the registries.")
app.add_typer(certificates_cli.app, name="certificate", help="Certificates: PDF, credential from a PDF, QR codes.")
app.add_typer(course.app, name="course", help="Course skeletons: export .mbz / OLX, create in Moodle or Open edX.")
app.add_typer(pool.app, name="pool", help="The public pool: profiles, publishing, status re-check.")
