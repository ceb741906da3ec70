{{/*
Names, labels and the environment of every clipfed process. Each service reads its configuration
from CLIPFED_<SECTION>__<KEY> variables (kit::config); the router from the variables its
router.config.yaml names (from_env).
*/}}

{{- define "clipfed.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "clipfed.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: clipfed
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "clipfed.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Base URL of service .name from inside the release: its Service, or the host's loopback when
every pod shares the host's network (hostNetwork on one machine). */}}
{{- define "clipfed.url" -}}
{{- $port := (index .root.Values.services .name).port -}}
{{- if .root.Values.hostNetwork -}}
{{- printf "http://127.0.0.1:%v" $port -}}
{{- else -}}
{{- printf "http://%s:%v" (include "clipfed.name" .) $port -}}
{{- end -}}
{{- end -}}

{{- define "clipfed.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag: pin a version, not latest" -}}{{- end -}}
{{- $repo := printf "clipfed/%s" .name -}}
{{- with .root.Values.image.registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" .) $repo -}}{{- end -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* Dependency addresses: the bundled ones inside the release, else the external ones. */}}
{{- define "clipfed.dep" -}}
{{- $v := .root.Values -}}
{{- $internal := dict "redis" "redis://%s-redis:6379" "kafka" "%s-kafka:9092" "s3" "http://%s-minio:9000" "milvus" "http://%s-milvus:19530" "etcd" "http://%s-etcd:2379" "otlp" "http://%s-jaeger:4318" -}}
{{- $external := dict "redis" $v.external.redisUrl "kafka" $v.external.kafkaBrokers "s3" $v.external.s3.endpoint "milvus" $v.external.milvusUri "etcd" $v.external.etcdEndpoints "otlp" $v.external.otlpEndpoint -}}
{{- $key := dict "redis" "redisUrl" "kafka" "kafkaBrokers" "s3" "s3.endpoint" "milvus" "milvusUri" -}}
{{- if $v.bundled.enabled -}}
{{- printf (index $internal .what) .root.Release.Name -}}
{{- else if hasKey $key .what -}}
{{- required (printf "external.%s is required (or bundled.enabled)" (index $key .what)) (index $external .what) -}}
{{- else -}}
{{- index $external .what -}}
{{- end -}}
{{- end -}}

{{- define "clipfed.keysSecret" -}}
{{- required "keys.existingSecret is required: `cargo run -p clipfed -- keys secret --name NAME | kubectl apply -f -` makes one (docs/deploy.md)" .Values.keys.existingSecret -}}
{{- end -}}

{{- define "clipfed.credentialsSecret" -}}
{{- if .Values.credentials.existingSecret -}}
{{- .Values.credentials.existingSecret -}}
{{- else if .Values.bundled.enabled -}}
{{- printf "%s-credentials" .Release.Name -}}
{{- else -}}
{{- fail "credentials.existingSecret is required without bundled.enabled (keys mysql-url, s3-access-key, s3-secret-key)" -}}
{{- end -}}
{{- end -}}

{{- define "clipfed.fromSecret" -}}
- name: {{ .var }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* The environment of service .name: its address, dependencies, keys and registry. */}}
{{- define "clipfed.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $name := .name -}}
{{- $svc := index $v.services $name -}}
{{- $keys := include "clipfed.keysSecret" $root -}}
{{- $creds := include "clipfed.credentialsSecret" $root -}}
{{- $ctx := dict "root" $root -}}
{{- $etcd := include "clipfed.dep" (merge (dict "what" "etcd") $ctx) -}}
{{- $otlp := include "clipfed.dep" (merge (dict "what" "otlp") $ctx) -}}
{{- $host := ternary "127.0.0.1" "0.0.0.0" (and $v.hostNetwork (not (empty $v.advertiseHost))) -}}
{{- if eq $name "router" }}
- { name: HOST, value: {{ $host | quote }} }
- { name: PORT, value: {{ $svc.port | quote }} }
- { name: ROUTER_CONFIG_FILE_PATH, value: /etc/clipfed/router.config.yaml }
- { name: SUPERGRAPH_FILE_PATH, value: /usr/share/clipfed/supergraph.graphql }
- { name: CLIPFED_AUTH__PRODUCTION, value: {{ $v.production | quote }} }
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__JWT_PUBLIC_KEY" "secret" $keys "key" "token-public-key") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_ROUTER_SIGNING_KEY" "secret" $keys "key" "router-signing-key") }}
{{- range $sub := list "user" "video" "social" "search" }}
- { name: CLIPFED_ROUTER_{{ upper $sub }}_GRAPHQL, value: {{ printf "%s/graphql" (include "clipfed.url" (dict "root" $root "name" $sub)) | quote }} }
{{- end }}
{{- range $sub := list "upload" "search" "social" }}
- { name: CLIPFED_ROUTER_{{ upper $sub }}_URL, value: {{ include "clipfed.url" (dict "root" $root "name" $sub) | quote }} }
{{- end }}
- { name: CLIPFED_ROUTER_REGISTRY_ENDPOINTS, value: {{ $etcd | quote }} }
- { name: CLIPFED_ROUTER_REGISTRY_PREFIX, value: {{ $v.registry.prefix | quote }} }
{{- if $otlp }}
- { name: CLIPFED_ROUTER_OTLP_ENDPOINT, value: {{ printf "%s/v1/traces" (trimSuffix "/" $otlp) | quote }} }
{{- else }}
- { name: TELEMETRY_TRACING_SAMPLING_RATE, value: "0" }
{{- end }}
{{- else }}
- { name: CLIPFED_HTTP__LISTEN, value: {{ printf "%s:%v" $host $svc.port | quote }} }
- { name: CLIPFED_AUTH__PRODUCTION, value: {{ $v.production | quote }} }
- { name: CLIPFED_TELEMETRY__LOG_FORMAT, value: json }
- { name: CLIPFED_TELEMETRY__OTLP_ENDPOINT, value: {{ $otlp | quote }} }
- { name: CLIPFED_HTTP__REGISTRY__ENDPOINTS, value: {{ $etcd | quote }} }
- { name: CLIPFED_HTTP__REGISTRY__PREFIX, value: {{ $v.registry.prefix | quote }} }
{{- if $v.advertiseHost }}
- { name: CLIPFED_HTTP__REGISTRY__ADVERTISE_HOST, value: {{ $v.advertiseHost | quote }} }
{{- else }}
- name: CLIPFED_HTTP__REGISTRY__ADVERTISE_HOST
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- end }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_DB__URL" "secret" $creds "key" "mysql-url") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__CALLERS__ROUTER" "secret" $keys "key" "router-public-key") }}
{{- if has $name (list "user" "video") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__CALLERS__UPLOAD" "secret" $keys "key" "upload-public-key") }}
{{- end }}
{{- if has $name (list "user" "video" "social") }}
- { name: CLIPFED_REDIS__URL, value: {{ include "clipfed.dep" (merge (dict "what" "redis") $ctx) | quote }} }
{{- end }}
{{- if has $name (list "user" "video" "social" "search") }}
- { name: CLIPFED_KAFKA__BROKERS, value: {{ include "clipfed.dep" (merge (dict "what" "kafka") $ctx) | quote }} }
{{- end }}
{{- if has $name (list "user" "video" "search" "upload") }}
- { name: CLIPFED_S3__ENDPOINT, value: {{ include "clipfed.dep" (merge (dict "what" "s3") $ctx) | quote }} }
- { name: CLIPFED_S3__REGION, value: {{ $v.external.s3.region | quote }} }
- { name: CLIPFED_S3__BUCKET, value: {{ $v.external.s3.bucket | quote }} }
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_S3__ACCESS_KEY" "secret" $creds "key" "s3-access-key") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_S3__SECRET_KEY" "secret" $creds "key" "s3-secret-key") }}
{{- end }}
{{- if eq $name "user" }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__JWT_KEY" "secret" $keys "key" "token-signing-key") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__MFA_KEY" "secret" $keys "key" "mfa-key") }}
{{- end }}
{{- if has $name (list "search" "upload") }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__JWT_PUBLIC_KEY" "secret" $keys "key" "token-public-key") }}
{{- end }}
{{- if eq $name "search" }}
- { name: CLIPFED_MILVUS__URI, value: {{ include "clipfed.dep" (merge (dict "what" "milvus") $ctx) | quote }} }
{{- end }}
{{- if eq $name "upload" }}
{{ include "clipfed.fromSecret" (dict "var" "CLIPFED_AUTH__SIGNING_KEY" "secret" $keys "key" "upload-signing-key") }}
- { name: CLIPFED_REGISTER__VIDEO_URL, value: {{ printf "%s/graphql" (include "clipfed.url" (dict "root" $root "name" "video")) | quote }} }
- { name: CLIPFED_REGISTER__USER_URL, value: {{ printf "%s/graphql" (include "clipfed.url" (dict "root" $root "name" "user")) | quote }} }
{{- end }}
{{- end }}
{{- range $k, $val := $svc.env }}
- { name: {{ $k }}, value: {{ $val | toString | quote }} }
{{- end }}
{{- end -}}
