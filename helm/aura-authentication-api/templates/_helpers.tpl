{{/*
Chart name, truncated to 63 characters (DNS label limit).
*/}}
{{- define "aura.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: "<release>-<chart>", or the release name when it already
contains the chart name. Truncated to 63 characters.
*/}}
{{- define "aura.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"name-version" for the helm.sh/chart label.
*/}}
{{- define "aura.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "aura.labels" -}}
helm.sh/chart: {{ include "aura.chart" . }}
app.kubernetes.io/name: {{ include "aura.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aura
{{- end }}

{{/*
Selector labels of the API pods. The component label keeps the migration
Job's pods out of the Service, the PDB and the HPA. Never change these: a
Deployment's selector is immutable.
*/}}
{{- define "aura.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aura.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{/*
Labels of the API objects (Deployment, Service, HPA...).
*/}}
{{- define "aura.apiLabels" -}}
{{ include "aura.labels" . }}
app.kubernetes.io/component: api
{{- end }}

{{/*
ServiceAccount of the API pods.
*/}}
{{- define "aura.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aura.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository:tag, or repository@digest when a digest is set.
*/}}
{{- define "aura.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Name of the Secret the pods read their secret variables from.
*/}}
{{- define "aura.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- include "aura.fullname" . }}
{{- end }}
{{- end }}

{{/*
One environment value as a string. YAML numbers arrive as float64, which
would print 10000000 as "1e+07": integral numbers are printed as integers.
*/}}
{{- define "aura.envValue" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
THE list of plain environment variables, as a YAML map NAME: "value".
It is `.Values.config` (one line per variable; empty values left out) plus
the three variables the chart derives from other values. Used by the
ConfigMap and, with `.Values.migration.config` merged over it, by the
migration Job. Call with a dict: (dict "root" $ "overrides" map).
*/}}
{{- define "aura.configEnv" -}}
{{- $root := .root }}
{{- $values := dict }}
{{- range $k, $v := $root.Values.config }}
{{- $_ := set $values $k $v }}
{{- end }}
{{- range $k, $v := .overrides | default dict }}
{{- $_ := set $values $k $v }}
{{- end }}
{{- $env := dict }}
{{- range $k, $v := $values }}
{{- if not (or (kindIs "invalid" $v) (eq (toString $v) "")) }}
{{- $_ := set $env $k (include "aura.envValue" $v) }}
{{- end }}
{{- end }}
{{- /* The OpenID issuer needs the external URL: the ingress host when not given (the service refuses to start without one). */}}
{{- if and (not (hasKey $env "PUBLIC_BASE_URL")) $root.Values.ingress.enabled $root.Values.ingress.hosts }}
{{- $_ := set $env "PUBLIC_BASE_URL" (printf "https://%s" (index $root.Values.ingress.hosts 0).host) }}
{{- end }}
{{- if and $root.Values.ingress.enabled (not (hasKey $env "TRUST_PROXY_HOPS")) }}
{{- $_ := set $env "TRUST_PROXY_HOPS" "1" }}
{{- end }}
{{- $_ := set $env "HOST" "0.0.0.0" }}
{{- $_ := set $env "PORT" (include "aura.envValue" $root.Values.containerPort) }}
{{- if $root.Values.metricsPort }}
{{- $_ := set $env "METRICS_PORT" (include "aura.envValue" $root.Values.metricsPort) }}
{{- end }}
{{- $_ := set $env "SHUTDOWN_TIMEOUT_MS" (include "aura.envValue" (mul $root.Values.shutdown.drainTimeoutSeconds 1000)) }}
{{- range $k := keys $env | sortAlpha }}
{{ $k }}: {{ get $env $k | quote }}
{{- end }}
{{- end }}

{{/*
Secret variables present in the chart-managed Secret (empty values left out).
*/}}
{{- define "aura.secretData" -}}
{{- range $k := keys .Values.secrets | sortAlpha }}
{{- $v := get $.Values.secrets $k }}
{{- if not (or (kindIs "invalid" $v) (eq (toString $v) "")) }}
{{ $k }}: {{ include "aura.envValue" $v | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Container securityContext: fixed, not configurable.
*/}}
{{- define "aura.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
{{- end }}

{{/*
Pod securityContext: runAsNonRoot always, the rest from values (null = unset).
*/}}
{{- define "aura.podSecurityContext" -}}
runAsNonRoot: true
{{- range $k := keys .Values.podSecurityContext | sortAlpha }}
{{- $v := get $.Values.podSecurityContext $k }}
{{- if not (kindIs "invalid" $v) }}
{{ dict $k $v | toYaml }}
{{- end }}
{{- end }}
{{- end }}

{{/*
terminationGracePeriodSeconds, consistent with the preStop delay and the
app's drain timeout.
*/}}
{{- define "aura.terminationGracePeriodSeconds" -}}
{{- with .Values.shutdown }}
{{- add .preStopDelaySeconds .drainTimeoutSeconds .exitMarginSeconds }}
{{- end }}
{{- end }}
