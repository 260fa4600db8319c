"""Offline checks of the rendered Kubernetes manifests (k8s/), used by tests/test_k8s_manifests.py.

No API server runs here, so these stand in for what one would reject, plus the project's own rules that
no server checks (probes, shutdown, scaling, Triton flags, alerts, the runbook). Each check takes the
objects that `kubectl kustomize` rendered for one overlay and returns a list of problems (empty = fine).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import kubernetes_validate
import yaml

from serving.gpu_repository import ENGINE_DIR
from serving.launcher import DEFAULT_VOICE_DIR
from triton_tts.lexicon import Lexicon, LexiconError
from triton_tts.model_config import LEXICON_ENV
from triton_tts.voice_config import load_voice_config
from triton_tts.observability import exported_series
from serving.triton_args import GrpcTls, triton_args

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "k8s"
RUNBOOK = REPO / "docs" / "runbook.md"
KUBERNETES_VERSION = "1.33.0"  # the oldest cluster version the manifests must work on
REGIONS = ("europe-west1", "us-central1", "asia-northeast1")
NAMESPACE = "tts"
REGION_LABEL = "region"
MONITORING_NAMESPACE = "monitoring"
IMAGE_ROOT = "/opt/triton-tts"
PORTS = {"grpc": 8001, "http": 8000, "metrics": 8002}
TLS_DIR = "/etc/triton-tts/tls"  # the Secret tts-grpc-tls, mounted by the grpc-tls component
TLS = GrpcTls(f"{TLS_DIR}/tls.crt", f"{TLS_DIR}/tls.key", f"{TLS_DIR}/ca.crt")
TLS_PROBE_ARGS = [f"--tls-ca={TLS.ca}", f"--tls-cert={TLS.cert}", f"--tls-key={TLS.key}"]


def expected_args(repository: str, tls: GrpcTls | None = None) -> list[str]:
    return triton_args(f"{IMAGE_ROOT}/{repository}", PORTS["grpc"], PORTS["http"], PORTS["metrics"], tls=tls)
ONNX_DIR = f"{IMAGE_ROOT}/onnx"  # the image's ONNX export and engine shape profiles (Dockerfile)
ENGINE_CACHE = "/var/cache/triton-tts/engines"
ENGINE_COMMAND = ["bash", f"{IMAGE_ROOT}/scripts/build_trt_engines.sh", ONNX_DIR, ENGINE_CACHE]
TENSORRT_REPOSITORY = "model_repository_gpu"  # k8s/components/gpu-tensorrt: engines built in the pod
TORCH_CUDA_REPOSITORY = "model_repository_cuda"  # k8s/components/gpu-torch: the Python stages on CUDA
ADMIN_SECRET = "tts-triton-admin"
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "Certificate"}  # CRDs: no schema ships, checked by check_custom_resources
SEVERITIES = {"critical", "warning", "info"}
DEPRECATED_KUSTOMIZE_FIELDS = {"commonLabels", "patchesStrategicMerge", "patchesJson6902", "bases", "vars"}
MIN_STARTUP_S = 300  # model loading takes minutes
PRE_STOP_ENDPOINT_DELAY_S = 5  # time for endpoints to drop a terminating pod before Triton stops

Docs = list[dict[str, Any]]


class RenderError(RuntimeError):
    """kubectl kustomize failed or warned (deprecated fields warn)."""


def kubectl() -> str | None:
    """kubectl from the running interpreter's environment (make test does not activate .venv), else PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.exists() else shutil.which("kubectl")


