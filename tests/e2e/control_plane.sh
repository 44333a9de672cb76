#!/usr/bin/env bash
# A throw-away Kubernetes control plane for the e2e tests: etcd + a real kube-apiserver on
# 127.0.0.1, the way controller-runtime's envtest runs them. There is no kubelet, scheduler or
# controller-manager: pods stay Pending, nothing is garbage-collected, namespaces never finish
# deleting.
#
# Two ways to use it:
#
#   source tests/e2e/control_plane.sh
#   cp_start                # sets CP_DIR, KUBECONFIG, CP_SERVER, CP_APISERVER_PID, CP_ETCD_PID
#   trap cp_stop EXIT       # kills both processes and removes CP_DIR
#
#   tests/e2e/control_plane.sh start   # prints `export ...` lines; run `eval "$(...)"`
#   tests/e2e/control_plane.sh stop DIR
#
# Settings (environment):
#   KUBE_APISERVER            kube-apiserver binary (default: scripts/kube/build-kube-apiserver.sh,
#                             which builds it on first use, about 35 minutes)
#   ETCD                      etcd binary (default: etcd on PATH, Debian's etcd-server)
#   CP_READY_TIMEOUT          seconds to wait for /readyz (default 90: 2 shared cores are slow)
#   CP_APISERVER_EXTRA_FLAGS  extra kube-apiserver flags, e.g. --etcd-compaction-interval=5s
#   CP_KEEP=1                 keep CP_DIR (certificates, logs) after stop, for debugging
#
# Helpers once started: cp_restart_apiserver, cp_user_kubeconfig NAME [GROUP] (a client
# certificate for a user outside system:masters, to test RBAC), cp_dump_logs.

CP_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

cp_log() { echo "control-plane: $*" >&2; }

cp_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# cp_sign NAME SUBJECT EXTFILE: key + certificate signed by the throw-away CA.
cp_sign() {
  local name="$1" subject="$2" ext="$3" pki="${CP_DIR}/pki"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${pki}/${name}.key" -out "${pki}/${name}.csr" -subj "${subject}" 2>/dev/null &&
    openssl x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
      -CAcreateserial -days 2 -sha256 -extfile "${ext}" -out "${pki}/${name}.crt" 2>/dev/null
}

cp_make_pki() {
  local pki="${CP_DIR}/pki"
  mkdir -p "${pki}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "${pki}/ca.key" -out "${pki}/ca.crt" -subj "/CN=neuropart-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null || return 1
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"${pki}/server.ext"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"${pki}/client.ext"
  cp_sign server "/CN=localhost" "${pki}/server.ext" || return 1
  cp_sign admin "/O=system:masters/CN=neuropart-e2e-admin" "${pki}/client.ext" || return 1
  # Service-account token signer: private key for the apiserver to sign, public key to verify.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${pki}/sa.key" 2>/dev/null &&
    openssl pkey -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub" 2>/dev/null
}

# cp_write_kubeconfig FILE USER: a kubeconfig using pki/USER.{crt,key}.
cp_write_kubeconfig() {
  local file="$1" user="$2" pki="${CP_DIR}/pki"
  cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: ${CP_SERVER}
    certificate-authority: ${pki}/ca.crt
users:
- name: ${user}
  user:
    client-certificate: ${pki}/${user}.crt
    client-key: ${pki}/${user}.key
contexts:
- name: ${user}@e2e
  context:
    cluster: e2e
    user: ${user}
    namespace: default
current-context: ${user}@e2e
EOF
}

# cp_user_kubeconfig NAME [GROUP]: prints the path of a kubeconfig for user NAME (not an admin).
cp_user_kubeconfig() {
  local name="$1" group="${2:-}" subject
  subject="/CN=${name}"
  [[ -n "${group}" ]] && subject="/O=${group}/CN=${name}"
  cp_sign "${name}" "${subject}" "${CP_DIR}/pki/client.ext" || return 1
  cp_write_kubeconfig "${CP_DIR}/kubeconfig-${name}" "${name}"
  echo "${CP_DIR}/kubeconfig-${name}"
}

