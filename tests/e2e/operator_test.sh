#!/usr/bin/env bash
# neuropart-operator against a real kube-apiserver. kubelet_standin.py plays the kubelet: it runs
# each worker pod the operator creates as a local neuropart-worker process and writes the pod's
# status back. Checks: the operator takes the Lease and answers /healthz, /readyz and /metrics; a
# NeuralPartition gets its plan ConfigMap, headless Service, NetworkPolicy and one owned,
# restricted pod per partition; it trains with its step and loss in status; deleting a worker pod
# mid-run restarts the whole gang, which resumes from the last checkpoint and ends Succeeded; a
# change of partitions and strategy re-plans and runs again under the new plan; a restart of the
# API server mid-run is survived; a second replica waits on the Lease without reconciling.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_require_binaries neuropart-operator neuropart-worker

e2e_tools
e2e_start_control_plane
WORK="${CP_DIR}/operator-e2e"
mkdir -p "${WORK}"
trap e2e_stop_operator_children EXIT

np_field() { kubectl get np -n e2e train -o jsonpath="{$1}" 2>/dev/null; }
np_field_is() { [[ "$(np_field "$1")" == "$2" ]]; }
np_field_set() { [[ -n "$(np_field "$1")" ]]; }
np_step_positive() { [[ "$(np_field .status.step)" =~ ^[1-9][0-9]*$ ]]; }
http_ok() { curl -fsS -m 5 "$1"; }
# py EXPR: evaluates a Python expression over the JSON document `d` read from stdin.
py() {
  python3 -c "import json, sys; d = json.load(sys.stdin); r = ($1); print(*r) if isinstance(r, tuple) else print(r)"
}

check "CRD installs, becomes Established and is served by discovery" install_crd
kubectl create namespace e2e >/dev/null || fatal "cannot create namespace e2e"

STATUS_PORT="$(cp_free_port)"
METRICS_PORT="$(cp_free_port)"
HEALTH_PORT="$(cp_free_port)"
python3 "${E2E_DIR}/kubelet_standin.py" "${KUBECONFIG}" "${WORK}/kubelet" "${BIN_DIR}" \
  >"${WORK}/kubelet.log" 2>&1 &
CHILD_PIDS+=($!)
# The pods' status port is a free local port (the stand-in reports podIP 127.0.0.1), and worker
# metrics are off, since every partition runs on the same host here.
# As the Deployment's restartPolicy Always would, start the operator again whenever it exits (a
# leader that cannot renew its Lease exits on purpose).
run_operator() {
  local child=""
  trap '[[ -n "${child}" ]] && kill -TERM "${child}" 2>/dev/null; wait; exit 0' TERM
  while true; do
    "${BIN_DIR}/neuropart-operator" --kubeconfig="${KUBECONFIG}" --leader-elect \
      --leader-election-namespace=default --leader-election-id=first \
      --metrics-bind-address="127.0.0.1:${METRICS_PORT}" \
      --health-probe-bind-address="127.0.0.1:${HEALTH_PORT}" \
      --status-port="${STATUS_PORT}" --worker-metrics-port=0 --poll-interval=1 \
      >>"${WORK}/operator.log" 2>&1 &
    child=$!
    wait "${child}"
    echo "operator exited with $?; restarting" >>"${WORK}/operator.log"
    sleep 1
  done
}
run_operator &
OPERATOR_LOOP_PID=$!
CHILD_PIDS+=("${OPERATOR_LOOP_PID}")

lease_holder_is_first() {
  [[ "$(kubectl get lease -n default neuropart -o jsonpath='{.spec.holderIdentity}')" == first ]]
}
check "the operator takes the Lease" wait_for 60 lease_holder_is_first
check "/healthz answers 200" wait_for 30 http_ok "http://127.0.0.1:${HEALTH_PORT}/healthz"
check "/readyz answers 200 once the caches are synced" \
  wait_for 30 http_ok "http://127.0.0.1:${HEALTH_PORT}/readyz"

# A small pipeline (two partitions, one layer each side) with enough steps to watch it run.
cat >"${WORK}/train.yaml" <<'YAML'
apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: train
  namespace: e2e
spec:
  mode: train
  model:
    inputSize: 16
    layers:
      - {name: h1, neurons: 32, activation: relu}
      - {name: h2, neurons: 16, activation: relu}
      - {name: out, neurons: 4, activation: softmax}
    init: {seed: 7}
  distribution:
    partitions: 2
    strategy: layers
    layers: [[h1], [h2, out]]
  training:
    dataset: {format: synthetic, samples: 32768, testSamples: 512, seed: 11}
    epochs: 8
    batchSize: 8
    optimizer: {type: sgd, learningRate: 0.05, momentum: 0.9}
    checkpointEvery: 1000
  storage:
    persistentVolumeClaim: {claimName: store}
    subPath: e2e/train
  backoffLimit: 2