def render(overlay: Path) -> Docs:
    """The objects `kubectl kustomize overlay` renders; a warning counts as a failure."""
    binary = kubectl()
    if binary is None:
        raise RenderError("kubectl is not installed")
    result = subprocess.run([binary, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or result.stderr.strip():
        raise RenderError(f"kubectl kustomize {overlay}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


# --- helpers -------------------------------------------------------------------------------------------


def of_kind(docs: Docs, kind: str) -> list[dict]:
    return [doc for doc in docs if doc.get("kind") == kind]


def ident(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def pod_spec(statefulset: dict) -> dict:
    return statefulset.get("spec", {}).get("template", {}).get("spec", {})


def pod_labels(statefulset: dict) -> dict:
    return statefulset.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})


def all_containers(statefulset: dict) -> Iterator[dict]:
    """Init containers first, then the app containers."""
    spec = pod_spec(statefulset)
    yield from spec.get("initContainers", [])
    yield from spec.get("containers", [])


def main_container(statefulset: dict) -> dict:
    return pod_spec(statefulset).get("containers", [{}])[0]


def mounted(container: dict) -> dict[str, str]:
    """mountPath -> volume name."""
    return {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}


def required_zones(statefulset: dict) -> list[str]:
    """The zones the pods' required node affinity allows."""
    affinity = pod_spec(statefulset).get("affinity", {}).get("nodeAffinity", {})
    terms = affinity.get("requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", [])
    return [zone for term in terms for expr in term.get("matchExpressions", [])
            if expr.get("key") == "topology.kubernetes.io/zone" for zone in expr.get("values", [])]


def selects(selector: dict | None, labels: dict) -> bool:
    """True when a non-empty matchLabels-style selector matches the labels."""
    match = (selector or {}).get("matchLabels", selector or {})
    return bool(match) and all(labels.get(key) == value for key, value in match.items())


def declared_ports(statefulset: dict) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in main_container(statefulset).get("ports", []) if "name" in p}


def port_known(port: int | str, ports: dict[str, int]) -> bool:
    return port in ports if isinstance(port, str) else port in ports.values()


def flag_value(args: list[str], flag: str) -> str | None:
    return next((arg.split("=", 1)[1] for arg in args if arg.startswith(f"{flag}=")), None)


def quantity_count(value: int | str, total: int) -> int:
    """An int-or-percent PDB value as a pod count out of `total`."""
    if isinstance(value, str) and value.endswith("%"):
        return int(value[:-1]) * total // 100
    return int(value)


def alerts(docs: Docs) -> list[dict]:
    return [
        rule
        for prometheus_rule in of_kind(docs, "PrometheusRule")
        for group in prometheus_rule.get("spec", {}).get("groups", [])
        for rule in group.get("rules", [])
    ]


def promql_exprs(docs: Docs) -> list[str]:
    return [str(rule.get("expr", "")) for rule in alerts(docs)]


def markdown_anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


# --- checks --------------------------------------------------------------------------------------------


def check_schemas(docs: Docs) -> list[str]:
    """Strict OpenAPI schema validation (unknown fields are errors), as an API server would reject them."""
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            if doc.get("kind") not in CUSTOM_KINDS:
                version = f"{doc.get('apiVersion')} in Kubernetes {KUBERNETES_VERSION}"
                problems.append(f"{ident(doc)}: no schema for {version}")
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            problems.append(f"{ident(doc)}: {path}: {exc.message}")
    return problems


def check_custom_resources(docs: Docs) -> list[str]:
    """ServiceMonitor and PrometheusRule by the project's rules, since no schema ships for CRDs."""
    problems = []
    services = of_kind(docs, "Service")
    for monitor in of_kind(docs, "ServiceMonitor"):
        spec = monitor.get("spec", {})
        matched = [svc for svc in services if selects(spec.get("selector"), svc["metadata"].get("labels", {}))]
        if not matched:
            problems.append(f"{ident(monitor)}: selector matches no Service")
        if not spec.get("endpoints"):
            problems.append(f"{ident(monitor)}: no endpoints")
        for endpoint in spec.get("endpoints", []):
            if not any(p.get("name") == endpoint.get("port") for svc in matched for p in svc["spec"].get("ports", [])):
                problems.append(f"{ident(monitor)}: no selected Service has a port named {endpoint.get('port')!r}")
    for prometheus_rule in of_kind(docs, "PrometheusRule"):
        if not prometheus_rule.get("spec", {}).get("groups"):
            problems.append(f"{ident(prometheus_rule)}: no rule groups")
    for rule in alerts(docs):
        name = rule.get("alert") or rule.get("record") or "<unnamed rule>"
        if not str(rule.get("expr", "")).strip():
            problems.append(f"rule {name}: empty expr")
        if "alert" not in rule:
            continue
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"alert {name}: severity label must be one of {sorted(SEVERITIES)}")
        annotations = rule.get("annotations", {})
        if not annotations.get("summary"):
            problems.append(f"alert {name}: no summary annotation")
        if not re.fullmatch(r"docs/runbook\.md#[\w-]+", annotations.get("runbook_url", "")):
            problems.append(f"alert {name}: runbook_url must point at an anchor in docs/runbook.md")
    return problems


