"""The deployment files parse and validate offline: Kubernetes schemas, the
LeaderWorkerSet structure, the Compose Specification, the Dockerfile's essentials."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
K8S_VERSION = "1.33"
K8S_DIRS = [DEPLOY / "app" / "k8s", DEPLOY / "inference" / "k8s"]
COMPOSE = DEPLOY / "app" / "compose.yaml"
DOCKERFILE = DEPLOY / "app" / "Dockerfile"
NOT_CORE = {"Kustomization", "LeaderWorkerSet"}  # validated by their own checks below


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for folder in K8S_DIRS:
        for path in sorted(folder.glob("*.yaml")):
            for index, doc in enumerate(load_all(path)):
                found.append((f"{path.relative_to(ROOT)}#{index}", doc))
    return found


def of_kind(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(name, doc) for name, doc in manifests() if doc["kind"] == kind]


def ids(value: object) -> str:
    return value if isinstance(value, str) else ""


def k8s_validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_every_yaml_file_under_deploy_parses():
    paths = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert len(paths) >= 10
    for path in paths:
        assert load_all(path), path


@pytest.mark.parametrize(
    ("name", "doc"), [m for m in manifests() if m[1]["kind"] not in NOT_CORE], ids=ids
)
def test_each_kubernetes_object_validates_against_the_kubernetes_schema(name, doc):
    k8s_validate(doc)


def test_the_kubernetes_validation_rejects_a_misspelled_field():
    (_, deployment), *_ = of_kind("Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        k8s_validate(broken)


@pytest.mark.parametrize(("name", "lws"), of_kind("LeaderWorkerSet"), ids=ids)
def test_each_leader_worker_set_has_the_crd_structure_and_valid_pod_templates(name, lws):
    schema = json.loads((SCHEMAS / "leaderworkerset-v1.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(lws)
    group = lws["spec"]["leaderWorkerTemplate"]
    assert group["size"] == 2
    for key in ("leaderTemplate", "workerTemplate"):
        k8s_validate(
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": key.lower()},
                "template": group[key],
            }
        )
        (engine,) = group[key]["spec"]["containers"]
        assert engine["resources"]["limits"]["nvidia.com/gpu"] == "8"
        assert group[key]["spec"]["nodeSelector"]
        assert group[key]["spec"]["tolerations"]


def test_the_leader_worker_set_schema_rejects_a_group_without_a_worker_template():
    schema = json.loads((SCHEMAS / "leaderworkerset-v1.json").read_text())
    (_, lws), *_ = of_kind("LeaderWorkerSet")
    broken = json.loads(json.dumps(lws))
    del broken["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_each_kimi_service_selects_only_the_leader_that_serves_the_api():
    for _, svc in of_kind("Service"):
        if svc["metadata"]["name"] == "kimi-k2":
            assert svc["spec"]["selector"]["role"] == "leader"
            assert svc["spec"]["selector"]["leaderworkerset.sigs.k8s.io/name"] == "kimi-k2"


def test_the_kustomization_lists_every_app_manifest():
    folder = DEPLOY / "app" / "k8s"
    (kustomization,) = load_all(folder / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_the_app_runs_web_worker_beat_and_a_migrations_job():
    kinds = {(doc["kind"], doc.get("metadata", {}).get("name")) for _, doc in manifests()}
    for expected in [
        ("Deployment", "owm-web"),
        ("Service", "owm-web"),
        ("Deployment", "owm-worker"),
        ("HorizontalPodAutoscaler", "owm-worker"),
        ("Deployment", "owm-beat"),
        ("Job", "owm-migrate"),
        ("ConfigMap", "owm-config"),
    ]:
        assert expected in kinds


def test_beat_runs_exactly_one_replica_and_never_two_at_once():
    (_, beat), *_ = [m for m in of_kind("Deployment") if m[1]["metadata"]["name"] == "owm-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"


def test_the_app_pods_run_as_non_root_with_probes_on_the_web():
    for _, deployment in of_kind("Deployment"):
        if not deployment["metadata"]["name"].startswith("owm-"):
            continue
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        (app,) = pod["containers"]
        assert app["securityContext"]["allowPrivilegeEscalation"] is False
        literal = [e["name"] for e in app.get("env", []) if "value" in e]
        assert not [name for name in literal if "SECRET" in name and "FILE" not in name]
        if deployment["metadata"]["name"] == "owm-web":
            assert app["readinessProbe"]["httpGet"]["path"] == "/login/"
            assert app["livenessProbe"]["httpGet"]["path"] == "/login/"


def test_the_worker_autoscaler_targets_the_worker_deployment():
    (_, hpa), *_ = of_kind("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "owm-worker"
    (_, worker), *_ = [m for m in of_kind("Deployment") if m[1]["metadata"]["name"] == "owm-worker"]
    assert "replicas" not in worker["spec"]  # the HPA owns it


def test_the_compose_file_validates_against_the_compose_specification():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(COMPOSE.read_text()))


def test_the_compose_schema_rejects_an_unknown_service_key():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    compose = yaml.safe_load(COMPOSE.read_text())
    compose["services"]["web"]["healthcheckk"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(compose)


def test_the_compose_stack_has_healthy_dependencies_and_an_optional_gpu_model():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate", "inference"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "worker", "beat", "db", "redis", "inference"):
        assert "test" in services[name]["healthcheck"], name
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["inference"]["profiles"] == ["inference"]
    (device,) = services["inference"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"]


def test_the_compose_model_runs_the_generated_dev_script():
    inference = yaml.safe_load(COMPOSE.read_text())["services"]["inference"]
    script = Path(inference["entrypoint"][-1]).name
    assert (DEPLOY / "inference" / "scripts" / script).is_file()
    assert "../inference/scripts:/opt/owm-inference:ro" in inference["volumes"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_as_a_non_root_user():
    users = [arg for op, arg in dockerfile_instructions() if op == "USER"]
    assert users, "no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_the_image_is_python_311_slim_and_serves_daphne_on_port_8000():
    instructions = dockerfile_instructions()
    froms = [arg for op, arg in instructions if op == "FROM"]
    args = dict(arg.split("=", 1) for op, arg in instructions if op == "ARG" and "=" in arg)
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)
    assert ("EXPOSE", "8000") in instructions
    (cmd,) = [arg for op, arg in instructions if op == "CMD"]
    assert json.loads(cmd)[:1] == ["daphne"]
    assert any(op == "HEALTHCHECK" and "/login/" in arg for op, arg in instructions)
    assert any(op == "RUN" and "collectstatic" in arg for op, arg in instructions)


def test_the_image_bakes_in_no_secret():
    for op, arg in dockerfile_instructions():
        if op in {"ENV", "ARG", "LABEL"}:
            assert not re.search(r"(SECRET|PASSWORD|TOKEN|API_KEY)\w*=", arg, re.IGNORECASE), arg
        if op == "RUN" and "SECRET_KEY=" in arg:
            assert "secrets.token_urlsafe" in arg  # a random throwaway for collectstatic only
    copies = [arg for op, arg in dockerfile_instructions() if op == "COPY"]
    assert not [arg for arg in copies if "secrets" in arg or ".env" in arg]