YAML
check "a NeuralPartition is accepted" kubectl apply -f "${WORK}/train.yaml"

pods_exist() { kubectl get pod -n e2e train-0 train-1; }
check "one pod per partition is created (train-0, train-1)" wait_for 60 pods_exist

pod0="$(kubectl get pod -n e2e train-0 -o json 2>/dev/null)"
owner="$(py 'd["metadata"]["ownerReferences"][0]["kind"], d["metadata"]["ownerReferences"][0]["name"], d["metadata"]["ownerReferences"][0]["controller"]' <<<"${pod0}")"
[[ "${owner}" == "NeuralPartition train True" ]] &&
  pass "pods are owned by their NeuralPartition" || fail "pod owner: got '${owner}'"
labels="$(py 'tuple(d["metadata"]["labels"][k] for k in ("app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "neuropart.io/partition"))' <<<"${pod0}")"
[[ "${labels}" == "neuropart-operator train 0" ]] &&
  pass "pods carry the app.kubernetes.io and neuropart.io labels" || fail "pod labels: got '${labels}'"
restricted="$(py 'd["spec"]["automountServiceAccountToken"], d["spec"]["securityContext"]["runAsNonRoot"], d["spec"]["securityContext"]["seccompProfile"]["type"], d["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"], ",".join(d["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"])' <<<"${pod0}")"
[[ "${restricted}" == "False True RuntimeDefault False ALL" ]] &&
  pass "pods meet Pod Security restricted and mount no API token" || fail "pod security: got '${restricted}'"
peers="$(py '[e["value"] for e in d["spec"]["containers"][0]["env"] if e["name"] == "NEUROPART_PEERS"][0]' <<<"${pod0}")"
[[ "${peers}" == "tcp://train-0.train-workers.e2e.svc:7000,tcp://train-1.train-workers.e2e.svc:7000" ]] &&
  pass "pods find their peers through the headless Service" || fail "NEUROPART_PEERS: got '${peers}'"
check "the plan ConfigMap, headless Service and NetworkPolicy exist" \
  kubectl get configmap/train-job service/train-workers networkpolicy/train-workers -n e2e
cluster_ip="$(kubectl get service -n e2e train-workers -o jsonpath='{.spec.clusterIP}')"
[[ "${cluster_ip}" == None ]] && pass "the worker Service is headless" || fail "clusterIP: got '${cluster_ip}'"

check "the job runs and reports a step and a loss from the coordinator" wait_for 120 np_step_positive
check "status.loss is set while training" np_field_set .status.loss
plan_hash="$(np_field .status.planHash)"
cm_hash="$(kubectl get configmap -n e2e train-job -o jsonpath='{.data.plan\.hash}')"
[[ -n "${plan_hash}" && "${plan_hash}" == "${cm_hash}" ]] &&
  pass "status.planHash is the published plan's hash" || fail "plan hash: status '${plan_hash}', ConfigMap '${cm_hash}'"

# Gang restart: losing one worker restarts every partition from the last checkpoint.
check "deleting a running worker pod is accepted" kubectl delete pod -n e2e train-1 --wait=false
check "the gang restarts at once (status.restarts = 1)" wait_for 20 np_field_is .status.restarts 1
check "the job ends Succeeded after the restart" wait_for 300 np_field_is .status.phase Succeeded
check "status.loss is set at the end" np_field_set .status.loss
check "status.accuracy is set at the end (the coordinator's termination message)" \
  np_field_set .status.accuracy
check "status.lastCheckpoint names the final checkpoint" np_field_set .status.lastCheckpoint.step
resumed="$(grep -ho 'result start_step=[0-9]*' "${WORK}"/kubelet/pods/*/worker.log | sort -t= -k2 -n | tail -n 1)"
[[ "${resumed}" =~ start_step=[1-9][0-9]*$ ]] &&
  pass "the restarted gang resumed from a checkpoint (${resumed})" ||
  fail "no resumed run: result lines say '${resumed}'"
timeouts="$(grep -h 'timed out after' "${WORK}"/kubelet/pods/*/worker.log)"
[[ -z "${timeouts}" ]] && pass "no worker waited out a peer timeout (the survivors were stopped)" ||
  fail "workers timed out waiting for a lost peer: ${timeouts}"