def check_exported_metrics(docs: Docs) -> list[str]:
    """Rules only use Triton metrics that the flags in serving/triton_args.py make Triton export, tts_* metrics
    the stages export (triton_tts.observability.METRICS), and series recorded by the rules themselves."""
    config = {flag_value([arg], "--metrics-config") for arg in expected_args("model_repository")} - {None}
    exported = {"nv_inference_request_success", "nv_inference_request_failure", "nv_inference_count",
                "nv_inference_exec_count", "nv_inference_pending_request_count", "nv_cpu_utilization",
                "nv_cpu_memory_used_bytes", "nv_gpu_utilization", "nv_gpu_memory_used_bytes"}
    durations = ("request", "queue", "compute_input", "compute_infer", "compute_output")
    if "counter_latencies=false" not in config:
        exported |= {f"nv_inference_{d}_duration_us" for d in durations}
    if "summary_latencies=true" in config:
        exported |= {f"nv_inference_{d}_summary_us{s}" for d in durations for s in ("", "_sum", "_count")}
    # histogram_latencies=true adds only nv_inference_first_response_histogram_ms, for decoupled models
    # (tts_stream), and not in every build (the nvidia-pytriton wheel's 2.51 lacks it): rules use the stream's
    # own tts_time_to_first_audio_seconds instead.
    problems = []
    recorded = {rule["record"] for rule in alerts(docs) if "record" in rule}
    for expr in promql_exprs(docs):
        expr = re.sub(r'"[^"]*"', '""', expr)  # label values (stage=~"...|tts_stream") are not metric names
        for metric in sorted(set(re.findall(r"\bnv_\w+", expr)) - exported):
            problems.append(f"PromQL uses {metric}, which Triton does not export with these flags")
        for metric in sorted(set(re.findall(r"(?<![\w:])tts_\w+", expr)) - exported_series()):
            problems.append(f"PromQL uses {metric}, which no stage exports")
        for metric in sorted(set(re.findall(r"\b\w+:\w+:\w+", expr)) - recorded):
            problems.append(f"PromQL uses the recorded series {metric}, which no rule records")
    return problems


def check_selectors(docs: Docs) -> list[str]:
    """Every selector (StatefulSet, Services, PDB, NetworkPolicy, topology spread) matches the pods."""
    problems = []
    for statefulset in of_kind(docs, "StatefulSet"):
        labels = pod_labels(statefulset)
        selectors = {ident(statefulset): statefulset["spec"].get("selector")}
        selectors |= {ident(svc): svc["spec"].get("selector") for svc in of_kind(docs, "Service")}
        selectors |= {ident(pdb): pdb["spec"].get("selector") for pdb in of_kind(docs, "PodDisruptionBudget")}
        selectors |= {ident(np): np["spec"].get("podSelector") for np in of_kind(docs, "NetworkPolicy")}
        for i, spread in enumerate(pod_spec(statefulset).get("topologySpreadConstraints", [])):
            selectors[f"{ident(statefulset)} topologySpreadConstraints[{i}]"] = spread.get("labelSelector")
        problems += [f"{owner}: selector does not match the pod labels" for owner, sel in selectors.items()
                     if not selects(sel, labels)]
    return problems


def check_service_name(docs: Docs) -> list[str]:
    """The StatefulSet's serviceName is a headless Service (that is what gives pods stable DNS names)."""
    headless = {svc["metadata"]["name"] for svc in of_kind(docs, "Service") if svc["spec"].get("clusterIP") == "None"}
    return [f"{ident(sts)}: serviceName {sts['spec'].get('serviceName')!r} is not a headless Service"
            for sts in of_kind(docs, "StatefulSet") if sts["spec"].get("serviceName") not in headless]


def check_ports(docs: Docs) -> list[str]:
    """Probes, Services and the NetworkPolicy use ports the container declares; clients get gRPC only."""
    problems = []
    for statefulset in of_kind(docs, "StatefulSet"):
        ports = declared_ports(statefulset)
        if ports != PORTS:
            problems.append(f"{ident(statefulset)}: container ports {ports} are not {PORTS}")
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            http = main_container(statefulset).get(probe_name, {}).get("httpGet")
            if http and not port_known(http.get("port"), ports):
                problems.append(f"{ident(statefulset)}: {probe_name} port {http.get('port')!r} is not declared")
        for svc in of_kind(docs, "Service"):
            targets = [p.get("targetPort", p.get("port")) for p in svc["spec"].get("ports", [])]
            problems += [f"{ident(svc)}: targetPort {t!r} is not declared" for t in targets if not port_known(t, ports)]
        for policy in of_kind(docs, "NetworkPolicy"):
            problems += [f"{ident(policy)}: port {p.get('port')!r} is not declared"
                         for rule in policy["spec"].get("ingress", []) for p in rule.get("ports", [])
                         if not port_known(p.get("port"), ports)]
    clients = [svc for svc in of_kind(docs, "Service") if svc["spec"].get("clusterIP") != "None"]
    for svc in clients:
        exposed = {p.get("targetPort") for p in svc["spec"].get("ports", [])}
        if exposed != {"grpc"}:
            problems.append(f"{ident(svc)}: a client Service must expose gRPC only, not {sorted(map(str, exposed))}")
    return problems