cp_find_apiserver() {
  if [[ -n "${KUBE_APISERVER:-}" ]]; then
    [[ -x "${KUBE_APISERVER}" ]] || { cp_log "KUBE_APISERVER=${KUBE_APISERVER} is not executable"; return 1; }
    return 0
  fi
  KUBE_APISERVER="$("${CP_REPO_ROOT}/scripts/kube/build-kube-apiserver.sh")" || {
    cp_log "FAILED: could not build kube-apiserver (scripts/kube/build-kube-apiserver.sh);" \
      "the e2e tests need a real API server and do not skip without one"
    return 1
  }
}

cp_start_etcd() {
  local client_port peer_port
  client_port="$(cp_free_port)" && peer_port="$(cp_free_port)" || return 1
  CP_ETCD_URL="http://127.0.0.1:${client_port}"
  "${ETCD:-etcd}" --name=e2e --data-dir="${CP_DIR}/etcd" \
    --listen-client-urls="${CP_ETCD_URL}" --advertise-client-urls="${CP_ETCD_URL}" \
    --listen-peer-urls="http://127.0.0.1:${peer_port}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${peer_port}" \
    --initial-cluster="e2e=http://127.0.0.1:${peer_port}" \
    --log-level=warn >"${CP_DIR}/etcd.log" 2>&1 &
  CP_ETCD_PID=$!
  local deadline=$((SECONDS + 30))
  until curl -fsS "${CP_ETCD_URL}/health" 2>/dev/null | grep -q '"health":"true"'; do
    if ! kill -0 "${CP_ETCD_PID}" 2>/dev/null || ((SECONDS > deadline)); then
      cp_log "FAILED: etcd did not become healthy; last log lines:"
      tail -n 20 "${CP_DIR}/etcd.log" >&2
      return 1
    fi
    sleep 0.5
  done
}

cp_start_apiserver() {
  local pki="${CP_DIR}/pki"
  # shellcheck disable=SC2086  # extra flags are a space-separated list by design
  "${KUBE_APISERVER}" \
    --bind-address=127.0.0.1 --secure-port="${CP_PORT}" \
    --cert-dir="${CP_DIR}/apiserver-certs" \
    --tls-cert-file="${pki}/server.crt" --tls-private-key-file="${pki}/server.key" \
    --client-ca-file="${pki}/ca.crt" \
    --etcd-servers="${CP_ETCD_URL}" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer="https://127.0.0.1:${CP_PORT}/" \
    --service-account-key-file="${pki}/sa.pub" \
    --service-account-signing-key-file="${pki}/sa.key" \
    --authorization-mode=RBAC \
    --disable-admission-plugins=ServiceAccount \
    --allow-privileged=true \
    ${CP_APISERVER_EXTRA_FLAGS:-} \
    >>"${CP_DIR}/kube-apiserver.log" 2>&1 &
  CP_APISERVER_PID=$!
  cp_wait_ready
}

cp_wait_ready() {
  local pki="${CP_DIR}/pki" deadline=$((SECONDS + ${CP_READY_TIMEOUT:-90}))
  until curl -fsS --cacert "${pki}/ca.crt" --cert "${pki}/admin.crt" --key "${pki}/admin.key" \
    "${CP_SERVER}/readyz" >/dev/null 2>&1; do
    if ! kill -0 "${CP_APISERVER_PID}" 2>/dev/null; then
      cp_log "FAILED: kube-apiserver exited during start-up; last log lines:"
      tail -n 30 "${CP_DIR}/kube-apiserver.log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      cp_log "FAILED: kube-apiserver not ready after ${CP_READY_TIMEOUT:-90} s; last log lines:"
      tail -n 30 "${CP_DIR}/kube-apiserver.log" >&2
      return 1
    fi
    sleep 1
  done
}

