#!/usr/bin/env bash
# Helpers of tests/e2e/kind/run.sh: the cluster, its volumes, and waiting on jobs. Sourced after
# ../lib.sh (pass, fail, fatal, check, wait_for, contains, e2e_log).

KIND_CLUSTER="${KIND_CLUSTER:-neuropart-e2e}"
KIND_NETWORK="neuropart-kind"  # IPv4 only: kind's own podman network asks for IPv6
WGET_ARCHIVE="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}/images/wget-bookworm.tar"

# Builds (or finds cached) everything, creates the cluster and loads the images. Sets KUBECONFIG,
# KIND_STORE (the host directory every store volume lives under), WORKER_IMAGE, OPERATOR_IMAGE,
# WGET_IMAGE, KIND, KUBECTL, HELM.
kind_setup() {
  local started=$SECONDS out
  out="$("${REPO_ROOT}/scripts/containers/build-images.sh")" || return 1
  eval "${out}"
  out="$("${REPO_ROOT}/scripts/kind/build-node-image.sh")" || return 1
  eval "${out}"
  e2e_tools
  WGET_IMAGE="$(kind_wget_image)" || return 1
  e2e_log "Images ready after $((SECONDS - started)) s: ${WORKER_IMAGE} ${OPERATOR_IMAGE} ${KIND_NODE_IMAGE}"

  export KIND_EXPERIMENTAL_PROVIDER=podman KIND_EXPERIMENTAL_PODMAN_NETWORK="${KIND_NETWORK}"
  # kind always mounts the host's /lib/modules into its nodes; this VM's kernel has none.
  mkdir -p /lib/modules
  podman network exists "${KIND_NETWORK}" ||
    podman network create --subnet 10.89.77.0/24 "${KIND_NETWORK}" >/dev/null || return 1
  KIND_WORK="$(mktemp -d /tmp/neuropart-kind.XXXXXX)"
  KIND_STORE="${KIND_WORK}/store"
  mkdir -p "${KIND_STORE}"
  chmod 0755 "${KIND_WORK}" "${KIND_STORE}"
  export KUBECONFIG="${KIND_WORK}/kubeconfig"
  export KUBECACHEDIR="${KIND_WORK}/kube-cache" HELM_CACHE_HOME="${KIND_WORK}/helm/cache"
  export HELM_CONFIG_HOME="${KIND_WORK}/helm/config" HELM_DATA_HOME="${KIND_WORK}/helm/data"
  cat >"${KIND_WORK}/cluster.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  ipFamily: ipv4   # the node's network add-on: a bridge CNI configuration + kube-router (policies)
nodes:
  - role: control-plane
    extraMounts:
      - hostPath: ${KIND_STORE}
        containerPath: /var/neuropart-store
containerdConfigPatches:
  # This sandbox may not lower oom_score_adj; without this runc fails every pod sandbox.
  - |-
    [plugins."io.containerd.grpc.v1.cri"]
      restrict_oom_score_adj = true
EOF
  "${KIND}" delete cluster --name "${KIND_CLUSTER}" >/dev/null 2>&1
  [[ "${keep:-0}" == 1 ]] || trap kind_teardown EXIT
  e2e_log "Creating kind cluster ${KIND_CLUSTER} (node image ${KIND_NODE_IMAGE})"
  started=$SECONDS
  if ! "${KIND}" create cluster --name "${KIND_CLUSTER}" --image "${KIND_NODE_IMAGE}" \
    --config "${KIND_WORK}/cluster.yaml" --kubeconfig "${KUBECONFIG}" --wait 240s --retain; then
    kind_dump_node
    return 1
  fi
  e2e_log "Cluster up in $((SECONDS - started)) s (KUBECONFIG=${KUBECONFIG})"
  local archive
  for archive in "${IMAGE_ARCHIVES}/worker.tar" "${IMAGE_ARCHIVES}/operator.tar" \
    "${WGET_ARCHIVE}"; do
    "${KIND}" load image-archive --name "${KIND_CLUSTER}" "${archive}" || return 1
  done
}

kind_teardown() {
  "${KIND}" delete cluster --name "${KIND_CLUSTER}" >/dev/null 2>&1
  rm -rf "${KIND_WORK}"
}

# What went wrong inside the node when kind could not bring it up.
kind_dump_node() {
  local node="${KIND_CLUSTER}-control-plane"
  echo "--- podman logs ${node} (last 40 lines)"
  podman logs "${node}" 2>&1 | tail -n 40
  for unit in containerd neuropart-import-images kubelet; do
    echo "--- journalctl -u ${unit} (last 30 lines)"
    podman exec "${node}" journalctl -u "${unit}" --no-pager 2>&1 | tail -n 30
  done
}