def check_scaling(docs: Docs) -> list[str]:
    """HPA and PDB target the StatefulSet and agree with its replicas; apply never fights them."""
    problems = []
    statefulsets = {sts["metadata"]["name"]: sts for sts in of_kind(docs, "StatefulSet")}
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    if not hpas or not pdbs:
        problems.append("expected a HorizontalPodAutoscaler and a PodDisruptionBudget")
    for sts in statefulsets.values():
        spec = sts["spec"]
        if spec.get("podManagementPolicy") != "Parallel":
            problems.append(f"{ident(sts)}: podManagementPolicy must be Parallel")
        if spec.get("updateStrategy", {}).get("type") != "RollingUpdate":
            problems.append(f"{ident(sts)}: updateStrategy must be RollingUpdate")
        if "partition" in spec.get("updateStrategy", {}).get("rollingUpdate", {}):
            problems.append(f"{ident(sts)}: partition in the manifest would let kubectl apply reset a canary")
    for hpa in hpas:
        spec = hpa["spec"]
        target = spec.get("scaleTargetRef", {})
        sts = statefulsets.get(target.get("name"))
        if target.get("kind") != "StatefulSet" or target.get("apiVersion") != "apps/v1" or sts is None:
            problems.append(f"{ident(hpa)}: scaleTargetRef {target} is not a rendered StatefulSet")
            continue
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", 0)
        if not 2 <= low <= high:
            problems.append(f"{ident(hpa)}: need 2 <= minReplicas ({low}) <= maxReplicas ({high})")
        if "replicas" in sts["spec"]:
            problems.append(f"{ident(sts)}: spec.replicas is set, so every kubectl apply undoes the autoscaler")
        problems += [problem for pdb in pdbs for problem in pdb_problems(pdb, sts, low)]
    return problems


def pdb_problems(pdb: dict, statefulset: dict, min_replicas: int) -> list[str]:
    """A PDB must cover the pods and still let a drain evict one at the autoscaler's minimum."""
    spec, problems = pdb["spec"], []
    if not selects(spec.get("selector"), pod_labels(statefulset)):
        problems.append(f"{ident(pdb)}: does not select {ident(statefulset)}'s pods")
    if "minAvailable" in spec and not quantity_count(spec["minAvailable"], min_replicas) < min_replicas:
        problems.append(f"{ident(pdb)}: minAvailable must be below minReplicas ({min_replicas}), or drains block")
    if "maxUnavailable" in spec and not 1 <= quantity_count(spec["maxUnavailable"], min_replicas) < min_replicas:
        problems.append(f"{ident(pdb)}: maxUnavailable must be at least 1 and below minReplicas ({min_replicas})")
    return problems


def check_containers(docs: Docs) -> list[str]:
    """Every container, init containers included, has resources and the restricted security context."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        pod_security = pod_spec(sts).get("securityContext", {})
        for container in all_containers(sts):
            where = f"{ident(sts)} container {container.get('name')}"
            resources = container.get("resources", {})
            missing = [f"requests.{r}" for r in ("cpu", "memory") if r not in resources.get("requests", {})]
            missing += ["limits.memory"] if "memory" not in resources.get("limits", {}) else []
            problems += [f"{where}: no {m}" for m in missing]
            problems += [f"{where}: {problem}" for problem in security_problems(container, pod_security)]
            gpu_requested = "nvidia.com/gpu" in resources.get("requests", {})
            if gpu_requested and "nvidia.com/gpu" not in resources.get("limits", {}):
                problems.append(f"{where}: nvidia.com/gpu must be a limit")
    return problems


def security_problems(container: dict, pod_security: dict) -> list[str]:
    """The restricted Pod Security profile, plus a read-only root; container fields override the pod's."""
    security, problems = container.get("securityContext", {}), []
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation must be false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem must be true")
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        problems.append("capabilities must drop ALL")
    if security.get("privileged"):
        problems.append("must not be privileged")
    if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
        problems.append("runAsNonRoot must be true")
    if security.get("seccompProfile", pod_security.get("seccompProfile", {})).get("type") != "RuntimeDefault":
        problems.append("seccompProfile must be RuntimeDefault")
    return problems


