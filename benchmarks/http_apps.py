"""The peers of the HTTP benchmark, each served by uvicorn in its own process: a bare FastAPI route (the reference,
served exactly like LEADS) and the loopback LTI platform (lti1p3platform, tests/lti/platform.py) that launches LEADS.

Run as ``python benchmarks/http_apps.py bare PORT WORKERS`` or ``… platform PORT TOOL_BASE``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def bare() -> Any:
    """The smallest useful route: what serving costs before LEADS does anything."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    def bare_route() -> dict[str, str]:
        return {"status": "ok"}

    return app


def platform(base: str, tool_base: str) -> Any:
    """The loopback platform; any login hint launches a learner into the course (a launch per request)."""
    from tests.lti.platform import LEARNER, PendingLaunch, make_platform, new_state

    class AnyHint(dict[str, PendingLaunch]):
        def __missing__(self, hint: str) -> PendingLaunch:
            return PendingLaunch(kind="resource", user=f"learner-{hint[:8]}", roles=[LEARNER])

    state = new_state()
    state.base, state.tool_base, state.pending = base, tool_base, AnyHint()
    return make_platform(state)


def main() -> None:
    import uvicorn

    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "bare":  # served as `leads serve --workers N` serves (a listening socket per worker)
        from bridge.web import serving

        serving.run("http_apps:bare", factory=True, host="127.0.0.1", port=port, workers=int(sys.argv[3]),
                    log_level="warning", app_dir=str(ROOT / "benchmarks"))
    else:
        uvicorn.run(platform(f"http://127.0.0.1:{port}", sys.argv[3]), host="127.0.0.1", port=port,
                    log_level="warning")


if __name__ == "__main__":
    main()
