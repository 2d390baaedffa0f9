"""``--every N`` of the repeating commands takes 0 (once) up to a year: a negative period was silently "once", and
a huge one reached ``time.sleep``, which overflows (a traceback) or sleeps for ever."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.cli.common import EVERY_MAX_SECONDS


@pytest.mark.parametrize("command", [["pool", "recheck"], ["awards", "poll", "--context", "course-1"]])
@pytest.mark.parametrize(("every", "said"), [(str(EVERY_MAX_SECONDS + 1), "less than or equal to 31622400"),
                                             ("99999999999999999999", "less than or equal to 31622400"),
                                             ("-3", "greater than or equal to 0")])
def test_every_out_of_range_is_refused_before_anything_runs(cli_home: Path, command: list[str], every: str,
                                                             said: str) -> None:
    result = CliRunner().invoke(app, [*command, "--every", every])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--every'" in result.output and said in " ".join(result.output.split())
    assert "Traceback" not in result.output and not (cli_home / "leads.sqlite3").exists()  # refused before any work


def test_a_year_is_taken(cli_home: Path) -> None:
    result = CliRunner().invoke(app, ["awards", "poll", "--context", "course-1", "--every", str(EVERY_MAX_SECONDS)])
    assert result.exit_code == 2 and "no grade service is known for context 'course-1'" in result.output
    assert (cli_home / "leads.sqlite3").exists()  # the file the refusals above never made
