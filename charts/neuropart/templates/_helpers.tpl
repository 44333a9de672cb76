{{/*
Expand the name of the chart.
*/}}
{{- define "neuropart.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name, truncated to 63 characters (DNS label limit).
If the release name contains the chart name it is used as the full name.
*/}}
{{- define "neuropart.fullname" -}}
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
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "neuropart.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "neuropart.labels" -}}
helm.sh/chart: {{ include "neuropart.chart" . }}
{{ include "neuropart.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: neuropart
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "neuropart.selectorLabels" -}}
app.kubernetes.io/name: {{ include "neuropart.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The operator's ServiceAccount name.
*/}}
{{- define "neuropart.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "neuropart.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Lease used for leader election.
*/}}
{{- define "neuropart.leaseName" -}}
{{- default (include "neuropart.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
The rules of the operator's role over the objects it watches and owns. Least privilege: its CRD
(with status and finalizers), and the pods, services, configmaps, networkpolicies it creates per
job, and events. Nothing else (no secrets, no PVCs: workers mount a claim by name).
*/}}
{{- define "neuropart.workloadRules" -}}
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
