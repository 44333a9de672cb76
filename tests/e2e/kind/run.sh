#!/usr/bin/env bash
# The real-cluster tier: neuropart's images on a kind cluster (podman provider) whose node image is
# built on this machine, with a real kubelet, scheduler, controller-manager, CoreDNS, kube-proxy
# and Pod Security admission. Everything is built here, without a registry, and cached under
# ${NEUROPART_CACHE:-~/.cache/neuropart} (see scripts/kind/build-node-image.sh).
#
# What it checks, in a namespace labelled pod-security.kubernetes.io/enforce=restricted:
#   1. helm install of charts/neuropart (two operator replicas) and `helm test`;
#   2. every sample in manifests/samples trains to Succeeded with loss and accuracy in status;
#   3. `kubectl delete pod` of a worker mid-run restarts the gang from the checkpoint and the export
#      is bit-identical to an uninterrupted run of the same job;
#   4. a spec change (3 -> 2 partitions) re-plans and continues from the checkpoint; deleting the
#      leading operator pod mid-job hands over to the other replica through the Lease;
#   5. a serve-mode job answers `neuropart infer --connect` through its Service, with the outputs
#      `neuropart infer --reference` computes from the same store, to a pod labelled
#      neuropart.io/client=<job>; an unlabelled pod is refused (kube-router enforces the
#      NetworkPolicy);
#   6. a store that uid 65532 cannot write fails the job at once (WorkerConfigError) naming the
#      path and the uid;
#   7. an evicted worker (Eviction API) restarts the gang without spending backoffLimit (0), and
#      an image that cannot be pulled fails the job past spec.pendingDeadlineSeconds with the
#      kubelet's reason (ImagePullBackOff or ErrImagePull).
# A job that turns Failed unexpectedly stops the script at once with describe, events and logs.
#
# Usage: tests/e2e/kind/run.sh [--keep]   (--keep: leave the cluster up for debugging)
# Exit 0 when every check passed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "${here}/../lib.sh"
source "${here}/kind_lib.sh"

keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

kind_setup || fatal "the kind cluster could not be set up (see above)"

# --- 1. the operator, installed from the chart -----------------------------------------------
e2e_log "Installing the chart"
check "helm install (two operator replicas) becomes ready" \
  helm upgrade --install neuropart "${REPO_ROOT}/charts/neuropart" --namespace neuropart-system \
  --create-namespace --wait --timeout 180s --set replicaCount=2 \
  --set image.repository="${OPERATOR_IMAGE%:*}" --set image.tag="${OPERATOR_IMAGE##*:}" \
  --set workerImage.repository="${WORKER_IMAGE%:*}" --set workerImage.tag="${WORKER_IMAGE##*:}" \
  --set tests.image="${WGET_IMAGE}"
check "helm test: the operator answers /readyz through its Service" \
  helm test neuropart --namespace neuropart-system --timeout 120s

ns=np-e2e
kind_namespace "${ns}"
kind_store_volume "${ns}" neuropart-store 65532 || fatal "could not prepare the store volume"

delete_job() { kubectl -n "${ns}" delete np "$1" --wait=true --timeout=120s >/dev/null; }