row="$(kubectl get np -n e2e train --no-headers | tr -s ' ')"
row_pattern='^train Succeeded 0/2 [0-9]+ [0-9.e-]+ '
[[ "${row}" =~ ${row_pattern} ]] &&
  pass "printer columns show Succeeded, step and loss (${row})" || fail "printer row: got '${row}'"
ready_reason="$(np_field '.status.conditions[?(@.type=="Ready")].reason')"
[[ "${ready_reason}" == TrainingComplete ]] &&
  pass "condition Ready has reason TrainingComplete" || fail "Ready reason: got '${ready_reason}'"

# Elastic re-partitioning: a new partition count and strategy re-plan and run under the new plan,
# starting from the finished model (any plan loads any checkpoint).
check "changing partitions and strategy is accepted" kubectl patch np -n e2e train --type=merge \
  -p '{"spec":{"distribution":{"partitions":3,"strategy":"balanced","layers":null}}}'
plan_changed() { [[ -n "$(np_field .status.planHash)" && "$(np_field .status.planHash)" != "${plan_hash}" ]]; }
check "the job is re-planned (new status.planHash)" wait_for 60 plan_changed
check "three partitions run under the new plan" wait_for 60 kubectl get pod -n e2e train-2
check "the re-planned job ends Succeeded" wait_for 300 np_field_is .status.phase Succeeded
check "status.observedGeneration follows the spec" np_field_is .status.observedGeneration 2

# The API server restarts in the middle of a run: the operator's watches reconnect (re-listing
# when their version is gone) and the job still ends Succeeded.
check "more epochs are accepted (a new run from the last checkpoint)" \
  kubectl patch np -n e2e train --type=merge -p '{"spec":{"training":{"epochs":16}}}'
running_again() { np_field_is .status.observedGeneration 3 && ! np_field_is .status.phase Succeeded; }
check "the new run starts" wait_for 60 running_again
# Not inside `check`: its subshell would keep the new server's PID from cp_stop.
if cp_restart_apiserver; then pass "kube-apiserver restarts"; else fail "kube-apiserver restarts"; fi
check "the job ends Succeeded across the API server restart" \
  wait_for 300 np_field_is .status.phase Succeeded
if grep -qE '"Watch failed; retrying"|"Lost the lease; exiting' "${WORK}/operator.log"; then
  pass "the operator noticed the outage and recovered (reconnected or restarted)"
else
  fail "no sign of the outage in the operator log"
fi
check "the operator leads again after the outage" wait_for 60 lease_holder_is_first

metrics="$(curl -fsS -m 5 "http://127.0.0.1:${METRICS_PORT}/metrics" 2>&1)"
reconciled='^controller_runtime_reconcile_total\{controller="neuralpartition",result="(success|requeue_after)"\} [1-9]'
contains "${metrics}" 'neuropart_operator_leader 1' 'neuropart_operator_actions_total{' &&
  grep -qE "${reconciled}" <<<"${metrics}" &&
  pass "/metrics reports reconciles, actions and leadership" || fail "/metrics: missing series"

# A second replica waits on the Lease and does not reconcile while the first leads.
STANDBY_HEALTH_PORT="$(cp_free_port)"
"${BIN_DIR}/neuropart-operator" --kubeconfig="${KUBECONFIG}" --leader-elect \
  --leader-election-namespace=default --leader-election-id=second --metrics-bind-address=0 \
  --health-probe-bind-address="127.0.0.1:${STANDBY_HEALTH_PORT}" --status-port="${STATUS_PORT}" \
  --worker-metrics-port=0 >"${WORK}/standby.log" 2>&1 &
standby_pid=$!
CHILD_PIDS+=("${standby_pid}")
check "the standby replica is ready (it can take over)" \
  wait_for 30 http_ok "http://127.0.0.1:${STANDBY_HEALTH_PORT}/readyz"
sleep 3
standby_log="$(cat "${WORK}/standby.log")"
if contains "${standby_log}" "Waiting for the lease" && ! contains "${standby_log}" "Acquired the lease" &&
  lease_holder_is_first; then
  pass "a second replica waits on the Lease while the first leads"
else
  fail "standby: holder '$(kubectl get lease -n default neuropart -o jsonpath='{.spec.holderIdentity}')', log: ${standby_log}"
fi

# The leader stops cleanly (SIGTERM): it releases the Lease and the standby takes over at once.
cp_kill "${OPERATOR_LOOP_PID}"
lease_holder_is_second() {
  [[ "$(kubectl get lease -n default neuropart -o jsonpath='{.spec.holderIdentity}')" == second ]]
}
check "a stopping leader releases the Lease and the standby takes over" wait_for 20 lease_holder_is_second
check "the leader logged the release" grep -q '"Released the lease"' "${WORK}/operator.log"

e2e_finish
