"""HTTP under load: LEADS served as documented for production (``leads serve --workers 2``: uvicorn with uvloop and
httptools, one process per core, PostgreSQL), driven by a bounded asyncio load generator; one JSON line.

Each scenario runs alone for a few seconds with 20 and then 100 clients, each client sending its next request as
soon as the previous answer arrived (keep-alive connections): GET the certificate page, GET a credential (JSON-LD),
GET its status list, POST /api/verify, and a full LTI launch (the platform's login start, LEADS's OIDC login, the
cookie check, the platform's authorisation and the id_token form post: five requests, timed as one) from a loopback
lti1p3platform in its own process (its RSA key parsed once; the launch driven on two raw keep-alive connections,
like the other scenarios, so the generator stays light). References in the same run: a bare FastAPI route served
the same way (``benchmarks/http_apps.py``), and verification in-process by as many processes as web workers. The
ratios against the bare route come from a second measurement of each such scenario in alternating slices with the
bare route (``paired_with_bare``), so that other jobs on a shared machine weigh on both alike. Each run also
prints the CPU milliseconds each process tree spent per answered request (from /proc), and for the launch LEADS's
own share: its three requests per second against the bare route's, and the CPU one launch costs LEADS.

Targets: p99 at most 4× p50 at 20 clients (every LEADS scenario; the bare route's own ratio is printed as the
machine's floor); GET credential at least 50 % of the bare route's requests per second; POST /api/verify at least
80 % of the in-process verify rate; the launch at least 25 % of the bare route. LEADS_BENCH_SCALE shortens each
scenario (never under 2 s); LEADS_BENCH_HTTP_ONLY=credential,lti_launch runs only those (and the bare route), for a
quick look, and prints the figures without a verdict (with the in-process verify rate when verify ran).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import quantiles
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from benchlib import emit, postgres_database, scale  # noqa: E402

PAIR_SLICES = 4
PAIRED = ("credential", "lti_launch")  # the scenarios whose targets are fractions of the bare route
LAUNCH_LEADS_REQUESTS = 3  # of a launch's five requests: LEADS's login, cookie check and id_token post
WEB_WORKERS = int(os.environ.get("LEADS_WEB_WORKERS", "2"))
CLIENTS = (20, 100)
SECONDS = max(2.0, 6.0 * min(1.0, scale() * 2))
_v: dict[str, Any] = {}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Conn:
    """One keep-alive HTTP/1.1 connection, as light as a client can be (the generator shares the cores)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> int:
        return (await self.exchange(method, path, body, headers, keep=False))[0]

    async def exchange(self, method: str, path: str, body: bytes = b"", headers: str = "",
                       keep: bool = True) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers (names in lower case) and body (only with ``keep``: the other scenarios skip it)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{headers}"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        got: list[tuple[str, str]] = []
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            key, _, raw = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), raw.strip().lower()
            if keep:
                got.append((key, raw.strip()))
            if key == "content-length":
                length = int(value)
            elif key == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif key == "connection" and value == "close":
                close = True
        data = b""
        if chunked:
            while (size := int((await self.reader.readline()).strip() or b"0", 16)):
                data += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readline()
        elif length:
            data = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, got, data if keep else b""


async def _load(clients: int, seconds: float, one: Any) -> dict[str, Any]:
    """``clients`` loops calling ``one(state)`` for ``seconds``; requests per second and latency quantiles."""
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    async def client(i: int) -> None:
        state: dict[str, Any] = {"i": i}
        while time.perf_counter() < stop:
            began = time.perf_counter()
            try:
                ok = await one(state)
            except Exception as exc:  # counted, never hidden
                ok, state["conn"] = False, None
                errors.append(f"{exc.__class__.__name__}: {exc}"[:200])
            if ok:
                latencies.append(time.perf_counter() - began)
            elif len(errors) < 1000:
                errors.append(str(state.get("status")))

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    q = quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"clients": clients, "requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "p99_over_p50": round(q[98] / q[49], 2) if q[49] else None, "errors": len(errors),
            "first_error": errors[0] if errors else None, "seconds": round(elapsed, 3)}


