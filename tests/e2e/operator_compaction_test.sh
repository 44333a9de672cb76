#!/usr/bin/env bash
# neuropart-operator's watches across etcd compaction: the API server runs without its watch cache
# and compacts etcd every 2 s, the operator renews its watches every 2 s from their last
# resourceVersion, and writes elsewhere in the cluster move etcd past that version. The renewed
# watch then ends with an ERROR event 410 (the version was compacted), the operator re-lists, and
# a NeuralPartition applied afterwards is still reconciled.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_require_binaries neuropart-operator

export CP_APISERVER_EXTRA_FLAGS="--watch-cache=false --etcd-compaction-interval=2s"
e2e_tools
e2e_start_control_plane
e2e_trap_operator_log

# Writes the operator does not watch (no neuropart labels), bounded in count.
churn() {
  local i
  for ((i = 0; i < 40; i++)); do
    kubectl create configmap "churn-${i}" -n churn >/dev/null 2>&1 || return 1
    logged 'code="410"' && return 0
    sleep 0.25
  done
}

check "CRD installs, becomes Established and is served by discovery" install_crd
check "a namespace for unrelated writes exists" kubectl create namespace churn
"${BIN_DIR}/neuropart-operator" --kubeconfig="${KUBECONFIG}" --metrics-bind-address=0 \
  --health-probe-bind-address=0 --watch-timeout=2 --v=2 >"${OPERATOR_LOG}" 2>&1 &
OPERATOR_PID=$!
check "the operator lists and watches" wait_for 30 logged '"Caches synced; reconciling"'
check "unrelated writes go through while etcd compacts" churn
check "a renewed watch from a compacted version gets 410 and the operator re-lists" \
  wait_for 60 logged 'code="410"'
check "a NeuralPartition applied after the compaction is accepted" bash -c \
  "'${KUBECTL}' create namespace ml && '${KUBECTL}' apply -n ml -f '${REPO_ROOT}/manifests/samples/layers.yaml'"
check "the operator reconciles it (its pods appear)" wait_for 60 kubectl get pod -n ml layers-0 layers-1
kill -0 "${OPERATOR_PID}" 2>/dev/null && pass "the operator is still running" || fail "the operator exited"

e2e_finish