def check_volumes(docs: Docs) -> list[str]:
    """Mounts resolve, /dev/shm is a sized memory volume, and /tmp is writable on a read-only root."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        volumes = {v["name"]: v for v in pod_spec(sts).get("volumes", [])}
        claims = {c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates", [])}
        for container in all_containers(sts):
            mounts = mounted(container)
            where = f"{ident(sts)} container {container.get('name')}"
            problems += [f"{where}: mount {path} uses unknown volume {name!r}"
                         for path, name in mounts.items() if name not in volumes and name not in claims]
            if volumes.get(mounts.get("/tmp"), {}).get("emptyDir") is None:
                problems.append(f"{where}: /tmp must be a writable emptyDir")
        empty_dir = volumes.get(mounted(main_container(sts)).get("/dev/shm"), {}).get("emptyDir", {})
        if empty_dir.get("medium") != "Memory" or not empty_dir.get("sizeLimit"):
            problems.append(f"{ident(sts)}: /dev/shm must be an emptyDir with medium Memory and a sizeLimit")
    return problems


def check_lexicon(docs: Docs) -> list[str]:
    """TTS_LEXICON names a file that a mounted ConfigMap of this render holds, and that file loads as a
    lexicon for the shipped voice (a bad line would stop every new pod: caught here, not in a rollout)."""
    problems = []
    symbols = load_voice_config(DEFAULT_VOICE_DIR).inventory.tokens
    config_maps = {c["metadata"]["name"]: c for c in of_kind(docs, "ConfigMap")}
    for sts in of_kind(docs, "StatefulSet"):
        container = main_container(sts)
        path = next((e.get("value") for e in container.get("env", []) if e["name"] == LEXICON_ENV), None)
        if not path:
            problems.append(f"{ident(sts)}: no {LEXICON_ENV}: pods would serve the image's lexicon, not the ConfigMap")
            continue
        directory, _, key = path.rpartition("/")
        volume_name = mounted(container).get(directory)
        volume = {v["name"]: v for v in pod_spec(sts).get("volumes", [])}.get(volume_name, {})
        config_map = config_maps.get(volume.get("configMap", {}).get("name"))
        if config_map is None or key not in config_map.get("data", {}):
            problems.append(f"{ident(sts)}: {LEXICON_ENV}={path} is not a key of a ConfigMap mounted at {directory}")
            continue
        try:
            Lexicon.parse(config_map["data"][key].splitlines(), symbols, f"ConfigMap {config_map['metadata']['name']}")
        except LexiconError as exc:
            problems.append(str(exc))
    return problems


def check_probes(docs: Docs) -> list[str]:
    """Startup allows minutes of model loading; readiness runs serving.probe; liveness runs serving.liveness."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        container = main_container(sts)
        startup = container.get("startupProbe", {})
        if startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) < MIN_STARTUP_S:
            problems.append(f"{ident(sts)}: startupProbe allows less than {MIN_STARTUP_S} s for model loading")
        if startup.get("httpGet", {}).get("path") != "/v2/health/ready":
            problems.append(f"{ident(sts)}: startupProbe must wait on /v2/health/ready")
        readiness = container.get("readinessProbe", {})
        command = readiness.get("exec", {}).get("command", [])
        expected = ["python3", "-m", "serving.probe", "--url", f"localhost:{PORTS['grpc']}", "--timeout"]
        tls_args = TLS_PROBE_ARGS if uses_tls(sts) else []
        if command[: len(expected)] != expected or command[len(expected) + 1 :] != tls_args:
            problems.append(f"{ident(sts)}: readinessProbe must run {' '.join(expected)} N {' '.join(tls_args)}".rstrip())
        elif readiness.get("timeoutSeconds", 1) <= float(command[len(expected)]):
            problems.append(f"{ident(sts)}: readinessProbe timeoutSeconds must exceed serving.probe's --timeout")
        liveness = container.get("livenessProbe", {})
        if liveness.get("exec", {}).get("command", [])[:3] != ["python3", "-m", "serving.liveness"]:
            problems.append(f"{ident(sts)}: livenessProbe must exec python3 -m serving.liveness (no request: a slow "
                            "synthesis must not restart a pod; a dead stage must)")
        elif liveness.get("timeoutSeconds", 1) < 5:
            problems.append(f"{ident(sts)}: livenessProbe timeoutSeconds must leave python3 time to start (>= 5)")
        else:
            http = next((p["containerPort"] for p in container.get("ports", []) if p.get("name") == "http"), None)
            url = next((a for a in liveness["exec"]["command"] if a.startswith("http://")), "")
            if url != f"http://localhost:{http}/v2/health/live":
                problems.append(f"{ident(sts)}: serving.liveness --url must be http://localhost:{http}/v2/health/live")
    return problems


