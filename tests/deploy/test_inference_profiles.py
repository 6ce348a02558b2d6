"""The inference launch commands come from one place and say what Kimi-K2 needs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from deploy.inference import generate
from deploy.inference.profiles import KIMI_K2, PORT, PROFILES, launch_argv, profile_get

KIMI = [p for p in PROFILES if p.model == KIMI_K2]


def flag_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_the_committed_files_are_exactly_what_the_generator_writes():
    assert generate.stale(generate.outputs()) == [], (
        "run `python -m deploy.inference.generate` and commit the result"
    )


def test_the_generator_check_mode_passes_on_the_committed_tree():
    assert generate.main(["--check"]) == 0


def test_a_changed_flag_is_reported_as_drift():
    files = generate.outputs()
    path = next(p for p in files if p.name == "kimi-k2-vllm-tp16-leader.sh")
    files[path] = files[path].replace("kimi_k2", "hermes")
    assert generate.stale(files) == [path]


@pytest.mark.parametrize("profile", KIMI, ids=lambda p: p.name)
def test_every_kimi_node_trusts_remote_code_and_parses_kimi_tool_calls(profile):
    for rank in range(profile.nodes):
        argv = launch_argv(profile, rank)
        assert "--trust-remote-code" in argv
        assert flag_value(argv, "--tool-call-parser") == "kimi_k2"
        if profile.engine == "vllm":
            assert "--enable-auto-tool-choice" in argv


@pytest.mark.parametrize("profile", KIMI, ids=lambda p: p.name)
def test_every_kimi_layout_spans_sixteen_gpus_on_two_nodes(profile):
    assert (profile.nodes, profile.gpus_per_node, profile.gpus) == (2, 8, 16)
    assert profile.tensor_parallel * profile.data_parallel == profile.gpus


@pytest.mark.parametrize("profile", KIMI, ids=lambda p: p.name)
def test_the_parallel_flags_match_the_profile_on_every_node(profile):
    for rank in range(profile.nodes):
        argv = launch_argv(profile, rank)
        tp_flag = "--tp-size" if profile.engine == "sglang" else "--tensor-parallel-size"
        assert int(flag_value(argv, tp_flag)) == profile.tensor_parallel
        if profile.data_parallel > 1:
            assert int(flag_value(argv, "--data-parallel-size")) == profile.data_parallel
            local = int(flag_value(argv, "--data-parallel-size-local"))
            assert local == profile.gpus_per_node
            assert ("--enable-expert-parallel" in argv) == profile.expert_parallel
        else:
            assert int(flag_value(argv, "--nnodes")) == profile.nodes
            assert int(flag_value(argv, "--node-rank")) == rank


def test_the_dp_ep_worker_starts_at_the_first_rank_after_the_leaders_gpus():
    profile = profile_get("kimi-k2-vllm-dp16-ep")
    worker = launch_argv(profile, 1)
    assert "--headless" in worker
    assert int(flag_value(worker, "--data-parallel-start-rank")) == profile.gpus_per_node
    assert "--headless" not in launch_argv(profile, 0)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_leader_and_worker_differ_only_in_their_node_role(profile):
    shared = [launch_argv(profile, rank)[-len(profile.flags) :] for rank in range(profile.nodes)]
    assert all(flags == list(profile.flags) for flags in shared)
    for rank in range(profile.nodes):
        argv = launch_argv(profile, rank)
        assert flag_value(argv, "--served-model-name") == profile.model
        assert flag_value(argv, "--port") == str(PORT)


def test_the_dev_profile_serves_a_small_moe_with_hermes_tool_calls_on_one_gpu():
    profile = profile_get("qwen3-30b-a3b-vllm-dev")
    argv = launch_argv(profile, 0)
    assert profile.model.startswith("Qwen/Qwen3-30B-A3B")
    assert profile.gpus == 1
    assert "--enable-auto-tool-choice" in argv
    assert flag_value(argv, "--tool-call-parser") == "hermes"


def test_a_rank_outside_the_layout_is_refused():
    with pytest.raises(ValueError, match="rank 2"):
        launch_argv(profile_get("kimi-k2-vllm-tp16"), 2)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_each_kubernetes_pod_runs_the_same_text_as_its_bare_metal_script(profile):
    docs = list(yaml.safe_load_all((generate.K8S / f"{profile.name}.yaml").read_text()))
    workload = next(d for d in docs if d["kind"] in {"LeaderWorkerSet", "Deployment"})
    if workload["kind"] == "LeaderWorkerSet":
        lwt = workload["spec"]["leaderWorkerTemplate"]
        assert lwt["size"] == profile.nodes
        templates = {"leader": lwt["leaderTemplate"], "worker": lwt["workerTemplate"]}
    else:
        templates = {"server": workload["spec"]["template"]}
    for role, template in templates.items():
        (engine,) = template["spec"]["containers"]
        suffix = "" if role == "server" else f"-{role}"
        script = (generate.SCRIPTS / f"{profile.name}{suffix}.sh").read_text()
        assert engine["command"] == ["/bin/bash", "-c", script]
        assert engine["resources"]["limits"]["nvidia.com/gpu"] == str(profile.gpus_per_node)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_the_serving_pod_is_probed_on_the_engine_health_endpoint(profile):
    docs = list(yaml.safe_load_all((generate.K8S / f"{profile.name}.yaml").read_text()))
    workload = next(d for d in docs if d["kind"] in {"LeaderWorkerSet", "Deployment"})
    spec = workload["spec"]
    if "leaderWorkerTemplate" in spec:
        template = spec["leaderWorkerTemplate"]["leaderTemplate"]
    else:
        template = spec["template"]
    (engine,) = template["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert engine[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert engine["ports"] == [{"name": "http", "containerPort": PORT}]
    shm = next(v for v in template["spec"]["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"]["medium"] == "Memory"
    (svc,) = [d for d in docs if d["kind"] == "Service"]
    assert svc["metadata"]["name"] == profile.service
    assert svc["spec"]["ports"][0]["port"] == PORT


def test_the_scripts_are_executable_and_valid_bash():
    bash = shutil.which("bash")
    assert bash
    for path in sorted(generate.SCRIPTS.glob("*.sh")):
        assert os.access(path, os.X_OK), path
        subprocess.run([bash, "-n", str(path)], check=True, timeout=10)  # noqa: S603


def test_a_worker_without_a_leader_address_stops_with_a_message():
    bash = shutil.which("bash")
    assert bash
    script = generate.SCRIPTS / "kimi-k2-vllm-tp16-worker.sh"
    env = {k: v for k, v in os.environ.items() if k not in {"LEADER_ADDR", "LWS_LEADER_ADDRESS"}}
    result = subprocess.run(  # noqa: S603
        [bash, str(script)], env=env, capture_output=True, text=True, timeout=10, check=False
    )
    assert result.returncode != 0
    assert "set LEADER_ADDR" in result.stderr
