#!/usr/bin/env bash
# neuropart-operator's watches across a kube-apiserver restart: the watches fail, reconnect with
# backoff from their last resourceVersion, which the new server's watch cache no longer has, so
# the stream ends with an ERROR event 410 Expired and the operator re-lists; a NeuralPartition
# applied afterwards is reconciled as usual. (No leader election here: a restart longer than the
# renew deadline would make a leader exit, which operator_test.sh covers.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_require_binaries neuropart-operator

e2e_tools
e2e_start_control_plane
e2e_trap_operator_log

check "CRD installs, becomes Established and is served by discovery" install_crd
"${BIN_DIR}/neuropart-operator" --kubeconfig="${KUBECONFIG}" --metrics-bind-address=0 \
  --health-probe-bind-address=0 --v=2 >"${OPERATOR_LOG}" 2>&1 &
OPERATOR_PID=$!
check "the operator lists and watches" wait_for 30 logged '"Caches synced; reconciling"'
# Not inside `check`: its subshell would keep the new server's PID from cp_stop.
if cp_restart_apiserver; then pass "kube-apiserver restarts"; else fail "kube-apiserver restarts"; fi
check "the broken watches are noticed" wait_for 60 logged '"Watch failed; retrying"'
check "an ERROR event 410 Expired on the resumed watch forces a re-list" \
  wait_for 60 logged 'code="410" reason="Expired"'
check "a NeuralPartition applied after the restart is accepted" bash -c \
  "'${KUBECTL}' create namespace ml && '${KUBECTL}' apply -n ml -f '${REPO_ROOT}/manifests/samples/layers.yaml'"
check "the operator reconciles it (its pods appear)" wait_for 60 kubectl get pod -n ml layers-0 layers-1
kill -0 "${OPERATOR_PID}" 2>/dev/null && pass "the operator is still running" || fail "the operator exited"

e2e_finish
