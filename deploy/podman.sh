#!/usr/bin/env bash
# deploy/podman.sh: the container images and the Helm chart, run for real on a machine without a
# cluster, a Docker engine or an image registry (docs/deploy.md, "Without a cluster").
#
#  1. installs podman, runc and debootstrap (apt) when missing; podman runs with runc, cgroupfs
#     and ulimits within the machine's hard limits (.clipfed/images/containers.conf);
#  2. makes the base image localhost/debian:bookworm-minbase with debootstrap, once;
#  3. builds the six release binaries on the host (cargo build --release) and fetches the search
#     model (deploy/fetch_model.py);
#  4. builds clipfed/<service>:<version> from the repository's Dockerfile (BINARIES=prebuilt);
#  5. renders the chart with helm/examples/podman.yaml (hostNetwork, the local stack's servers
#     standing in for the bundled ones, ports 18100-18105, data of its own) and plays the
#     Deployments, ConfigMap and Secrets with `podman kube play` (fresh keys from `clipfed keys
#     secret`, production mode on);
#  6. checks that every container answers its liveness and readiness paths, and that REST requests
#     through the router work (register, login, the feed); then takes it all down (KEEP=1 leaves
#     it running).
#
# Needs the local stack's servers (`cargo run -p clipfed -- up`). Idempotent: what exists is
# reused. Usage: deploy/podman.sh [--skip-build]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/.clipfed/images
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' router/Cargo.toml | head -n1)
SERVICES=(router user video social search upload)
BASE=localhost/debian:bookworm-minbase
VALUES=helm/examples/podman.yaml
PLAY=$STATE/play.yaml
HELM_PY=$ROOT/.clipfed/venvs/helm/bin/python
export CONTAINERS_CONF=$STATE/containers.conf
SKIP_BUILD=0
[[ ${1:-} == --skip-build ]] && SKIP_BUILD=1

step() { printf '==> %s\n' "$*" >&2; }
fail() { printf '✘ %s\n' "$*" >&2; exit 1; }
mkdir -p "$STATE"

step "tools: podman, runc, debootstrap"
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$STATE/apt.log" 2>&1 \
    || fail "apt-get install ${missing[*]} failed; see $STATE/apt.log"
fi
cat >"$CONTAINERS_CONF" <<'EOF'
# Written by deploy/podman.sh: runc (crun fails on this machine's hybrid cgroups), cgroupfs, and
# ulimits at or below the hard limits.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

if ! podman image exists "$BASE"; then
  step "base image $BASE (debootstrap --variant=minbase bookworm, once)"
  rootfs=$STATE/rootfs
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1 \
    || fail "debootstrap failed; see $STATE/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
  tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE" >/dev/null
  rm -rf "$rootfs"
fi

if ((!SKIP_BUILD)); then
  step "release binaries (cargo build --release)"
  args=()
  for s in "${SERVICES[@]}"; do args+=(-p "clipfed-$s" --bin "clipfed-$s"); done
  cargo build --release "${args[@]}"
fi
for s in "${SERVICES[@]}"; do
  [[ -x target/release/clipfed-$s ]] || fail "target/release/clipfed-$s is missing (run without --skip-build)"
done
[[ -s $STATE/open-nsfw.onnx ]] || python3 deploy/fetch_model.py "$STATE/open-nsfw.onnx"

for s in "${SERVICES[@]}"; do
  step "image clipfed/$s:$VERSION"
  podman build --quiet --network host --target "$s" \
    --build-arg BINARIES=prebuilt --build-arg RUNTIME_IMAGE="$BASE" \
    -t "clipfed/$s:$VERSION" . >/dev/null
done
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '/clipfed/' | sort >&2

step "the local stack's servers"
for port in 3306 6379 9092 19530 2379 4318; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
    || fail "nothing listens on 127.0.0.1:$port; start the stack first: cargo run -p clipfed -- up"
done

step "render $VALUES (helm-python-sdk) and play it (podman kube play)"
# Rendering installs the chart tools' venv (helm-python-sdk, PyYAML), whose Python runs the
# snippets below.
cargo run -q -p clipfed -- chart --render "$VALUES" >"$STATE/rendered.yaml"
# Production mode refuses the local stack's S3 key, so this run gets an S3 server of its own with
# fresh credentials: another s3s-fs (the one `clipfed up` built) on 127.0.0.1:19000.
S3_KEY="k8s$("$HELM_PY" -c 'import secrets; print(secrets.token_hex(8))')"
S3_SECRET=$("$HELM_PY" -c 'import secrets; print(secrets.token_urlsafe(30))')
S3_BIN=${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs
[[ -x $S3_BIN ]] || fail "$S3_BIN is missing; cargo run -p clipfed -- up installs it"
mkdir -p "$STATE/s3/clipfed"
SECRETS=$STATE/secrets.yaml
{
  cargo run -q -p clipfed -- keys secret --name clipfed-keys
  cat <<'EOF'
---
# The local MySQL account of `clipfed up`, and the keys of this run's own S3 server.
apiVersion: v1
kind: Secret
metadata:
  name: clipfed-credentials
type: Opaque
stringData:
  mysql-url: mysql://clipfed:clipfed@127.0.0.1:3306
EOF
  printf '  s3-access-key: %s\n  s3-secret-key: %s\n' "$S3_KEY" "$S3_SECRET"
} >"$SECRETS"
chmod 600 "$SECRETS"
# podman kube play runs Deployments and ConfigMaps (a Service, a PDB or an HPA has no meaning on
# one host). Its own Secret objects cannot feed secretKeyRef in podman 4.3 (podman issue 16269), so
# each Secret becomes a podman secret in the form secretKeyRef reads: a JSON object of base64 values.
# Declared container ports are dropped too (podman refuses port mappings in the host's network,
# where Kubernetes reads them as host ports; every process binds its own port anyway), so probes
# name their port by number.
"$HELM_PY" -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] in ("Deployment", "ConfigMap")]
for d in docs:
    for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        named = {p["name"]: p["containerPort"] for p in c.pop("ports", [])}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = c.get(probe, {}).get("httpGet")
            if get and get.get("port") in named:
                get["port"] = named[get["port"]]
sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True))' <"$STATE/rendered.yaml" >"$PLAY"

down() {
  podman kube down "$PLAY" >/dev/null 2>&1 || true
  podman secret rm clipfed-keys clipfed-credentials >/dev/null 2>&1 || true
  [[ -f $STATE/s3.pid ]] && kill "$(cat "$STATE/s3.pid")" 2>/dev/null || true
  rm -f "$STATE/s3.pid"
}
down
"$S3_BIN" --host 127.0.0.1 --port 19000 --access-key "$S3_KEY" --secret-key "$S3_SECRET" "$STATE/s3" >"$STATE/s3.log" 2>&1 &
echo $! >"$STATE/s3.pid"
if [[ ${KEEP:-0} != 1 ]]; then trap down EXIT; fi
"$HELM_PY" - "$SECRETS" <<'EOF'
import base64, json, subprocess, sys, yaml
for secret in yaml.safe_load_all(open(sys.argv[1])):
    data = {k: base64.b64encode(v.encode()).decode() for k, v in secret["stringData"].items()}
    subprocess.run(["podman", "secret", "create", secret["metadata"]["name"], "-"],
                   input=json.dumps(data).encode(), check=True, stdout=subprocess.DEVNULL)
EOF
podman kube play "$PLAY" >"$STATE/play.log" 2>&1 || { cat "$STATE/play.log" >&2; fail "podman kube play failed"; }

port_of() { "$HELM_PY" -c "import yaml,sys; print(yaml.safe_load(open('$VALUES'))['services']['$1']['port'])"; }
wait_for() { # name port path
  local deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null "http://127.0.0.1:$2$3"; do
    if ((SECONDS > deadline)); then
      podman logs --tail 30 "clipfed-$1-pod-0-$1" >&2 || true
      fail "$1 did not answer $3 on 127.0.0.1:$2 within 120 s"
    fi
    sleep 1
  done
  printf '✔ %-7s 127.0.0.1:%s%s\n' "$1" "$2" "$3" >&2
}
for s in user video social search upload; do
  port=$(port_of "$s")
  wait_for "$s" "$port" /healthz
  wait_for "$s" "$port" /readyz
done
router=$(port_of router)
wait_for router "$router" /health
wait_for router "$router" /readiness

step "REST through the router (production keys, every subgraph found in etcd)"
user="k8s$(date +%s)$RANDOM"
envelope() { # method path [curl args...]: prints the response, fails unless base.code is 10000
  local method=$1 path=$2
  shift 2
  local body
  body=$(curl -fsS -X "$method" "http://127.0.0.1:$router$path" "$@") || fail "$method $path: HTTP error"
  "$HELM_PY" -c 'import json,sys; b=json.loads(sys.argv[1]); sys.exit(0 if b["base"]["code"]==10000 else 1)' "$body" \
    || fail "$method $path answered $body"
  printf '✔ %s %s: %s\n' "$method" "$path" "${body:0:160}" >&2
  LAST_BODY=$body
}
pass="k8s-pass-$RANDOM$RANDOM"
envelope POST /user/register -F "username=$user" -F "password=$pass"
envelope POST /user/login -F "username=$user" -F "password=$pass" -D "$STATE/login.headers"
token=$(sed -n 's/^[Aa]ccess-[Tt]oken: *//p' "$STATE/login.headers" | tr -d '\r')
[[ -n $token ]] || fail "login answered no Access-Token header"
envelope POST /video/publish -H "Access-Token: $token" -F title=k8s-clip -F description=podman \
  -F data=@apifox/fixtures/clip.mp4
id=$(curl -fsS -H "Access-Token: $token" "http://127.0.0.1:$router/user/info" | "$HELM_PY" -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
envelope GET "/video/list?user_id=$id&page_num=0&page_size=10"
"$HELM_PY" -c 'import json,sys; d=json.loads(sys.argv[1])["data"]; sys.exit(0 if d["total"] == 1 and d["items"][0]["title"] == "k8s-clip" else 1)' "$LAST_BODY" \
  || fail "the published video is not listed: $LAST_BODY"
envelope GET "/video/feed"
step "done: images clipfed/{${SERVICES[*]}}:$VERSION built, played and answering (KEEP=1 leaves them running)"