def paired(clients: int, one: Any, bare_one: Any) -> dict[str, float]:
    """Requests per second of ``one`` and of the bare route measured in alternating slices, so that the other jobs
    on a shared machine weigh on both alike (the ratios against the bare route use these)."""
    done = {"leads": 0, "bare": 0}
    spent = {"leads": 0.0, "bare": 0.0}
    for _ in range(PAIR_SLICES):
        for key, fn in (("bare", bare_one), ("leads", one)):
            result = asyncio.run(_load(clients, max(0.5, SECONDS / PAIR_SLICES), fn))
            done[key] += result["requests"]
            spent[key] += result["seconds"]
    return {f"{key}_rps": round(done[key] / spent[key], 1) for key in done}


def _cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its live descendants, from /proc (0 where there is none)."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(clients: int, one: Any, servers: dict[str, int]) -> dict[str, Any]:
    """One load run, with the CPU milliseconds each process tree (and the generator) spent per answered request."""
    before = {name: _cpu_seconds(pid) for name, pid in servers.items()} | {"generator": _own_cpu_seconds()}
    result = asyncio.run(_load(clients, SECONDS, one))
    after = {name: _cpu_seconds(pid) for name, pid in servers.items()} | {"generator": _own_cpu_seconds()}
    n = max(1, result["requests"])
    result["cpu_ms_per_request"] = {name: round((after[name] - before[name]) * 1000 / n, 2) for name in before}
    return result


def simple(port: int, method: str, path: str, body: bytes = b"", headers: str = "") -> Any:
    async def one(state: dict[str, Any]) -> bool:
        conn = state.get("conn") or Conn(port)
        state["conn"] = conn
        state["status"] = await conn.request(method, path, body, headers)
        return bool(state["status"] == 200)

    return one


def launch(port: int, platform_port: int) -> Any:
    """The browser's part of an LTI launch, as tests/bridge/ltitool/conftest.py drives it, on two keep-alive
    connections (one to the platform, one to LEADS) as light as the other scenarios' (no redirect following: the
    Secure cookies of the login are sent back by hand on plain-http loopback, as there)."""

    async def one(state: dict[str, Any]) -> bool:
        conns = state.get("conns") or {port: Conn(port), platform_port: Conn(platform_port)}
        state["conns"] = conns

        async def get(url: str, headers: str = "") -> tuple[int, dict[str, list[str]], bytes]:
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            status, got, data = await conns[parts.port or 80].exchange("GET", target, headers=headers)
            found: dict[str, list[str]] = {}
            for key, value in got:
                found.setdefault(key, []).append(value)
            return status, found, data

        _s, start, _d = await get(f"http://127.0.0.1:{platform_port}/start/{uuid.uuid4().hex}")
        _s, login, _d = await get(start["location"][0])
        cookie = "; ".join(c.split(";", 1)[0] for c in login.get("set-cookie", []))
        _s, check, _d = await get(login["location"][0], f"Cookie: {cookie}\r\n")
        _s, _h, page = await get(check["location"][0])
        text = page.decode()
        action = re.search(r'<form[^>]*action="([^"]+)"', text)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))
        assert action, text[:300]
        target = urlsplit(html.unescape(action.group(1)))
        status, _h, _d = await conns[port].exchange(
            "POST", target.path + (f"?{target.query}" if target.query else ""),
            urlencode({k: html.unescape(v) for k, v in fields.items()}).encode(),
            f"Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\nAccept: text/html\r\n")
        state["status"] = status
        return status in (200, 302, 303)

    return one


def _verify_init(url: str, data_dir: str, base: str) -> None:
    from bridge.credentials.service import CredentialService
    from bridge.credentials.verification import Verifier
    from bridge.db import make_database
    from bridge.settings import Settings

    settings = Settings(data_dir=Path(data_dir), database_url=url, base_url=base, load_sample=False)
    _v["verifier"] = Verifier(CredentialService(make_database(url), settings))


