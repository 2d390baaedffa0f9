"""deploy/k8s/: every manifest validates against the Kubernetes schemas that kubernetes-validate ships (offline,
strict: unknown fields are errors), and the manifests describe the same services as deploy/compose.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bridge.scheduling.jobs import JOBS
from tests.deploy.test_deploy import compose

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
VERSION = "1.30.0"  # a Kubernetes release still supported by the managed offerings


def documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def workloads() -> dict[str, dict[str, Any]]:
    """Deployments and Jobs by name: their pod's first container."""
    out = {}
    for doc in documents():
        if doc["kind"] in ("Deployment", "Job"):
            out[doc["metadata"]["name"]] = {"kind": doc["kind"],
                                            "container": doc["spec"]["template"]["spec"]["containers"][0],
                                            "pod": doc["spec"]["template"]["spec"]}
    return out


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_manifest_validates(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_validation_would_catch_a_broken_manifest() -> None:
    broken = next(d for d in documents() if d["kind"] == "Deployment")
    broken = {**broken, "spec": {**broken["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


def test_compose_and_the_manifests_describe_the_same_services() -> None:
    services = compose()["services"]
    kube = workloads()
    # PostgreSQL is a compose service for one host; on Kubernetes it is the operator's (a managed database)
    assert set(services) - {"db"} == set(kube)
    assert kube["migrate"]["kind"] == "Job" and kube["web"]["kind"] == kube["worker"]["kind"] == "Deployment"
    config = next(d for d in documents() if d["kind"] == "ConfigMap")
    secret = next(d for d in documents() if d["kind"] == "Secret")
    shared = set(config["data"]) | set(secret["stringData"])
    for name, svc in services.items():
        if name == "db":
            continue
        container = kube[name]["container"]
        command = [part for part in svc["command"] if "${" not in part]
        assert container["command"][:len(command)] == command, name  # same program and options
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        assert set(svc["environment"]) == shared | set(env), name  # the same settings, from ConfigMap/Secret
        for key, value in env.items():
            assert svc["environment"][key] == value, (name, key)
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert mounts == {v.split(":")[1] for v in svc["volumes"]}, name  # the shared data directory
        claims = {v["persistentVolumeClaim"]["claimName"] for v in kube[name]["pod"]["volumes"]}
        assert claims == {v.split(":")[0] for v in svc["volumes"]}, name
    service = next(d for d in documents() if d["kind"] == "Service")
    assert service["spec"]["ports"][0]["port"] == int(services["web"]["ports"][0].split(":")[-1])
    probe = kube["web"]["container"]["readinessProbe"]["httpGet"]["path"]
    assert probe in " ".join(services["web"]["healthcheck"]["test"])
    pvc = next(d for d in documents() if d["kind"] == "PersistentVolumeClaim")
    assert "ReadWriteMany" in pvc["spec"]["accessModes"]  # pods on several nodes share the signing keys


def test_scheduled_jobs_run_in_the_workers_with_the_lease_not_as_cronjobs() -> None:
    assert not [d for d in documents() if d["kind"] == "CronJob"]
    env = {e["name"]: e["value"] for e in workloads()["worker"]["container"]["env"]}
    assert set(env["LEADS_SCHEDULED_JOBS"].split(",")) == set(JOBS)


def test_the_manifests_connections_fit_postgresqls_default_max_connections() -> None:
    """docs/deploy.md: size ``max_connections`` to (pool size + overflow) × (web processes + workers + 1); the shipped
    replicas must fit PostgreSQL's default (100, of which 3 are kept for superusers), or a managed database left as
    it is refuses connections under load ("too many clients": 503s, see bridge.web.errors)."""
    from bridge.settings import Settings

    kube = workloads()
    config = next(d for d in documents() if d["kind"] == "ConfigMap")["data"]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    per_process = (int(config.get("LEADS_DATABASE_POOL_SIZE", defaults.database_pool_size))
                   + int(config.get("LEADS_DATABASE_MAX_OVERFLOW", defaults.database_max_overflow)))
    deployments = {d["metadata"]["name"]: d["spec"]["replicas"] for d in documents() if d["kind"] == "Deployment"}
    web_command = kube["web"]["container"]["command"]
    web_processes = deployments["web"] * int(web_command[web_command.index("--workers") + 1])
    worker_command = kube["worker"]["container"]["command"]
    concurrency = int(worker_command[worker_command.index("--concurrency") + 1]) if "--concurrency" in worker_command \
        else 1
    worker_connections = deployments["worker"] * concurrency * min(per_process, 3)  # loop, scheduler, lease renewer
    budget = web_processes * per_process + worker_connections + 1  # + the migrations Job
    assert budget <= 100 - 3, (budget, web_processes, per_process, worker_connections)
