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
The rules of the operator's role over the objects it watches and owns: exactly the calls in
operator/kube/ (informer.cc lists and watches, executor.cc applies reconcile's actions), each rule
saying what uses it. No `get` (the informers' caches answer reads; only Leases are read one by one)
and no `update` but on status. Nothing else: no secrets, no PVCs (workers mount a claim by name).
*/}}
{{- define "neuropart.workloadRules" -}}
# informer.cc watches NeuralPartitions; the operator never writes the resource itself.
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions"]
  verbs: ["list", "watch"]
# executor.cc: ReplaceStatus (PUT .../status) writes status.
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions/status"]
  verbs: ["update"]
# Never called: where OwnerReferencesPermissionEnforcement is on, the API server requires it to
# create objects whose ownerReferences set blockOwnerDeletion (worker_objects.cc).
- apiGroups: ["neuropart.io"]
  resources: ["neuralpartitions/finalizers"]
  verbs: ["update"]
# informer.cc watches pods; executor.cc creates workers, deletes those of an old attempt or plan.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch", "create", "delete"]
# informer.cc watches Services; executor.cc creates them, merge-patches drift back and deletes the
# serve Service outside serve mode.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# informer.cc watches ConfigMaps; executor.cc creates the plan's and merge-patches drift back (the
# garbage collector deletes it with its NeuralPartition).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["list", "watch", "create", "patch"]
# informer.cc watches the keys Secrets (label selector: its own) to read each job's /status
# token; executor.cc creates one per job and deletes it when the partition count changes. It
# never GETs, updates or patches a Secret.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list", "watch", "create", "delete"]
# As Services: the workers' NetworkPolicy and the serve one.
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# executor.cc records core/v1 Events (POST /api/v1/namespaces/<ns>/events); it never patches one.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
