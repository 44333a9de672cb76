#!/usr/bin/env bash
# The two ways to install neuropart, checked against a real kube-apiserver: the Helm chart
# (helm lint; values.schema.json refusing bad values; the optional Namespace with its Pod Security
# labels, ServiceMonitor and PodDisruptionBudget; helm template | kubectl apply --dry-run=server,
# in both RBAC modes) and the plain
# manifests/ (up to date with the chart; kubectl apply --dry-run=server). Then the RBAC is applied
# for real and the operator's ServiceAccount is shown to hold exactly the rights the operator
# needs: everything on its list, nothing beyond it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHART="${REPO_ROOT}/charts/neuropart"
NS="neuropart-system"
SA="system:serviceaccount:${NS}:neuropart"

e2e_tools

check "helm lint charts/neuropart" helm lint --strict "${CHART}"
check "manifests/ is what scripts/kube/render-manifests.sh generates from the chart" \
  "${REPO_ROOT}/scripts/kube/render-manifests.sh" --check

e2e_start_control_plane
check "CRD installs, becomes Established and is served by discovery" install_crd
# Server-side dry-run does not create the namespace it applies into, so create it for real.
check "namespaces for the install exist" \
  bash -c "'${KUBECTL}' create namespace ${NS} && '${KUBECTL}' create namespace jobs"

# dry_run NAME FILE-OR-DASH: kubectl apply --dry-run=server of FILE (or stdin), which must name
# at least one created object and report no error.
dry_run() {
  local name="$1" out
  shift
  if out="$(kubectl apply --dry-run=server "$@" 2>&1)" && contains "${out}" "(server dry run)"; then
    pass "${name}"
  else
    fail "${name}"
    printf '%s\n' "${out}" | sed 's/^/    /' | tail -n 30
  fi
}

render() { helm template neuropart "${CHART}" --namespace "${NS}" "$@"; }

render >"${CP_DIR}/chart.yaml" 2>"${CP_DIR}/chart.err" || fail "helm template: $(cat "${CP_DIR}/chart.err")"
dry_run "helm template | kubectl apply --dry-run=server (all namespaces)" -f "${CP_DIR}/chart.yaml"
render --set watchNamespace=jobs --set replicaCount=2 >"${CP_DIR}/chart-ns.yaml" 2>&1 ||
  fail "helm template with watchNamespace: $(cat "${CP_DIR}/chart-ns.yaml")"
dry_run "helm template --set watchNamespace=jobs | kubectl apply --dry-run=server" \
  -f "${CP_DIR}/chart-ns.yaml"
if contains "$(cat "${CP_DIR}/chart-ns.yaml")" "kind: Role" && ! grep -q "kind: ClusterRole" "${CP_DIR}/chart-ns.yaml"; then
  pass "with watchNamespace the chart grants a Role, no ClusterRole"
else
  fail "with watchNamespace the chart still renders a ClusterRole"
fi
kinds="$(render --skip-tests 2>&1 | grep '^kind:' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
expected=" 1 kind: ClusterRole; 1 kind: ClusterRoleBinding; 1 kind: Deployment; 1 kind: Role; 1 kind: RoleBinding; 1 kind: Service; 1 kind: ServiceAccount;"
if [[ "${kinds}" == "${expected}" ]]; then
  pass "the chart renders exactly the operator's objects besides its test hook (the CRD comes from crds/)"
else
  fail "chart objects: expected '${expected}', got '${kinds}'"
fi
# render_refused NAME SET EXPECTED...: helm template with --set SET must fail, and its message must
# contain every EXPECTED string.
render_refused() {
  local name="$1" set="$2" out
  shift 2
  if out="$(render --set "${set}" 2>&1)"; then
    fail "${name}: was rendered"
  elif contains "${out}" "$@"; then
    pass "refused: ${name}"
  else
    fail "${name}: refused, but the message lacks one of [$*]: ${out}"
  fi
}

SCHEMA_REFUSED="values don't meet the specifications of the schema"
render_refused "values.schema.json: a string for replicaCount" "replicaCount=two" \
  "${SCHEMA_REFUSED}" "replicaCount: Invalid type. Expected: integer, given: string"
render_refused "values.schema.json: an unknown key" "metrics.prot=9090" \
  "${SCHEMA_REFUSED}" "Additional property prot is not allowed"