def check_shutdown(docs: Docs) -> list[str]:
    """preStop drains (serving.drain, with the drain file the stages watch, for at least the endpoints' delay),
    then Triton's exit timeout, all inside the grace period: in-flight requests finish."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        container = main_container(sts)
        command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        exit_timeout = int(flag_value(container.get("args", []), "--exit-timeout-secs") or 30)
        grace = pod_spec(sts).get("terminationGracePeriodSeconds", 30)
        env = {e.get("name"): e.get("value") for e in container.get("env", [])}
        if command[:3] != ["python3", "-m", "serving.drain"]:
            problems.append(f"{ident(sts)}: preStop must exec python3 -m serving.drain")
            continue
        least, most = float(flag_value(command, "--min-seconds") or 0), float(flag_value(command, "--timeout") or 20)
        if least < PRE_STOP_ENDPOINT_DELAY_S:
            problems.append(f"{ident(sts)}: preStop must drain for at least {PRE_STOP_ENDPOINT_DELAY_S} s (--min-seconds)")
        if not str(env.get("TTS_DRAIN_FILE", "")).startswith(("/tmp/", "/dev/shm/")):
            problems.append(f"{ident(sts)}: TTS_DRAIN_FILE must be set to a writable path (/tmp is the emptyDir)")
        if grace <= max(least, most) + exit_timeout:
            problems.append(f"{ident(sts)}: terminationGracePeriodSeconds {grace} <= preStop drain {max(least, most):.0f} + "
                            f"--exit-timeout-secs {exit_timeout}")
    return problems


def check_images(docs: Docs) -> list[str]:
    """Every image is pinned by tag or digest, never latest."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        for container in all_containers(sts):
            image = container.get("image", "")
            last = image.rsplit("/", 1)[-1]
            tag = last.rpartition(":")[2] if ":" in last else ""
            if "@sha256:" not in image and tag in ("", "latest"):
                problems.append(f"{ident(sts)} container {container.get('name')}: image {image!r} is not pinned")
    return problems


def check_region(docs: Docs, region: str) -> list[str]:
    """Namespace, region labels, zones and PromQL namespaces are those of the overlay's region."""
    problems = []
    for doc in docs:
        metadata = doc.get("metadata", {})
        if metadata.get("namespace") != NAMESPACE:
            problems.append(f"{ident(doc)}: namespace {metadata.get('namespace')!r}, expected {NAMESPACE!r}")
        if metadata.get("labels", {}).get(REGION_LABEL) != region:
            problems.append(f"{ident(doc)}: label {REGION_LABEL} is not {region!r}")
    for sts in of_kind(docs, "StatefulSet"):
        if pod_labels(sts).get(REGION_LABEL) != region:
            problems.append(f"{ident(sts)}: pod label {REGION_LABEL} is not {region!r}")
        zones = required_zones(sts)
        if len(zones) < 2:
            problems.append(f"{ident(sts)}: needs at least two zones of {region}")
        problems += [f"{ident(sts)}: zone {z} is not in {region}" for z in zones if not z.startswith(f"{region}-")]
    for expr in promql_exprs(docs):
        problems += [f"PromQL namespace {ns!r} is not {NAMESPACE!r}"
                     for ns in re.findall(r'namespace="([^"]*)"', expr) if ns != NAMESPACE]
    return problems


def check_triton_args(docs: Docs) -> list[str]:
    """The container runs tritonserver with serving.triton_args for the image's paths and ports."""
    problems = []
    for sts in of_kind(docs, "StatefulSet"):
        container = main_container(sts)
        if container.get("command") != ["tritonserver"]:
            problems.append(f"{ident(sts)}: command must be ['tritonserver']")
        args = container.get("args", [])
        repository = served_repository(sts)
        if uses_gpu(sts) and repository not in (TENSORRT_REPOSITORY, TORCH_CUDA_REPOSITORY):
            problems.append(f"{ident(sts)}: a GPU pod must serve {TENSORRT_REPOSITORY} or {TORCH_CUDA_REPOSITORY}, not {repository}")
        expected = expected_args(repository if uses_gpu(sts) else "model_repository", TLS if uses_tls(sts) else None)
        if args != expected:
            differ = sorted(set(args) ^ set(expected)) or ["(order)"]
            problems.append(f"{ident(sts)}: args differ from serving.triton_args: {differ}")
        admin_key = next((e for e in container.get("env", []) if e.get("name") == "TRITON_ADMIN_KEY"), {})
        if admin_key.get("valueFrom", {}).get("secretKeyRef", {}).get("name") != ADMIN_SECRET or "value" in admin_key:
            problems.append(f"{ident(sts)}: TRITON_ADMIN_KEY must come from Secret {ADMIN_SECRET} (secretKeyRef)")
    return problems


def uses_tls(sts: dict) -> bool:
    return any(a.startswith("--grpc-use-ssl") for a in main_container(sts).get("args", []))