# The `helm test` pod's image, which runs `wget -q -O- -T 5 URL` (busybox:1.36 by default): GNU
# wget on debian:bookworm-slim, as a local image and an archive for the node. (Debian's busybox
# 1.35 wget segfaults here, static or not.)
kind_wget_image() {
  local image="localhost/neuropart-wget:bookworm" ctx
  if ! podman image exists "${image}"; then
    ctx="$(mktemp -d)"
    printf '%s\n' 'FROM debian:bookworm-slim' \
      'RUN apt-get update && apt-get install -y --no-install-recommends wget && rm -rf /var/lib/apt/lists/*' |
      podman build -q -t "${image}" -f - "${ctx}" >&2 || return 1
    rmdir "${ctx}"
    rm -f "${WGET_ARCHIVE}"
  fi
  [[ -f "${WGET_ARCHIVE}" ]] ||
    podman save --format docker-archive -o "${WGET_ARCHIVE}" "${image}" >&2 || return 1
  echo "${image}"
}

# A namespace that enforces the Pod Security "restricted" profile.
kind_namespace() {
  kubectl create namespace "$1" >/dev/null &&
    kubectl label namespace "$1" pod-security.kubernetes.io/enforce=restricted \
      pod-security.kubernetes.io/enforce-version=latest >/dev/null
}

# kind_store_volume NAMESPACE CLAIM OWNER_UID: a hostPath PersistentVolume under KIND_STORE owned by
# OWNER_UID (65532: the workers' uid, as an NFS export with all_squash,anonuid=65532 would map
# it; 0: a kubelet-made root-owned 0755 directory) and its claim.
kind_store_volume() {
  local ns="$1" claim="$2" owner="$3" dir="${KIND_STORE}/$2"
  mkdir -p "${dir}"
  chown "${owner}:${owner}" "${dir}"
  chmod 0755 "${dir}"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: ${ns}-${claim}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /var/neuropart-store/${claim}, type: Directory}
  claimRef: {namespace: ${ns}, name: ${claim}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${claim}, namespace: ${ns}}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: ${ns}-${claim}
  resources: {requests: {storage: 1Gi}}
EOF
  # The samples' subPaths are created by the kubelet as root; make them the workers' own first.
  local sub
  for sub in samples samples/percentage samples/count samples/identifiers samples/layers \
    samples/balanced samples/auto resume-clean resume-killed resume-replan; do
    mkdir -p "${dir}/${sub}"
    chown "${owner}:${owner}" "${dir}/${sub}"
  done
}

job_phase() { kubectl -n "$1" get np "$2" -o jsonpath='{.status.phase}' 2>/dev/null; }

# job_wait NAMESPACE NAME PHASE SECONDS [expect-failure]: until the job reaches PHASE. A job that
# turns Failed (unless Failed is what is expected) or times out fails the check and dumps
# describe, events and logs.
job_wait() {
  local ns="$1" name="$2" want="$3" deadline=$((SECONDS + $4)) phase=""
  while ((SECONDS < deadline)); do
    phase="$(job_phase "${ns}" "${name}")"
    [[ "${phase}" == "${want}" ]] && return 0
    if [[ "${phase}" == Failed ]]; then
      fail "job ${name} is Failed (waited for ${want})"
      kind_dump "${ns}" "${name}"
      fatal "stopping at the first failed job"
    fi
    sleep 2
  done
  fail "job ${name} did not reach ${want} within $4 s (phase '${phase}')"
  kind_dump "${ns}" "${name}"
  return 1
}