render_refused "values.schema.json: a pull policy outside its enum" "image.pullPolicy=Sometimes" \
  "${SCHEMA_REFUSED}" "image.pullPolicy must be one of the following"
render_refused "values.schema.json: a Pod Security level outside its enum" \
  "namespace.podSecurityEnforce=strict" "${SCHEMA_REFUSED}" "namespace.podSecurityEnforce"
render_refused "namespace.create without watchNamespace" "namespace.create=true" \
  "namespace.create creates watchNamespace: set watchNamespace"
render_refused "serviceMonitor.enabled without metrics" "serviceMonitor.enabled=true,metrics.enabled=false" \
  "serviceMonitor.enabled needs metrics.enabled"

# The optional objects, each rendered alone (the default render has none of them, as checked above).
optional="${CP_DIR}/chart-optional.yaml"
render --set watchNamespace=psa-jobs,namespace.create=true --show-only templates/namespace.yaml \
  >"${optional}" 2>&1
if contains "$(cat "${optional}")" "kind: Namespace" "name: psa-jobs" \
  "pod-security.kubernetes.io/enforce: restricted" "pod-security.kubernetes.io/enforce-version: latest"; then
  dry_run "namespace.create: watchNamespace with Pod Security enforce restricted, version latest" \
    -f "${optional}"
else
  fail "namespace.create: expected Namespace psa-jobs with the Pod Security labels: $(cat "${optional}")"
fi
level="$(render --set watchNamespace=psa-jobs,namespace.create=true,namespace.podSecurityEnforce=baseline \
  --show-only templates/namespace.yaml 2>&1)"
if contains "${level}" "pod-security.kubernetes.io/enforce: baseline"; then
  pass "namespace.podSecurityEnforce sets the enforced level"
else
  fail "namespace.podSecurityEnforce=baseline: got ${level}"
fi
render --set serviceMonitor.enabled=true,serviceMonitor.interval=30s --show-only templates/servicemonitor.yaml \
  >"${optional}" 2>&1
# Its selector's labels are all on the operator's Service, whose port `metrics` it scrapes.
selector="$(sed -n '/^  selector:/,/^  endpoints:/p' "${optional}" | grep 'app.kubernetes.io/')"
service="$(render --show-only templates/service.yaml 2>&1)"
if contains "$(cat "${optional}")" "apiVersion: monitoring.coreos.com/v1" "kind: ServiceMonitor" \
  "- port: metrics" "path: /metrics" "interval: 30s" "matchNames:" "- ${NS}" &&
  [[ "$(wc -l <<<"${selector}")" -eq 3 ]] && contains "${service}" "name: metrics" &&
  ! grep -vxF -f <(sed 's/^ *//' <<<"${service}") <(sed 's/^ *//' <<<"${selector}") >/dev/null; then
  pass "serviceMonitor.enabled: a ServiceMonitor scraping the operator Service's metrics port"
else
  fail "serviceMonitor.enabled: got $(cat "${optional}")"
fi
render --set podDisruptionBudget.enabled=true,replicaCount=2 --show-only templates/poddisruptionbudget.yaml \
  >"${optional}" 2>&1
if contains "$(cat "${optional}")" "kind: PodDisruptionBudget" "minAvailable: 1" \
  "app.kubernetes.io/instance: neuropart"; then
  dry_run "podDisruptionBudget.enabled: a PodDisruptionBudget with minAvailable 1 (server dry-run)" \
    -f "${optional}"
else
  fail "podDisruptionBudget.enabled: got $(cat "${optional}")"
fi

helm template neuropart "${CHART}" --namespace "${NS}" --show-only templates/tests/test-readyz.yaml \
  >"${CP_DIR}/chart-test.yaml" 2>&1
if contains "$(cat "${CP_DIR}/chart-test.yaml")" '"helm.sh/hook": test' "/readyz"; then
  dry_run "the helm test hook pod is valid (server dry-run)" -f "${CP_DIR}/chart-test.yaml"
else
  fail "the chart has no helm test hook checking /readyz: $(cat "${CP_DIR}/chart-test.yaml")"
fi

dry_run "kubectl apply --dry-run=server -f manifests/" -f "${REPO_ROOT}/manifests/"
dry_run "kubectl apply --dry-run=server -f manifests/samples/" -f "${REPO_ROOT}/manifests/samples/"

