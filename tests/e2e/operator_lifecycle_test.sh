#!/usr/bin/env bash
# The operator against a real kube-apiserver on the cases a real cluster throws at a gang, in a
# namespace that enforces the `restricted` Pod Security Standard (so PodSecurity admission judges
# every worker pod). kubelet_standin.py runs the pods, binding them to a node so deletions and
# evictions are graceful. Checks:
#   - a pod that starts 25 s after its peer (slow pull) joins within transport.rendezvousTimeoutSeconds
#     although transport.timeoutSeconds is 5: no restart; `kubectl wait --for=condition=Complete`
#     works, and Events record the gang's start, run and completion;
#   - a pod whose image cannot be pulled shows ImagePullBackOff in status, and the job fails with
#     that reason after spec.pendingDeadlineSeconds (`kubectl wait --for=condition=Failed`);
#   - an evicted pod (Eviction API: DisruptionTarget) restarts the gang without spending
#     backoffLimit (0 here) and the job still succeeds;
#   - spec.suspend keeps a job without pods until it turns false.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_require_binaries neuropart-operator neuropart-worker

e2e_tools
e2e_start_control_plane
WORK="${CP_DIR}/lifecycle-e2e"
NS=life
mkdir -p "${WORK}"
trap e2e_stop_operator_children EXIT

field() { kubectl get np -n "${NS}" "$1" -o jsonpath="{$2}" 2>/dev/null; }
field_is() { [[ "$(field "$1" "$2")" == "$3" ]]; }
step_positive() { [[ "$(field "$1" .status.step)" =~ ^[1-9][0-9]*$ ]]; }

check "CRD installs, becomes Established and is served by discovery" install_crd
kubectl create namespace "${NS}" >/dev/null || fatal "cannot create namespace ${NS}"
kubectl label namespace "${NS}" pod-security.kubernetes.io/enforce=restricted \
  pod-security.kubernetes.io/enforce-version=latest >/dev/null || fatal "cannot label ${NS}"
check "the namespace enforces restricted: a root pod is refused" bash -c "! '${KUBECTL}' run root \
  -n ${NS} --image=x --restart=Never --overrides='{\"spec\":{\"securityContext\":{\"runAsUser\":0}}}' 2>&1 \
  | grep -q created"

NEUROPART_STANDIN_DELAY="${NS}/late-1=25" \
  python3 "${E2E_DIR}/kubelet_standin.py" "${KUBECONFIG}" "${WORK}/kubelet" "${BIN_DIR}" \
  >"${WORK}/kubelet.log" 2>&1 &
CHILD_PIDS+=($!)
"${BIN_DIR}/neuropart-operator" --kubeconfig="${KUBECONFIG}" \
  --metrics-bind-address="127.0.0.1:$(cp_free_port)" \
  --health-probe-bind-address="127.0.0.1:$(cp_free_port)" \
  --status-port="$(cp_free_port)" --worker-metrics-port=0 --poll-interval=1 \
  >>"${WORK}/operator.log" 2>&1 &
CHILD_PIDS+=($!)

# job NAME EPOCHS EXTRA_SPEC: a two-partition pipeline on the shared claim.
job() {
  cat <<YAML
apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: $1
  namespace: ${NS}
spec:
  model:
    inputSize: 16
    layers:
      - {name: h1, neurons: 32, activation: relu}
      - {name: out, neurons: 4, activation: softmax}
    init: {seed: 7}
  distribution: {partitions: 2, strategy: layers, layers: [[h1], [out]]}
  training:
    dataset: {format: synthetic, samples: 4096, testSamples: 256, seed: 11}
    epochs: $2
    batchSize: 8
    optimizer: {type: sgd, learningRate: 0.05}
    checkpointEvery: 100
  storage:
    persistentVolumeClaim: {claimName: store}
    subPath: $1
$3
YAML
}