pod_ready() {
  [[ "$(kubectl -n "$1" get pod "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# The step the coordinator's last attempt started from (its "@np result start_step=N" line).
start_step() {
  kubectl -n "$1" logs "$2-0" 2>/dev/null | grep -o 'start_step=[0-9]*' | tail -n 1 | cut -d= -f2
}

lease_holder() {
  kubectl -n neuropart-system get lease neuropart -o jsonpath='{.spec.holderIdentity}' 2>/dev/null
}
lease_moved_from() { local now; now="$(lease_holder)"; [[ -n "${now}" && "${now}" != "$1" ]]; }

# The job's describe, its pods, events and every worker's log.
kind_dump() {
  local ns="$1" name="$2" pod
  # The workers' own words first: a long dump is cut in the middle where CI shows it.
  for pod in $(kubectl -n "${ns}" get pods -l "app.kubernetes.io/instance=${name}" -o name 2>/dev/null); do
    echo "--- logs ${pod}"
    kubectl -n "${ns}" logs "${pod}" --all-containers 2>&1 | tail -n 30
  done
  echo "--- pods"
  kubectl -n "${ns}" get pods -o wide 2>&1
  echo "--- kubectl describe np ${name}"
  kubectl -n "${ns}" describe np "${name}" 2>&1 | tail -n 60
  echo "--- events"
  kubectl -n "${ns}" get events --sort-by=.lastTimestamp 2>&1 | tail -n 40
  echo "--- operator logs"
  kubectl -n neuropart-system logs -l app.kubernetes.io/name=neuropart --tail=40 2>&1
}

# client_pod NAMESPACE NAME LABEL_YAML SCRIPT KEYS_OF: a restricted pod with the worker image
# that runs SCRIPT (sh) with the job's ConfigMap at /job, the store's samples/percentage at /store
# and the client key of job KEYS_OF (a serving job; its Secret <job>-keys) at /keys, and waits
# until it ends. Prints its log; returns 0 when it Succeeded.
client_pod() {
  local ns="$1" name="$2" labels="$3" script="$4" keys_of="$5"
  kubectl -n "${ns}" delete pod "${name}" --ignore-not-found --wait=true >/dev/null 2>&1
  kubectl -n "${ns}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {${labels}}}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    fsGroup: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: client
      image: ${WORKER_IMAGE}
      command: [/bin/sh, -c, "${script}"]
      volumeMounts:
        - {name: job, mountPath: /job, readOnly: true}
        - {name: store, mountPath: /store, subPath: samples/percentage, readOnly: true}
        - {name: keys, mountPath: /keys, readOnly: true}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
  volumes:
    - {name: job, configMap: {name: percentage-job}}
    - {name: store, persistentVolumeClaim: {claimName: neuropart-store}}
    - name: keys
      secret:
        secretName: ${keys_of}-keys
        defaultMode: 0440
        items: [{key: public.keys, path: public.keys}, {key: client.secret, path: client.secret}]
EOF
  local deadline=$((SECONDS + 120)) phase=""
  while ((SECONDS < deadline)); do
    phase="$(kubectl -n "${ns}" get pod "${name}" -o jsonpath='{.status.phase}' 2>/dev/null)"
    [[ "${phase}" == Succeeded || "${phase}" == Failed ]] && break
    sleep 2
  done
  kubectl -n "${ns}" logs "${name}" 2>&1
  [[ "${phase}" == Succeeded ]]
}

# serve_client NAMESPACE JOB: a client pod labelled neuropart.io/client=JOB (admitted by the job's
# serve NetworkPolicy) asks the job's Service with `neuropart infer --connect`, then computes the
# same rows with --reference from the store; prints both outputs separated by a line "===".
serve_client() {
  client_pod "$1" infer-client "neuropart.io/client: $2" \
    "neuropart infer /job/job.yaml --connect tcp://$2.$1.svc:7000 --keys /keys --rows 20 && echo === && neuropart infer /job/job.yaml --reference --store /store --rows 20" "$2"
}

# unadmitted_client_refused NAMESPACE JOB: a client pod without that label cannot reach the
# coordinator through the same Service (the NetworkPolicy is enforced), though it has the key.
unadmitted_client_refused() {
  local out
  out="$(client_pod "$1" stranger "app: stranger" \
    "neuropart infer /job/job.yaml --connect tcp://$2.$1.svc:7000 --keys /keys --rows 1 --timeout-seconds 10" "$2")" &&
    return 1
  echo "${out}"
  contains "${out}" "no answer within 10000 ms"  # dropped by the policy, not failed otherwise
}

# same_outputs TEXT: the two halves (split at "===") of serve_client's output have the same rows
# and predicted classes, and outputs equal within 1e-4 (distributed vs one process: the sums run
# in another order).
same_outputs() {
  /usr/bin/python3 - "$1" <<'PY'
import re, sys
a, sep, b = sys.argv[1].partition("===\n")
# Rows only: the log interleaves each command's stderr (its accuracy line) with the CSV.
rows = lambda text: [l.split(",") for l in text.splitlines() if re.match(r"^\d+,", l)]
ra, rb = rows(a), rows(b)
ok = sep and ra and len(ra) == len(rb) and all(
    x[0] == y[0] and len(x) == len(y) and all(abs(float(u) - float(v)) <= 1e-4 for u, v in zip(x[1:], y[1:]))
    for x, y in zip(ra, rb))
sys.exit(0 if ok else 1)
PY
}