cp_start() {
  command -v openssl >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null &&
    command -v "${ETCD:-etcd}" >/dev/null || {
    cp_log "FAILED: need openssl, curl, python3 and etcd; run scripts/kube/install-deps.sh"
    return 1
  }
  cp_find_apiserver || return 1
  CP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/neuropart-e2e.XXXXXX")"
  CP_PORT="$(cp_free_port)"
  CP_SERVER="https://127.0.0.1:${CP_PORT}"
  local started=${SECONDS}
  cp_make_pki || { cp_log "FAILED: openssl could not make the certificates"; return 1; }
  cp_start_etcd || return 1
  cp_start_apiserver || return 1
  cp_write_kubeconfig "${CP_DIR}/kubeconfig" admin
  export KUBECONFIG="${CP_DIR}/kubeconfig"
  export CP_DIR CP_SERVER CP_PORT CP_ETCD_URL CP_ETCD_PID CP_APISERVER_PID KUBE_APISERVER
  cp_log "ready at ${CP_SERVER} in $((SECONDS - started)) s (dir ${CP_DIR})"
}

# Stops and starts kube-apiserver on the same port and etcd (reconnection tests).
cp_restart_apiserver() {
  cp_kill "${CP_APISERVER_PID:-}"
  cp_start_apiserver
}

cp_dump_logs() {
  local f
  for f in "${CP_DIR}/etcd.log" "${CP_DIR}/kube-apiserver.log"; do
    [[ -f "${f}" ]] && { echo "----- ${f} (last 40 lines)" >&2; tail -n 40 "${f}" >&2; }
  done
}

# cp_kill PID: TERM, wait up to 10 s, then KILL. Only ever a process this file started.
cp_kill() {
  local pid="$1" i
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 0
  kill -TERM "${pid}" 2>/dev/null
  for i in $(seq 1 20); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "${pid}" 2>/dev/null
  wait "${pid}" 2>/dev/null
  return 0
}

cp_stop() {
  cp_kill "${CP_APISERVER_PID:-}"
  cp_kill "${CP_ETCD_PID:-}"
  if [[ -n "${CP_DIR:-}" && -d "${CP_DIR}" ]]; then
    if [[ "${CP_KEEP:-0}" == 1 ]]; then
      cp_log "kept ${CP_DIR}"
    else
      rm -rf "${CP_DIR}"
    fi
  fi
  CP_APISERVER_PID="" CP_ETCD_PID="" CP_DIR=""
}

cp_main() {
  case "${1:-}" in
    start)
      cp_start || { cp_stop; exit 1; }
      # The processes outlive this shell; record them so `stop DIR` can end them.
      printf '%s\n' "CP_APISERVER_PID=${CP_APISERVER_PID}" "CP_ETCD_PID=${CP_ETCD_PID}" \
        >"${CP_DIR}/pids"
      printf 'export %s\n' "KUBECONFIG=${KUBECONFIG}" "CP_DIR=${CP_DIR}" "CP_SERVER=${CP_SERVER}"
      ;;
    stop)
      [[ -n "${2:-}" && -f "${2}/pids" ]] || { cp_log "usage: $0 stop DIR (DIR printed by start)"; exit 2; }
      CP_DIR="$2"
      # shellcheck disable=SC1091
      source "${CP_DIR}/pids"
      # Not children of this shell: poll instead of wait.
      local pid
      for pid in "${CP_APISERVER_PID}" "${CP_ETCD_PID}"; do
        kill -TERM "${pid}" 2>/dev/null || continue
        for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "${pid}" 2>/dev/null || true
      done
      CP_APISERVER_PID="" CP_ETCD_PID=""
      cp_stop
      ;;
    *)
      echo "usage: $0 start | stop DIR   (or source it and call cp_start / cp_stop)" >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
  set -uo pipefail
  cp_main "$@"
fi