# --- 2. every sample ---------------------------------------------------------------------------
for sample in "${REPO_ROOT}"/manifests/samples/*.yaml; do
  grep -q '^kind: NeuralPartition' "${sample}" || continue
  name="$(sed -n 's/^  name: //p' "${sample}" | head -n 1)"
  e2e_log "Sample ${name}"
  kubectl -n "${ns}" apply -f "${sample}" >/dev/null || { fail "apply ${sample}"; continue; }
  if job_wait "${ns}" "${name}" Succeeded 300; then
    status="$(kubectl -n "${ns}" get np "${name}" -o jsonpath='{.status.loss} {.status.accuracy}')"
    if [[ "${status}" =~ ^[0-9.e+-]+\ [0-9.e+-]+$ ]]; then
      pass "sample ${name}: Succeeded with loss and accuracy ${status}"
    else
      fail "sample ${name}: Succeeded but status has loss/accuracy '${status}'"
    fi
  fi
  delete_job "${name}"
done

# --- 3. a deleted worker pod: gang restart from the checkpoint, bit-identical export -------------
# A longer job than the samples (6400 steps, a checkpoint every 200), long enough that a pod can
# be deleted after its first checkpoint and well before the end.
total_steps=6400
resume_job() {  # resume_job SUBPATH PARTITIONS
  sed -e 's/^  name: percentage/  name: resume/' -e "s|subPath: samples/percentage|subPath: $1|" \
    -e 's/samples: 2048/samples: 10240/' -e 's/epochs: 2/epochs: 40/' \
    -e 's/checkpointEvery: 16/checkpointEvery: 200/' \
    -e "s/partitions: 3/partitions: $2/" \
    "${REPO_ROOT}/manifests/samples/percentage.yaml"
}
# Starts the resume job on SUBPATH (3 partitions) and waits until its first checkpoint is
# committed (LATEST, read on the host: the operator's status poll would see it seconds late).
start_until_checkpoint() {  # start_until_checkpoint SUBPATH [BACKOFF_LIMIT]
  # The subPath owned by the workers' uid, as the README asks of a store's operator.
  install -d -o 65532 -g 65532 -m 0755 "${KIND_STORE}/neuropart-store/$1"
  resume_job "$1" 3 | sed "s/^  backoffLimit: 3$/  backoffLimit: ${2:-3}/" |
    kubectl -n "${ns}" apply -f - >/dev/null
  wait_for 300 test -s "${KIND_STORE}/neuropart-store/$1/jobs/resume/LATEST" && return 0
  fail "the resume job (store ${1}) never reported a checkpoint"
  kind_dump "${ns}" resume
  return 1
}
export_sum() { sha256sum "${KIND_STORE}/neuropart-store/$1/jobs/resume/export/model.safetensors" 2>/dev/null | cut -c1-64; }

e2e_log "Uninterrupted run of the resume job"
resume_job resume-clean 3 | kubectl -n "${ns}" apply -f - >/dev/null
job_wait "${ns}" resume Succeeded 600 && pass "uninterrupted resume job Succeeded"
delete_job resume
clean_sum="$(export_sum resume-clean)"

e2e_log "The same job, with a worker pod deleted after the first checkpoint"
if start_until_checkpoint resume-killed; then
  kubectl -n "${ns}" delete pod resume-1 --wait=false >/dev/null
  if job_wait "${ns}" resume Succeeded 600; then
    restarts="$(kubectl -n "${ns}" get np resume -o jsonpath='{.status.restarts}')"
    from="$(start_step "${ns}" resume)"
    [[ "${restarts}" -ge 1 && "${from:-0}" -gt 0 && "${from}" -lt "${total_steps}" ]] &&
      pass "deleted worker pod restarted the gang from the checkpoint of step ${from} (restarts=${restarts})" ||
      fail "deleted worker pod: restarts=${restarts}, last attempt started at step '${from}'"
    killed_sum="$(export_sum resume-killed)"
    if [[ -n "${clean_sum}" && "${killed_sum}" == "${clean_sum}" ]]; then
      pass "export after the gang restart is bit-identical to the uninterrupted run"
    else
      fail "export after the gang restart differs: ${killed_sum:-missing} vs ${clean_sum:-missing}"
    fi
  fi
fi
delete_job resume

# --- 4. re-plan mid-run, and an operator failover through the Lease ----------------------------
e2e_log "Re-plan (3 -> 2 partitions) and operator failover mid-run"
if start_until_checkpoint resume-replan; then
  old_hash="$(kubectl -n "${ns}" get np resume -o jsonpath='{.status.planHash}')"
  resume_job resume-replan 2 | sed 's/percentages: \[50, 30, 20\]/percentages: [60, 40]/' |
    kubectl -n "${ns}" apply -f - >/dev/null
  plan_moved() { [[ "$(kubectl -n "${ns}" get np resume -o jsonpath='{.status.planHash}')" != "${old_hash}" ]]; }
  check "the spec change re-planned the running job" wait_for 60 plan_moved
  # The failover while the re-planned gang trains.
  leader="$(lease_holder)"
  kubectl -n neuropart-system delete pod "${leader%%_*}" --wait=false >/dev/null 2>&1
  check "the other operator replica took the Lease" wait_for 120 lease_moved_from "${leader}"
  if job_wait "${ns}" resume Succeeded 600; then
    new_hash="$(kubectl -n "${ns}" get np resume -o jsonpath='{.status.planHash}')"
    pods="$(kubectl -n "${ns}" get pods -l app.kubernetes.io/instance=resume -o name | wc -l)"
    from="$(start_step "${ns}" resume)"
    [[ "${new_hash}" != "${old_hash}" && "${pods}" -eq 2 && "${from:-0}" -gt 0 && "${from}" -lt "${total_steps}" ]] &&
      pass "re-planned to 2 partitions (plan ${old_hash} -> ${new_hash}), continued from step ${from}, Succeeded" ||
      fail "re-plan: plan ${old_hash} -> ${new_hash}, ${pods} pods, started at step '${from}'"
  fi
fi
delete_job resume

# --- 5. serve mode through its Service ---------------------------------------------------------
# The percentage sample's job again, now serving the weights its training left in the store.
e2e_log "Serve mode"
sed -e 's/mode: train/mode: serve/' "${REPO_ROOT}/manifests/samples/percentage.yaml" |
  kubectl -n "${ns}" apply -f - >/dev/null
if job_wait "${ns}" percentage Running 300 && wait_for 120 pod_ready "${ns}" percentage-0; then
  out="$(serve_client "${ns}" percentage)"
  if same_outputs "${out}"; then
    pass "serve job answered neuropart infer --connect through its Service, as --reference computes"
  else
    fail "serve job through its Service:"
    printf '%s\n' "${out}" | head -n 30 | sed 's/^/    /'
  fi
  check "a pod without the neuropart.io/client label cannot reach the serving coordinator (NetworkPolicy enforced by kube-router)" \
    unadmitted_client_refused "${ns}" percentage
fi
delete_job percentage

# --- 6. a store uid 65532 cannot write ---------------------------------------------------------
e2e_log "A root-owned store"
kind_store_volume "${ns}" root-store 0 || fatal "could not prepare the root-owned store"
sed -e 's/^  name: percentage/  name: denied/' -e 's/claimName: neuropart-store/claimName: root-store/' \
  "${REPO_ROOT}/manifests/samples/percentage.yaml" | kubectl -n "${ns}" apply -f - >/dev/null
if job_wait "${ns}" denied Failed 300; then
  reason="$(kubectl -n "${ns}" get np denied -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason} {.status.restarts}')"
  message="$(kubectl -n "${ns}" get np denied -o jsonpath='{.status.conditions[?(@.type=="Degraded")].message}')"
  if [[ "${reason}" == "WorkerConfigError 0" ]] && contains "${message}" "is not writable by uid 65532"; then
    pass "root-owned store: Failed at once with WorkerConfigError naming the path and uid"
  else
    fail "root-owned store: reason/restarts '${reason}', message '${message}'"
  fi
fi
delete_job denied

# --- 7. an eviction, and an image that cannot be pulled ----------------------------------------
e2e_log "An evicted worker (backoffLimit 0)"
if start_until_checkpoint evicted 0; then
  printf '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"resume-1","namespace":"%s"}}' \
    "${ns}" >"${KIND_WORK}/eviction.json"
  check "the Eviction API evicts a running worker" \
    kubectl create --raw "/api/v1/namespaces/${ns}/pods/resume-1/eviction" -f "${KIND_WORK}/eviction.json"
  if job_wait "${ns}" resume Succeeded 600; then
    counts="$(kubectl -n "${ns}" get np resume -o jsonpath='{.status.restarts} {.status.disruptions}')"
    [[ "${counts}" == "0 1" ]] &&
      pass "the eviction restarted the gang without spending backoffLimit (restarts 0, disruptions 1)" ||
      fail "after the eviction: restarts and disruptions '${counts}', want '0 1'"
  fi
fi
delete_job resume

e2e_log "An image that cannot be pulled"
sed -e 's/^  name: percentage/  name: unpullable/' -e 's/^  worker:$/  pendingDeadlineSeconds: 45\n  worker:\n    image: registry.invalid\/neuropart-worker:none/' \
  "${REPO_ROOT}/manifests/samples/percentage.yaml" >"${KIND_WORK}/unpullable.yaml"
check "a job whose worker image cannot be pulled is accepted" \
  kubectl -n "${ns}" apply -f "${KIND_WORK}/unpullable.yaml"
pull_failed() {
  [[ "$(kubectl -n "${ns}" get np unpullable -o jsonpath='{.status.conditions[?(@.type=="Failed")].reason}')" =~ ^(ImagePullBackOff|ErrImagePull)$ ]]
}
check "an unpullable image fails the job past pendingDeadlineSeconds with the kubelet's reason" \
  wait_for 180 pull_failed
delete_job unpullable

e2e_finish
