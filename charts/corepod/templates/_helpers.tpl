{{/* Names, labels and images shared by the templates. Nothing here reads the cluster. */}}

{{- define "corepod.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "corepod.fullname" -}}
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

{{/* The operator's Deployment, ServiceAccount, RBAC and Lease: "<fullname>-operator". */}}
{{- define "corepod.operatorName" -}}
{{- printf "%s-operator" (include "corepod.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "corepod.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "corepod.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "corepod.selectorLabels" -}}
app.kubernetes.io/name: {{ include "corepod.name" . }}-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The release's labels, without a name: the CRD keeps the name and part-of of crds/corepod.yaml. */}}
{{- define "corepod.releaseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "corepod.labels" -}}
app.kubernetes.io/name: {{ include "corepod.name" . }}-operator
app.kubernetes.io/part-of: corepod
{{ include "corepod.releaseLabels" . }}
{{- end }}

{{/* repository[:tag][@digest] of an image block; the tag defaults to the chart's appVersion. */}}
{{- define "corepod.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag }}
{{- $ref := printf "%s:%s" .image.repository $tag }}
{{- if .image.digest }}{{ $ref = printf "%s@%s" $ref .image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/* Fails the render on value combinations the schema cannot express. */}}
{{- define "corepod.validate" -}}
{{- if and .Values.monitoring.serviceMonitor.enabled .Values.monitoring.podMonitor.enabled }}
{{- fail "monitoring.serviceMonitor.enabled and monitoring.podMonitor.enabled are both true: enable one of them (each scrapes the same operator pods)" }}
{{- end }}
{{- if and .Values.monitoring.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "monitoring.serviceMonitor.enabled needs metrics.service.enabled (a ServiceMonitor scrapes the metrics Service)" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below replicaCount (%d), or no operator pod could ever be evicted" (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- if not (lt (int .Values.leaderElection.retryPeriodSeconds) (int .Values.leaderElection.renewDeadlineSeconds)) }}
{{- fail "leaderElection.retryPeriodSeconds must be below leaderElection.renewDeadlineSeconds" }}
{{- end }}
{{- if not (lt (int .Values.leaderElection.renewDeadlineSeconds) (int .Values.leaderElection.leaseDurationSeconds)) }}
{{- fail "leaderElection.renewDeadlineSeconds must be below leaderElection.leaseDurationSeconds" }}
{{- end }}
{{- end }}