# --- Least-privilege RBAC, applied for real ------------------------------------------------------
check "kubectl apply -f manifests/ installs the operator" kubectl apply -f "${REPO_ROOT}/manifests/"

# can NAMESPACE VERB RESOURCE [SUBRESOURCE]: whether the operator's ServiceAccount may do it.
can() {
  local ns="$1" verb="$2" resource="$3" sub="${4:-}" args=()
  [[ -n "${sub}" ]] && args=(--subresource "${sub}")
  [[ "$(kubectl auth can-i --as "${SA}" -n "${ns}" "${verb}" "${resource}" "${args[@]}" 2>/dev/null)" == yes ]]
}

# What operator/kube/ calls (see charts/neuropart/templates/_helpers.tpl): informers list and
# watch, the executor creates, deletes, merge-patches, writes status and records core/v1 Events.
granted=(
  "jobs list neuralpartitions.neuropart.io" "jobs watch neuralpartitions.neuropart.io"
  "jobs update neuralpartitions.neuropart.io status"
  "jobs update neuralpartitions.neuropart.io finalizers"
  "jobs list pods" "jobs watch pods" "jobs create pods" "jobs delete pods"
  "jobs list services" "jobs watch services" "jobs create services" "jobs patch services"
  "jobs delete services"
  "jobs list configmaps" "jobs watch configmaps" "jobs create configmaps" "jobs patch configmaps"
  "jobs list networkpolicies.networking.k8s.io" "jobs watch networkpolicies.networking.k8s.io"
  "jobs create networkpolicies.networking.k8s.io" "jobs patch networkpolicies.networking.k8s.io"
  "jobs delete networkpolicies.networking.k8s.io"
  "jobs create events"
  "jobs list secrets" "jobs watch secrets" "jobs create secrets" "jobs delete secrets"
  "${NS} create leases.coordination.k8s.io"
)
denied=(
  "jobs get secrets" "jobs update secrets" "jobs patch secrets"
  "jobs create neuralpartitions.neuropart.io"
  "jobs delete neuralpartitions.neuropart.io" "jobs update neuralpartitions.neuropart.io"
  "jobs patch neuralpartitions.neuropart.io" "jobs patch neuralpartitions.neuropart.io status"
  "jobs update pods" "jobs patch pods" "jobs create pods exec"
  "jobs update services" "jobs update configmaps" "jobs delete configmaps"
  "jobs update networkpolicies.networking.k8s.io"
  "jobs get persistentvolumeclaims" "jobs create deployments.apps" "jobs create jobs.batch"
  "jobs create serviceaccounts" "jobs create roles.rbac.authorization.k8s.io"
  "jobs create leases.coordination.k8s.io" "jobs get nodes" "jobs delete events"
  "jobs patch events" "jobs create events.events.k8s.io"
  "${NS} get secrets" "${NS} delete leases.coordination.k8s.io"
)
missing=() extra=()
for rule in "${granted[@]}"; do
  # shellcheck disable=SC2086  # each rule is a space-separated argument list
  can ${rule} || missing+=("${rule}")
done
for rule in "${denied[@]}"; do
  # shellcheck disable=SC2086
  can ${rule} && extra+=("${rule}")
done
if ((${#missing[@]} == 0)); then
  pass "the operator's ServiceAccount holds every right it needs (${#granted[@]} checked)"
else
  fail "the operator's ServiceAccount lacks: ${missing[*]}"
fi
if ((${#extra[@]} == 0)); then
  pass "the operator's ServiceAccount holds none of ${#denied[@]} rights it must not have"
else
  fail "the operator's ServiceAccount may also: ${extra[*]}"
fi
# lease_can VERB NAME: whether the operator's ServiceAccount may VERB the Lease NAME in NS.
lease_can() { kubectl auth can-i --as "${SA}" -n "${NS}" "$1" "leases.coordination.k8s.io/$2" 2>/dev/null; }
lease="$(lease_can get neuropart) $(lease_can update neuropart)"
other="$(lease_can update someone-else) $(lease_can patch neuropart)"
if [[ "${lease}" == "yes yes" && "${other}" == "no no" ]]; then
  pass "leader election may get and update its own Lease only, and patch none"
else
  fail "Lease rights: get, update own lease '${lease}' (want yes yes);" \
    "update another, patch own '${other}' (want no no)"
fi

e2e_finish