def check_tls(docs: Docs) -> list[str]:
    """With gRPC TLS on: its files come from a mounted Secret, and a Certificate that writes that Secret (if
    one is rendered) names localhost, which the readiness probe dials."""
    problems = []
    certificates = {c["spec"].get("secretName"): c for c in of_kind(docs, "Certificate")}
    for sts in (s for s in of_kind(docs, "StatefulSet") if uses_tls(s)):
        volume = {v["name"]: v for v in pod_spec(sts).get("volumes", [])}.get(mounted(main_container(sts)).get(TLS_DIR), {})
        secret = volume.get("secret", {}).get("secretName")
        if secret is None:
            problems.append(f"{ident(sts)}: gRPC TLS is on but no Secret is mounted at {TLS_DIR}")
        elif secret in certificates and "localhost" not in certificates[secret]["spec"].get("dnsNames", []):
            problems.append(f"Certificate for {secret}: dnsNames must include localhost (the readiness probe's address)")
    return problems


def uses_gpu(sts: dict) -> bool:
    return "nvidia.com/gpu" in main_container(sts).get("resources", {}).get("limits", {})


def served_repository(sts: dict) -> str:
    """The image's repository folder the pod's tritonserver is pointed at (its first --model-repository)."""
    args = [a for a in main_container(sts).get("args", []) if a.startswith("--model-repository=")]
    return args[0].removeprefix(f"--model-repository={IMAGE_ROOT}/") if args else ""


