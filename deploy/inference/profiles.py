"""The inference deployments as data: one profile per engine and layout.

Every launch script and Kubernetes manifest under deploy/inference/ is generated
from these profiles by `python -m deploy.inference.generate`, so the flags of the
leader and the worker, of bare metal and of Kubernetes, cannot drift apart.
The flags were checked against the argument parsers of vLLM 0.33.0 and
SGLang 0.5.23 (the versions of the images below).
"""

from __future__ import annotations

from dataclasses import dataclass

KIMI_K2 = "moonshotai/Kimi-K2-Instruct"
QWEN3_DEV = "Qwen/Qwen3-30B-A3B-Instruct-2507"
VLLM_IMAGE = "vllm/vllm-openai:v0.33.0"
SGLANG_IMAGE = "lmsysorg/sglang:v0.5.23"
PORT = 8000
HEALTH_PATH = "/health"  # both engines answer GET /health with 200 once the model is loaded
MASTER_PORT = 29501  # vLLM multi-node (mp backend) rendezvous
DP_RPC_PORT = 13345  # vLLM data-parallel coordinator
SGLANG_DIST_PORT = 50000  # SGLang --dist-init-addr

# Moonshot's deployment guidance: every Kimi-K2 launch needs these four.
KIMI_TOOL_FLAGS = (
    "--trust-remote-code",
    "--enable-auto-tool-choice",
    "--tool-call-parser",
    "kimi_k2",
)


@dataclass(frozen=True)
class Profile:
    """One way to serve one model: the engine, its parallel layout and its flags."""

    name: str  # file names: <name>-leader.sh, <name>.yaml
    description: str
    engine: str  # "vllm" | "sglang"
    layout: str  # "tp" (tensor parallel) | "dp-ep" (data + expert parallel) | "single"
    model: str
    image: str
    nodes: int
    gpus_per_node: int
    tensor_parallel: int
    data_parallel: int = 1
    expert_parallel: bool = False
    flags: tuple[str, ...] = ()  # engine flags common to every node
    service: str = "kimi-k2"  # Kubernetes Service (and LeaderWorkerSet) name
    gpu_product: str | None = "NVIDIA-H200"  # node label nvidia.com/gpu.product
    cache_claim: str = "kimi-k2-model-cache"
    cache_size: str = "1500Gi"
    download_job: bool = True  # weights pre-fetched into the cache by a Job; engines run offline
    shm_size: str = "64Gi"
    cpu: str = "32"
    memory: str = "512Gi"

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    @property
    def roles(self) -> tuple[str, ...]:
        return ("leader", "worker") if self.nodes > 1 else ("server",)