def _verify_for(args: tuple[dict[str, Any], float]) -> int:
    document, seconds = args
    stop, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < stop:
        assert _v["verifier"].verify(document).verdict == "verified"
        n += 1
    return n


def in_process_verify_rate(url: str, data_dir: Path, base: str, document: dict[str, Any]) -> float:
    with ProcessPoolExecutor(WEB_WORKERS, initializer=_verify_init, initargs=(url, str(data_dir), base)) as pool:
        list(pool.map(_verify_for, [(document, 0.5)] * WEB_WORKERS))  # warm
        began = time.perf_counter()
        n = sum(pool.map(_verify_for, [(document, SECONDS)] * WEB_WORKERS))
        return n / (time.perf_counter() - began)


def _wait(url: str, procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 600  # a loaded machine starts slowly; the timing starts after
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"a server process stopped before answering {url}:\n"
                             + "\n".join(p.read_text(errors="replace")[-2000:] for p in logs.glob("*.log")))
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in 600 s")


def main() -> None:
    with postgres_database("leads_bench_http") as url, tempfile.TemporaryDirectory() as tmp:
        emit(run(url, Path(tmp)))


def run(url: str, data_dir: Path) -> dict[str, Any]:
    from bridge.credentials.service import CredentialService, IssueInput
    from bridge.ltitool.store import SqlToolConfigStore
    from bridge.settings import Settings
    from bridge.startup import prepare
    from lti.config import PlatformRegistration

    port, bare_port, platform_port = _port(), _port(), _port()
    base, platform = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{platform_port}"
    settings = Settings(data_dir=data_dir, database_url=url, base_url=base, load_sample=True)
    db = prepare(settings)
    row = CredentialService(db, settings).issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    status_path = row.document["credentialStatus"][0]["statusListCredential"].removeprefix(base)
    SqlToolConfigStore(db).save(PlatformRegistration(
        issuer=platform, client_id="leads-client-1", auth_login_url=f"{platform}/authorize",
        auth_token_url=f"{platform}/token", key_set_url=f"{platform}/jwks", deployment_ids=("deployment-1",),
        name="bench platform"))
    db.engine.dispose()
    env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir), "LEADS_BASE_URL": base,
           "LEADS_LOAD_SAMPLE": "true", "PYTHONPATH": str(ROOT),
           # one load generator is one client address: lift the per-client verification rate for the run
           "LEADS_VERIFY_RATE_PER_MINUTE": "100000000"}
    logs = [(data_dir / f"{name}.log").open("wb") for name in ("leads", "bare", "platform")]
    procs = [
        subprocess.Popen([sys.executable, "-c", "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()",
                          "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WEB_WORKERS)],
                         cwd=ROOT, env=env, stdout=logs[0], stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "http_apps.py"), "bare", str(bare_port),
                          str(WEB_WORKERS)], cwd=ROOT, env=env, stdout=logs[1], stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "http_apps.py"), "platform", str(platform_port),
                          base], cwd=ROOT, env=env, stdout=logs[2], stderr=subprocess.STDOUT)]
    try:
        for probe in (f"{base}/healthz", f"http://127.0.0.1:{bare_port}/bare", f"{platform}/jwks"):
            _wait(probe, procs, data_dir)
        body = json.dumps(row.document).encode()
        scenarios = {
            "bare": simple(bare_port, "GET", "/bare"),
            "certificate_page": simple(port, "GET", f"/credentials/{row.id}/certificate"),
            "credential": simple(port, "GET", f"/credentials/{row.id}", headers="Accept: application/ld+json\r\n"),
            "status_list": simple(port, "GET", status_path),
            "verify": simple(port, "POST", "/api/verify", body, "Content-Type: application/json\r\n"),
            "lti_launch": launch(port, platform_port),
        }
        only = [n for n in os.environ.get("LEADS_BENCH_HTTP_ONLY", "").split(",") if n]  # while iterating
        results: dict[str, list[dict[str, Any]]] = {}
        for name, one in scenarios.items():
            if only and name not in ("bare", *only):
                continue
            for clients in CLIENTS:
                asyncio.run(_load(min(clients, 4), 0.5, one))  # warm the processes' caches and connections
                servers = {"bare": procs[1].pid} if name == "bare" else {"leads": procs[0].pid}
                if name == "lti_launch":
                    servers["platform"] = procs[2].pid
                results.setdefault(name, []).append(measured(clients, one, servers))
                if name in PAIRED:
                    results[name][-1]["paired_with_bare"] = paired(clients, one, scenarios["bare"])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
    verify_ref = in_process_verify_rate(url, data_dir, base, row.document) if "verify" in results else 0.0
    if set(results) != set(scenarios):  # a partial run (LEADS_BENCH_HTTP_ONLY): the figures only, no verdict
        partial: dict[str, Any] = {"benchmark": "http", "partial": True, "results": results}
        if verify_ref:
            partial["in_process_verify_per_s"] = round(verify_ref, 1)
            partial["verify_vs_in_process"] = [round(r["rps"] / verify_ref, 3) for r in results["verify"]]
        return partial

    def rate(name: str, i: int) -> float:
        return float(results[name][i]["rps"])

    def paired_ratio(name: str, i: int) -> float:
        pair = results[name][i]["paired_with_bare"]
        return round(float(pair["leads_rps"]) / float(pair["bare_rps"]), 3)

    ratios = {f"{name}_vs_bare@{c}": paired_ratio(name, i) for name in PAIRED for i, c in enumerate(CLIENTS)}
    ratios.update({f"verify_vs_in_process@{c}": round(rate("verify", i) / verify_ref, 3)
                   for i, c in enumerate(CLIENTS)})
    # LEADS's own share of a launch (three of its five requests are LEADS's): its requests per second against the
    # bare route's, and the CPU one launch costs the LEADS processes against one bare request (the ceiling it sets)
    own: dict[str, float | None] = {f"leads_requests_vs_bare@{c}": round(
        LAUNCH_LEADS_REQUESTS * paired_ratio("lti_launch", i), 3) for i, c in enumerate(CLIENTS)}
    for i, c in enumerate(CLIENTS):
        per_launch = results["lti_launch"][i]["cpu_ms_per_request"].get("leads", 0.0)
        per_bare = results["bare"][i]["cpu_ms_per_request"].get("bare", 0.0)
        own[f"leads_cpu_ms_per_launch@{c}"] = per_launch
        own[f"cpu_ceiling_launch_vs_bare@{c}"] = round(per_bare / per_launch, 3) if per_launch else None
    tails = {name: r[0]["p99_over_p50"] for name, r in results.items()}
    errors = sum(x["errors"] for r in results.values() for x in r)
    # the target is LEADS's; the bare route's own ratio is printed as the machine's floor (other load on the cores)
    checks = {"p99_within_4x_p50@20": all(t is not None and t <= 4 for name, t in tails.items() if name != "bare"),
              "credential_ge_0.5_bare": min(ratios[f"credential_vs_bare@{c}"] for c in CLIENTS) >= 0.5,
              "verify_ge_0.8_in_process": min(ratios[f"verify_vs_in_process@{c}"] for c in CLIENTS) >= 0.8,
              "launch_ge_0.25_bare": min(ratios[f"lti_launch_vs_bare@{c}"] for c in CLIENTS) >= 0.25,
              "no_errors": errors == 0}
    return {"benchmark": "http", "web_workers": WEB_WORKERS, "seconds_per_scenario": SECONDS, "results": results,
            "in_process_verify_per_s": round(verify_ref, 1), "ratios": ratios, "launch": own,
            "p99_over_p50@20": tails,
            "targets": {"p99_over_p50_max": 4, "credential_vs_bare_min": 0.5, "verify_vs_in_process_min": 0.8,
                        "lti_launch_vs_bare_min": 0.25}, "checks": checks, "ok": all(checks.values())}


if __name__ == "__main__":
    main()