def check_engine_cache(docs: Docs) -> list[str]:
    """TensorRT pods: the init container builds engines from the image's ONNX directory into the cache volume
    that Triton mounts at the path the GPU repository's model.plan links go through (serving.gpu_repository).
    Other pods build no engines and keep no cache (a volume claim would pin the pod to one zone for nothing)."""
    problems = []
    if ENGINE_DIR != f"{ENGINE_CACHE}/current":
        problems.append(f"serving.gpu_repository.ENGINE_DIR {ENGINE_DIR} is not {ENGINE_CACHE}/current")
    for sts in of_kind(docs, "StatefulSet"):
        builders = [c for c in pod_spec(sts).get("initContainers", []) if c.get("command") == ENGINE_COMMAND]
        if served_repository(sts) != TENSORRT_REPOSITORY:
            if builders or ENGINE_CACHE in mounted(main_container(sts)) or sts["spec"].get("volumeClaimTemplates"):
                problems.append(f"{ident(sts)}: serves {served_repository(sts)}, which has no engines: no engine builder or cache")
            continue
        if len(builders) != 1:
            problems.append(f"{ident(sts)}: needs one init container running {' '.join(ENGINE_COMMAND)}")
        for container in [*builders, main_container(sts)]:
            volume = mounted(container).get(ENGINE_CACHE)
            if volume is None:
                problems.append(f"{ident(sts)} container {container.get('name')}: engine cache not mounted at {ENGINE_CACHE}")
            elif volume not in {c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates", [])}:
                problems.append(f"{ident(sts)}: {ENGINE_CACHE} must be the pod's own volume claim, not {volume!r}")
    return problems


def check_network_policy(docs: Docs) -> list[str]:
    """Open ingress reaches gRPC only; metrics only from the monitoring namespace; nothing else."""
    problems = []
    policies = of_kind(docs, "NetworkPolicy")
    if not policies:
        problems.append("no NetworkPolicy")
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            sources = rule.get("from", [])
            if not ports:
                problems.append(f"{ident(policy)}: a rule without ports opens every port")
            elif not sources and ports != {"grpc"}:
                problems.append(f"{ident(policy)}: ports {sorted(map(str, ports))} are open to everyone")
            elif sources and (sources != [monitoring] or ports != {"metrics"}):
                problems.append(f"{ident(policy)}: only {MONITORING_NAMESPACE} may reach metrics, and only metrics")
    return problems


def check_kustomizations(root: Path = K8S) -> list[str]:
    """No deprecated kustomize fields and no sed-style placeholders in k8s/."""
    problems = []
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text()
        if re.search(r"\$\{\w+\}|__\w+__|<[A-Z_]+>|CHANGE_?ME|REPLACE_?ME", text):
            problems.append(f"{path.relative_to(root)}: contains a placeholder")
        if path.name == "kustomization.yaml":
            fields = set(yaml.safe_load(text) or {}) & DEPRECATED_KUSTOMIZE_FIELDS
            problems += [f"{path.relative_to(root)}: deprecated field {field}" for field in sorted(fields)]
    return problems


def check_runbook(rendered: dict[str, Docs], text: str) -> list[str]:
    """The runbook's kubectl commands name rendered objects, and every alert has its section."""
    problems = []
    names = {(doc["kind"], doc["metadata"]["name"]) for docs in rendered.values() for doc in docs}
    kinds = {"statefulset": "StatefulSet", "sts": "StatefulSet", "service": "Service", "svc": "Service",
             "hpa": "HorizontalPodAutoscaler", "pdb": "PodDisruptionBudget", "networkpolicy": "NetworkPolicy",
             "servicemonitor": "ServiceMonitor", "prometheusrule": "PrometheusRule"}
    commands = [part for line in text.splitlines() for part in re.split(r"\||;|&&", line) if "kubectl " in part]
    if not commands:
        problems.append("no kubectl commands")
    for line in commands:
        for namespace in re.findall(r"(?:-n|--namespace)[ =](\S+)", line):
            if namespace != NAMESPACE:
                problems.append(f"runbook: namespace {namespace!r} in: {line.strip()}")
        for kind, name in re.findall(r"\b(" + "|".join(kinds) + r")[/ ]([a-z][\w.-]*)", line):
            if (kinds[kind], name) not in names:
                problems.append(f"runbook: no rendered {kinds[kind]} {name!r} in: {line.strip()}")
        for overlay in re.findall(r"k8s/overlays/([\w-]+)", line):
            if overlay not in rendered:
                problems.append(f"runbook: no overlay {overlay!r} in: {line.strip()}")
        for pod in re.findall(r"\b(tts-\d+)\b", line):
            if ("StatefulSet", pod.rsplit("-", 1)[0]) not in names:
                problems.append(f"runbook: pod {pod} belongs to no StatefulSet")
    if ADMIN_SECRET not in text:
        problems.append(f"runbook: does not say how to create Secret {ADMIN_SECRET}")
    anchors = markdown_anchors(text)
    for docs in rendered.values():
        for rule in filter(lambda rule: "alert" in rule, alerts(docs)):
            anchor = rule.get("annotations", {}).get("runbook_url", "").partition("#")[2]
            if anchor not in anchors:
                problems.append(f"runbook: no section #{anchor} for alert {rule.get('alert')}")
    return sorted(set(problems))


def check_adapter_rules(docs: Docs, text: str) -> list[str]:
    """Each custom metric an HPA scales on has its Prometheus adapter rule in docs/kubernetes.md."""
    metrics = {metric["pods"]["metric"]["name"] for hpa in of_kind(docs, "HorizontalPodAutoscaler")
               for metric in hpa["spec"].get("metrics", []) if metric.get("type") == "Pods"}
    documented = set(re.findall(r'\bas:\s*"?(\w+)"?', text))
    return [f"HPA metric {metric} has no adapter rule (name.as) in docs/kubernetes.md"
            for metric in sorted(metrics - documented)]


def check_dockerfile(text: str) -> list[str]:
    """The image is the pinned Triton release the project tests with, laid out where the manifests expect."""
    problems = []
    bases = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    if bases != ["nvcr.io/nvidia/tritonserver:24.10-py3"]:
        problems.append(f"Dockerfile: FROM {bases}, expected nvcr.io/nvidia/tritonserver:24.10-py3 (Triton 2.51)")
    if not re.search(rf"^WORKDIR\s+{re.escape(IMAGE_ROOT)}\s*$", text, flags=re.MULTILINE):
        problems.append(f"Dockerfile: WORKDIR must be {IMAGE_ROOT}")
    if "ln -s ../ensembles/tts model_repository/tts" not in text:
        problems.append("Dockerfile: the tts ensemble is not linked into model_repository/")
    if not re.search(r"pip install [^\n]*\./client\b", text):
        problems.append("Dockerfile: must install ./client, which serving.probe (the readiness probe) imports")
    for step in (f"python3 -m training.export --voice voices/default --out {ONNX_DIR.removeprefix(IMAGE_ROOT + '/')}",
                 f"python3 -m serving.gpu_repository --onnx {ONNX_DIR.removeprefix(IMAGE_ROOT + '/')} --out {TENSORRT_REPOSITORY}",
                 f"python3 -m serving.launcher --device cuda --repository-only {TORCH_CUDA_REPOSITORY}"):
        if step not in text:
            problems.append(f"Dockerfile: must run `{step}` (the GPU variants' ONNX files, profiles and repositories)")
    if not re.search(r"^USER\s+[1-9]\d*", text, flags=re.MULTILINE):
        problems.append("Dockerfile: must switch to a numeric non-root USER")
    return problems


DOC_CHECKS: tuple[Callable[[Docs], list[str]], ...] = (
    check_schemas, check_custom_resources, check_exported_metrics, check_selectors, check_service_name,
    check_ports, check_scaling, check_containers, check_volumes, check_lexicon, check_tls, check_probes, check_shutdown, check_images,
    check_triton_args, check_engine_cache, check_network_policy,
)