PROFILES: tuple[Profile, ...] = (
    Profile(
        name="kimi-k2-vllm-tp16",
        description="Kimi-K2 on vLLM, tensor parallel 16 over 2 nodes x 8 GPUs (H200 or H20)",
        engine="vllm",
        layout="tp",
        model=KIMI_K2,
        image=VLLM_IMAGE,
        nodes=2,
        gpus_per_node=8,
        tensor_parallel=16,
        flags=(
            *KIMI_TOOL_FLAGS,
            "--max-model-len",
            "131072",
            "--gpu-memory-utilization",
            "0.90",
        ),
    ),
    Profile(
        name="kimi-k2-vllm-dp16-ep",
        description=(
            "Kimi-K2 on vLLM, data parallel 16 with expert parallelism over 2 nodes x 8 GPUs"
        ),
        engine="vllm",
        layout="dp-ep",
        model=KIMI_K2,
        image=VLLM_IMAGE,
        nodes=2,
        gpus_per_node=8,
        tensor_parallel=1,
        data_parallel=16,
        expert_parallel=True,
        flags=(
            *KIMI_TOOL_FLAGS,
            "--max-model-len",
            "131072",
            "--max-num-batched-tokens",
            "8192",
            "--max-num-seqs",
            "256",
            "--gpu-memory-utilization",
            "0.85",
        ),
    ),
    Profile(
        name="kimi-k2-sglang-tp16",
        description="Kimi-K2 on SGLang, tensor parallel 16 over 2 nodes x 8 GPUs (H200 or H20)",
        engine="sglang",
        layout="tp",
        model=KIMI_K2,
        image=SGLANG_IMAGE,
        nodes=2,
        gpus_per_node=8,
        tensor_parallel=16,
        flags=(
            "--trust-remote-code",
            "--tool-call-parser",
            "kimi_k2",
            "--context-length",
            "131072",
            "--mem-fraction-static",
            "0.85",
        ),
    ),
    Profile(
        name="qwen3-30b-a3b-vllm-dev",
        description=(
            "Development: Qwen3-30B-A3B-Instruct-2507 (a small MoE with tool calling) "
            "on vLLM, one 80 GB GPU"
        ),
        engine="vllm",
        layout="single",
        model=QWEN3_DEV,
        image=VLLM_IMAGE,
        nodes=1,
        gpus_per_node=1,
        tensor_parallel=1,
        flags=(
            "--enable-auto-tool-choice",
            "--tool-call-parser",
            "hermes",
            "--max-model-len",
            "32768",
            "--gpu-memory-utilization",
            "0.90",
        ),
        service="inference-dev",
        gpu_product=None,
        cache_claim="inference-dev-model-cache",
        cache_size="100Gi",
        download_job=False,
        shm_size="8Gi",
        cpu="8",
        memory="64Gi",
    ),
)


def profile_get(name: str) -> Profile:
    for profile in PROFILES:
        if profile.name == name:
            return profile
    raise KeyError(name)


def launch_argv(profile: Profile, rank: int) -> list[str]:
    """The engine's command line on node `rank`; $MODEL_PATH and $LEADER_IP are shell variables."""
    if not 0 <= rank < profile.nodes:
        raise ValueError(f"{profile.name} has {profile.nodes} node(s), not rank {rank}")
    if profile.engine == "sglang":
        return _sglang_argv(profile, rank)
    return _vllm_argv(profile, rank)


def _vllm_argv(profile: Profile, rank: int) -> list[str]:
    argv = ["vllm", "serve", "$MODEL_PATH", "--served-model-name", profile.model]
    argv += ["--host", "0.0.0.0", "--port", str(PORT)]  # noqa: S104 (a server in a container)
    argv += ["--tensor-parallel-size", str(profile.tensor_parallel)]
    if profile.layout == "dp-ep":
        start = rank * profile.gpus_per_node
        argv += ["--data-parallel-size", str(profile.data_parallel)]
        argv += ["--data-parallel-size-local", str(profile.gpus_per_node)]
        argv += ["--data-parallel-address", "$LEADER_IP"]
        argv += ["--data-parallel-rpc-port", str(DP_RPC_PORT)]
        argv += ["--enable-expert-parallel"]
        if rank > 0:
            argv += ["--headless", "--data-parallel-start-rank", str(start)]
    elif profile.nodes > 1:
        argv += ["--nnodes", str(profile.nodes), "--node-rank", str(rank)]
        argv += ["--master-addr", "$LEADER_IP", "--master-port", str(MASTER_PORT)]
        if rank > 0:
            argv += ["--headless"]
    return argv + list(profile.flags)


def _sglang_argv(profile: Profile, rank: int) -> list[str]:
    argv = ["python3", "-m", "sglang.launch_server", "--model-path", "$MODEL_PATH"]
    argv += ["--served-model-name", profile.model]
    argv += ["--host", "0.0.0.0", "--port", str(PORT)]  # noqa: S104 (a server in a container)
    argv += ["--tp-size", str(profile.tensor_parallel)]
    if profile.nodes > 1:
        argv += ["--dist-init-addr", f"$LEADER_IP:{SGLANG_DIST_PORT}"]
        argv += ["--nnodes", str(profile.nodes), "--node-rank", str(rank)]
    return argv + list(profile.flags)