# --- A late pod joins the rendezvous ------------------------------------------------------------
job late 1 "  transport: {timeoutSeconds: 5, rendezvousTimeoutSeconds: 120}" >"${WORK}/late.yaml"
check "a job whose second pod starts 25 s late is accepted (restricted namespace)" \
  kubectl apply -f "${WORK}/late.yaml"
check "it completes: kubectl wait --for=condition=Complete" \
  kubectl wait -n "${NS}" np/late --for=condition=Complete --timeout=240s
check "the late pod cost no restart (status.restarts 0, no disruptions)" \
  bash -c "[[ '$(field late .status.restarts)' == 0 && -z '$(field late .status.disruptions)' ]]"
events="$(kubectl get events -n "${NS}" --field-selector involvedObject.name=late \
  -o jsonpath='{range .items[*]}{.type} {.reason}{"\n"}{end}' 2>&1)"
if contains "${events}" "Normal CreatingWorkers" "Normal WorkersRunning" "Normal TrainingComplete"; then
  pass "Events record the gang's start, run and completion"
else
  fail "Events of np/late: got '${events}'"
fi

# --- An image that cannot be pulled -------------------------------------------------------------
job badimage 1 "  pendingDeadlineSeconds: 20
  worker: {image: registry.invalid/neuropart-worker:none}" >"${WORK}/badimage.yaml"
check "a job with an unpullable image is accepted" kubectl apply -f "${WORK}/badimage.yaml"
ready_reason_is_pull() { field_is badimage '.status.conditions[?(@.type=="Ready")].reason' ImagePullBackOff; }
check "status shows ImagePullBackOff while Pending" wait_for 30 ready_reason_is_pull
message="$(field badimage '.status.conditions[?(@.type=="Ready")].message')"
if contains "${message}" "pod badimage-" "Back-off pulling image"; then
  pass "the condition names the pod and the kubelet's words"
else
  fail "Ready message: got '${message}'"
fi
check "past pendingDeadlineSeconds the job fails: kubectl wait --for=condition=Failed" \
  kubectl wait -n "${NS}" np/badimage --for=condition=Failed --timeout=60s
check "with the pod's reason (ImagePullBackOff)" \
  field_is badimage '.status.conditions[?(@.type=="Failed")].reason' ImagePullBackOff

# --- An eviction is not a failure ---------------------------------------------------------------
job evict 100 "  backoffLimit: 0" >"${WORK}/evict.yaml"
check "a job with backoffLimit 0 is accepted" kubectl apply -f "${WORK}/evict.yaml"
check "it trains" wait_for 120 step_positive evict
cat >"${WORK}/eviction.json" <<JSON
{"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "evict-1", "namespace": "${NS}"}}
JSON
check "evicting a worker through the Eviction API is accepted" \
  kubectl create --raw "/api/v1/namespaces/${NS}/pods/evict-1/eviction" -f "${WORK}/eviction.json"
check "the gang restarts as a disruption (status.disruptions 1)" \
  wait_for 30 field_is evict .status.disruptions 1
check "the job still succeeds with backoffLimit 0" \
  kubectl wait -n "${NS}" np/evict --for=condition=Complete --timeout=300s
check "no restart was counted" field_is evict .status.restarts 0

# --- Suspend ------------------------------------------------------------------------------------
job held 1 "  suspend: true" >"${WORK}/held.yaml"
check "a suspended job is accepted" kubectl apply -f "${WORK}/held.yaml"
check "it is Suspended" wait_for 30 field_is held .status.phase Suspended
check "and has no pods" bash -c "[[ -z \$('${KUBECTL}' get pods -n ${NS} -l neuropart.io/job=held -o name) ]]"
check "resuming is accepted" kubectl patch np -n "${NS}" held --type=merge -p '{"spec":{"suspend":false}}'
check "the resumed job completes" \
  kubectl wait -n "${NS}" np/held --for=condition=Complete --timeout=240s

e2e_finish
