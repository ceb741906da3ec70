#!/usr/bin/env python3
"""Checks of the Helm chart helm/clipfed, run by `cargo run -p clipfed -- chart` (and so by the
test command) with helm-python-sdk (Helm v4's SDK: lint, render as `helm template` does, schema
validation) and kubernetes-validate (offline Kubernetes JSON schemas).

    check.py check            every check below; exit 1 on the first kind of failure, listing all
    check.py write            copy the repository files the chart carries into files/ and rewrite
                              the rendered demo in docs/deploy.md
    check.py render VALUES    print the manifests of one values file (deploy/podman.sh plays them)

The checks: the chart's copies of repository files are current; `helm lint --strict` passes for
every example values file; every rendered object validates strictly against Kubernetes 1.30 and
1.34 (the Prometheus Operator kinds, which those schemas do not hold, get a structural check of
their own, counted apart); every file of rejected/ is refused with the message its first line
expects; properties every rendering must have (probes, resources, non-root, pinned images, no
secret in a ConfigMap, the router the only way in, rolling updates that drop nothing); the
rendered demo in docs/deploy.md is current.
"""

from __future__ import annotations

import base64
import copy
import functools
import re
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

HELM = Path(__file__).resolve().parent
ROOT = HELM.parent
CHART = HELM / "clipfed"
EXAMPLES = HELM / "examples"
REJECTED = HELM / "rejected"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
KUBE_VERSIONS = ["1.30.0", "1.34.0"]
RELEASE, NAMESPACE = "clipfed", "clipfed"
SERVICES = ["router", "user", "video", "social", "search", "upload"]
# Seconds a service needs after SIGTERM: the registry withdrawal delay (1 s) and the drain
# (http.shutdown_grace_secs, 10 s).
SHUTDOWN_SECS = 11
BEGIN, END = "<!-- rendered:begin -->", "<!-- rendered:end -->"
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def check(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.add(where, what)


# --- the repository files the chart carries (Helm reads nothing outside the chart folder) -----


def carried() -> dict[Path, bytes]:
    """files/<name> -> the content it must have."""
    out: dict[Path, bytes] = {}
    router = (ROOT / "router" / "router.config.yaml").read_text()
    # The development signing secret stays out of the ConfigMap: a deployment sets the variable
    # (from the keys Secret), and without it the router refuses to start.
    router = re.sub(r'default: "dev-only-[^"]*"', 'default: ""', router)
    out[CHART / "files" / "router.config.yaml"] = router.encode()
    out[CHART / "files" / "alerts" / "clipfed.rules.yml"] = (
        ROOT / "grafana" / "alerts" / "clipfed.rules.yml"
    ).read_bytes()
    for dashboard in sorted((ROOT / "grafana" / "dashboards").glob("*.json")):
        out[CHART / "files" / "dashboards" / dashboard.name] = dashboard.read_bytes()
    return out


def check_carried(f: Failures) -> None:
    want = carried()
    for path, content in want.items():
        f.check(
            path.exists() and path.read_bytes() == content,
            str(path.relative_to(ROOT)),
            "stale copy; run `cargo run -p clipfed -- chart --write`",
        )
    for path in (CHART / "files").rglob("*"):
        f.check(
            path.is_dir() or path in want,
            str(path.relative_to(ROOT)),
            "not a copy of a repository file",
        )


# --- rendering ------------------------------------------------------------------------------


def values_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@functools.cache
def rendered(path: Path) -> tuple[tuple[str, dict], ...]:
    """The rendering of one values file, made once per run (the examples loop, the broken
    renderings and the rendered demo all read the kind demo's). Callers copy before changing it."""
    return tuple(render(values_of(path)))


def render(values: dict) -> list[tuple[str, dict]]:
    """(template path, object) for every object, in template order."""
    chart = helm.Chart.load(str(CHART))
    chart.validate_schema(values)
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects = []
    for template in sorted(manifests):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(manifests[template]):
            if doc:
                objects.append((template, doc))
    return objects


def masked(obj: dict) -> dict:
    """A Secret with its values replaced (generated values differ on every offline render)."""
    if obj.get("kind") != "Secret":
        return obj
    obj = dict(obj)
    obj["data"] = {k: "<generated>" for k in obj.get("data", {})}
    return obj


def as_text(objects: list[tuple[str, dict]]) -> str:
    parts = []
    for template, obj in objects:
        body = yaml.safe_dump(masked(obj), sort_keys=False, width=100)
        parts.append(f"---\n# Source: {template}\n{body}")
    return "".join(parts)


# --- Kubernetes schemas -----------------------------------------------------------------------


def operator_object(obj: dict, services: dict[str, dict]) -> list[str]:
    """The Prometheus Operator kinds, which the Kubernetes schemas do not hold."""
    spec = obj.get("spec", {})
    if obj["apiVersion"] != "monitoring.coreos.com/v1":
        return [f"apiVersion {obj['apiVersion']}"]
    if obj["kind"] == "ServiceMonitor":
        selector = spec.get("selector", {}).get("matchLabels", {})
        matched = [
            n
            for n, s in services.items()
            if selector and all(s["metadata"]["labels"].get(k) == v for k, v in selector.items())
        ]
        endpoints = spec.get("endpoints", [])
        problems = [] if len(matched) == 1 else [f"selects {len(matched)} Services"]
        ports = {p["name"] for p in services[matched[0]]["spec"]["ports"]} if matched else set()
        if not endpoints or any(e.get("port") not in ports for e in endpoints):
            problems.append("an endpoint names no port of its Service")
        return problems
    groups = spec.get("groups", [])
    if not groups or any(not g.get("rules") for g in groups):
        return ["no rule groups"]
    return [
        f"rule {r} lacks alert/expr"
        for g in groups
        for r in g["rules"]
        if not (r.get("alert") and r.get("expr"))
    ]


def validate_kubernetes(name: str, objects: list[tuple[str, dict]], f: Failures) -> tuple[int, int]:
    services = {
        o["metadata"]["name"]: o for _, o in objects if o["kind"] == "Service"
    }
    checked = operator = 0
    for _, obj in objects:
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] in OPERATOR_KINDS:
            for problem in operator_object(obj, services):
                f.add(where, problem)
            operator += 1
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                f.add(where, f"Kubernetes {version}: {path}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError:
                f.add(where, f"Kubernetes {version} has no schema for {obj['apiVersion']}")
        checked += 1
    return checked, operator


# --- properties of every rendering --------------------------------------------------------------


def pod_spec(obj: dict) -> dict | None:
    if obj["kind"] in WORKLOADS:
        return obj["spec"]["template"]["spec"]
    return None


def secret_values(objects: list[tuple[str, dict]]) -> set[str]:
    values = set()
    for _, obj in objects:
        if obj["kind"] == "Secret":
            for v in obj.get("data", {}).values():
                values.add(base64.b64decode(v).decode())
            values.update(obj.get("stringData", {}).values())
    return {v for v in values if len(v) >= 8}


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def check_properties(name: str, values: dict, objects: list[tuple[str, dict]], f: Failures) -> None:
    secrets = secret_values(objects)
    host_network = values.get("hostNetwork", False)
    for _, obj in objects:
        kind, oname = obj["kind"], obj["metadata"]["name"]
        where = f"{name}: {kind}/{oname}"
        spec = pod_spec(obj)
        if spec is not None:
            check_pod(where, kind, spec, host_network, f)
        if kind == "Deployment" and spec["containers"][0]["name"] in SERVICES:
            check_rollout(where, obj, f)
        if kind == "ConfigMap":
            text = yaml.safe_dump(obj.get("data", {}))
            f.check("dev-only-" not in text, where, "holds a development key")
            for value in secrets:
                f.check(value not in text, where, "holds a value of a Secret")
        if kind == "Service" and oname != f"{RELEASE}-router":
            f.check(obj["spec"].get("type", "ClusterIP") == "ClusterIP", where, "not ClusterIP")
        if kind == "Ingress":
            backends = {
                p["backend"]["service"]["name"]
                for rule in obj["spec"]["rules"]
                for p in rule["http"]["paths"]
            }
            f.check(backends == {f"{RELEASE}-router"}, where, f"routes to {backends}")
    names = {o["metadata"]["name"] for _, o in objects if o["kind"] == "Deployment"}
    for service in SERVICES:
        f.check(f"{RELEASE}-{service}" in names, name, f"no Deployment of {service}")


def check_pod(where: str, kind: str, spec: dict, host_network: bool, f: Failures) -> None:
    pod_security = spec.get("securityContext", {})
    f.check(spec.get("automountServiceAccountToken") is False, where, "mounts an API token")
    if spec.get("hostNetwork"):
        f.check(host_network, where, "hostNetwork without values.hostNetwork")
    for c in spec["containers"] + spec.get("initContainers", []):
        cw = f"{where} container {c['name']}"
        security = {**pod_security, **c.get("securityContext", {})}
        f.check(security.get("runAsNonRoot") is True, cw, "may run as root")
        f.check(security.get("runAsUser", 0) != 0, cw, "runs as uid 0")
        f.check(security.get("allowPrivilegeEscalation") is False, cw, "may escalate privileges")
        f.check(
            security.get("capabilities", {}).get("drop") == ["ALL"], cw, "keeps capabilities"
        )
        image = c["image"]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        f.check(bool(tag) and tag != "latest", cw, f"image {image} has no pinned tag")
        resources = c.get("resources", {})
        for part in ("requests", "limits"):
            f.check(
                {"cpu", "memory"} <= set(resources.get(part, {})), cw, f"no cpu/memory {part}"
            )
        if kind != "Job":  # a Job's container runs to completion: nothing to probe
            for probe in ("livenessProbe", "readinessProbe"):
                f.check(probe in c, cw, f"no {probe}")
        for var in c.get("env", []):
            f.check("dev-only-" not in str(var.get("value", "")), cw, f"{var['name']} is a dev key")
        if host_network:
            env = env_of(c)
            listen = env.get("CLIPFED_HTTP__LISTEN", env.get("HOST", {})).get("value", "")
            f.check(listen.startswith("127.0.0.1"), cw, f"binds {listen!r} in the host network")


def check_rollout(where: str, obj: dict, f: Failures) -> None:
    spec = obj["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    rolling = spec["strategy"]["rollingUpdate"]
    f.check(rolling["maxUnavailable"] in (0, "0%"), where, "a rollout may drop below replicas")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    f.check(bool(pre_stop), where, "no preStop delay")
    delay = int(pre_stop[-1]) if pre_stop else 0
    f.check(
        pod["terminationGracePeriodSeconds"] > delay + SHUTDOWN_SECS,
        where,
        f"grace {pod['terminationGracePeriodSeconds']} s does not cover preStop {delay} s "
        f"and the {SHUTDOWN_SECS} s shutdown",
    )
    env = env_of(container)
    f.check(env.get("CLIPFED_AUTH__PRODUCTION", {}).get("value") == "true", where, "not production")


# --- the checks themselves: each mutation of a good rendering must be caught -----------------


def mutations() -> list[tuple[str, callable]]:
    def container(objects, service="video"):
        for _, o in objects:
            if o["kind"] == "Deployment" and o["metadata"]["name"] == f"{RELEASE}-{service}":
                return o["spec"]["template"]["spec"]["containers"][0]
        raise LookupError(service)

    def configmap(objects):
        return next(o for _, o in objects if o["kind"] == "ConfigMap")

    def service(objects, name):
        return next(o for _, o in objects if o["metadata"]["name"] == f"{RELEASE}-{name}" and o["kind"] == "Service")

    def deployment(objects, name):
        return next(o for _, o in objects if o["metadata"]["name"] == f"{RELEASE}-{name}" and o["kind"] == "Deployment")

    return [
        ("a liveness probe removed", lambda o: container(o).pop("livenessProbe")),
        ("limits removed", lambda o: container(o)["resources"].pop("limits")),
        ("root allowed", lambda o: container(o)["securityContext"].update(runAsNonRoot=False)),
        ("uid 0", lambda o: container(o)["securityContext"].update(runAsUser=0)),
        ("an unpinned image", lambda o: container(o).update(image="clipfed/video")),
        ("latest", lambda o: container(o).update(image="clipfed/video:latest")),
        ("a dev key in a ConfigMap", lambda o: configmap(o)["data"].update(k="dev-only-x")),
        ("a NodePort to a subgraph", lambda o: service(o, "user")["spec"].update(type="NodePort")),
        ("maxUnavailable 1", lambda o: deployment(o, "social")["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable=1)),
        ("a short grace", lambda o: deployment(o, "upload")["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=10)),
        ("development mode", lambda o: container(o, "search")["env"].append({"name": "CLIPFED_AUTH__PRODUCTION", "value": "false"})),
        ("an unknown field", lambda o: container(o).update(livenesProbe={})),
    ]


def check_checks(f: Failures) -> int:
    """Every mutation of the kind demo's rendering must fail a property or schema check."""
    values = values_of(EXAMPLES / "kind.yaml")
    good = list(rendered(EXAMPLES / "kind.yaml"))
    for what, mutate in mutations():
        objects = copy.deepcopy(good)
        mutate(objects)
        caught = Failures()
        validate_kubernetes("mutated", objects, caught)
        check_properties("mutated", values, objects, caught)
        f.check(bool(caught.items), "helm/check.py", f"{what} passed every check")
    return len(mutations())


# --- rejected values -----------------------------------------------------------------------------


def check_rejected(f: Failures) -> int:
    count = 0
    for path in sorted(REJECTED.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        expect = first.removeprefix("# expect:").strip()
        where = str(path.relative_to(ROOT))
        f.check(first.startswith("# expect:") and expect, where, "first line is not # expect: ...")
        try:
            render(values_of(path))
            f.add(where, "accepted")
        except helm.HelmError as e:
            f.check(expect in str(e), where, f"refused, but not for {expect!r}: {e}")
        count += 1
    return count


# --- the rendered demo in docs/deploy.md -----------------------------------------------------------


def demo_block() -> str:
    text = as_text(rendered(EXAMPLES / "kind.yaml"))
    return f"{BEGIN}\n```yaml\n{text}```\n{END}"


def check_doc(f: Failures) -> None:
    doc = DEPLOY_DOC.read_text() if DEPLOY_DOC.exists() else ""
    found = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), doc, re.S)
    f.check(
        bool(found) and found.group(0) == demo_block(),
        "docs/deploy.md",
        "the rendered demo is stale; run `cargo run -p clipfed -- chart --write`",
    )


def check_versions(f: Failures) -> None:
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    cargo = (ROOT / "router" / "Cargo.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    f.check(meta["appVersion"] == version, "Chart.yaml", f"appVersion is not {version}")


def check() -> int:
    f = Failures()
    check_carried(f)
    check_versions(f)
    totals = [0, 0]
    examples = sorted(EXAMPLES.glob("*.yaml"))
    for path in examples:
        name = str(path.relative_to(ROOT))
        values = values_of(path)
        for version in KUBE_VERSIONS:
            report = helm.lint(str(CHART), values, strict=True, kube_version=f"v{version}")
            for message in report.get("messages", []):
                if message["severity"] >= 2:
                    f.add(name, f"helm lint (Kubernetes {version}): {message['error']}")
            for error in report.get("errors") or []:
                f.add(name, f"helm lint (Kubernetes {version}): {error}")
        try:
            objects = list(rendered(path))
        except helm.HelmError as e:
            f.add(name, f"does not render: {e}")
            continue
        checked, operator = validate_kubernetes(name, objects, f)
        totals[0] += checked
        totals[1] += operator
        check_properties(name, values, objects, f)
    rejected = check_rejected(f)
    caught = check_checks(f)
    check_doc(f)
    for item in f.items:
        print(f"✘ {item}")
    print(
        f"{'✘' if f.items else '✔'} chart: {len(examples)} values files linted (strict) and "
        f"rendered; {totals[0]} objects valid against Kubernetes {' and '.join(KUBE_VERSIONS)} "
        f"(strict), {totals[1]} Prometheus Operator objects checked structurally; "
        f"{rejected} bad values files refused; {caught} broken renderings caught; "
        f"{len(f.items)} problems"
    )
    return 1 if f.items else 0


def write() -> int:
    for path, content in carried().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    doc = DEPLOY_DOC.read_text()
    start, end = doc.index(BEGIN), doc.index(END) + len(END)
    DEPLOY_DOC.write_text(doc[:start] + demo_block() + doc[end:])
    print("wrote helm/clipfed/files/ and the rendered demo in docs/deploy.md")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["check"]:
        return check()
    if argv[1:] == ["write"]:
        return write()
    if len(argv) == 3 and argv[1] == "render":
        for _, obj in render(values_of(Path(argv[2]))):
            sys.stdout.write("---\n" + yaml.safe_dump(obj, sort_keys=False))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
