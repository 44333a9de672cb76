#!/usr/bin/env bash
# The images, built from the Dockerfile with podman (scripts/containers/build-images.sh), checked
# as a user would run them, without a cluster:
#   - every binary's shared libraries resolve inside its image (ldd closure), and each starts;
#   - both images run as uid 65532;
#   - the worker image runs a 3-partition job as three containers on a private podman network with
#     a shared store volume, and the exported model is bit-identical to `neuropart run` of the same
#     job file in the same image (and within 1e-5 of the host build's, whose processor-specific
#     code may round differently);
#   - a store volume uid 65532 cannot write stops a worker at once with exit code 2, naming the
#     path and the uid.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "${here}/../lib.sh"

out="$("${REPO_ROOT}/scripts/containers/build-images.sh")" || fatal "the images did not build"
eval "${out}"
work="$(mktemp -d /tmp/neuropart-images.XXXXXX)"
network="neuropart-images-$$"
cleanup() {
  podman rm -f -t 0 $(podman ps -aq --filter "label=neuropart-images-test=$$") >/dev/null 2>&1
  podman network rm -f "${network}" >/dev/null 2>&1
  rm -rf "${work}"
}
trap cleanup EXIT
chmod 0755 "${work}"

# --- the images' contents ------------------------------------------------------------------------
ldd_closure() {  # ldd_closure IMAGE BINARY: every library found
  local out
  out="$(podman run --rm --entrypoint /usr/bin/ldd "$1" "$2" 2>&1)" || { echo "${out}"; return 1; }
  ! grep -q "not found" <<<"${out}" || { grep "not found" <<<"${out}"; return 1; }
}
for binary in neuropart-worker neuropart; do
  check "worker image: ${binary}'s shared libraries all resolve" \
    ldd_closure "${WORKER_IMAGE}" "/usr/local/bin/${binary}"
  check "worker image: ${binary} --help runs" \
    podman run --rm --entrypoint "/usr/local/bin/${binary}" "${WORKER_IMAGE}" --help
done
check "operator image: neuropart-operator's shared libraries all resolve" \
  ldd_closure "${OPERATOR_IMAGE}" /usr/local/bin/neuropart-operator
check "operator image: neuropart-operator --help runs" \
  podman run --rm "${OPERATOR_IMAGE}" --help
for image in "${WORKER_IMAGE}" "${OPERATOR_IMAGE}"; do
  check "${image%%:*} runs as uid 65532" \
    test "$(podman run --rm --entrypoint /usr/bin/id "${image}" -u)" = 65532
done

# --- three containers, one job --------------------------------------------------------------------
# The percentage sample: synthetic data, every layer split 50/30/20 over 3 partitions.
job="${work}/job.yaml"
cp "${REPO_ROOT}/manifests/samples/percentage.yaml" "${job}"
chmod 0644 "${job}"
run_in_image() {  # run_in_image VOLUME_ARGS... -- COMMAND...: one container from the worker image
  podman run --rm --label "neuropart-images-test=$$" "$@"
}
store_for() { mkdir -p "${work}/$1" && chown 65532:65532 "${work}/$1" && echo "${work}/$1"; }

plan_dir="$(store_for plan)"
run_in_image -v "${work}:/in:ro" -v "${plan_dir}:/out" --entrypoint /usr/local/bin/neuropart \
  "${WORKER_IMAGE}" plan /in/job.yaml --format yaml -o /out/plan.yaml >/dev/null ||
  fatal "neuropart plan in the worker image failed"

# Workers started by hand need the job's keys (the launcher and the operator make their own).
keys_dir="$(store_for keys)"
run_in_image -v "${work}:/in:ro" -v "${keys_dir}:/out" --entrypoint /usr/local/bin/neuropart \
  "${WORKER_IMAGE}" keys /in/job.yaml --output /out/keys >/dev/null ||
  fatal "neuropart keys in the worker image failed"

podman network create --subnet 10.89.79.0/24 "${network}" >/dev/null || fatal "podman network create"
shared="$(store_for shared)"
peers="tcp://10.89.79.10:7000,tcp://10.89.79.11:7000,tcp://10.89.79.12:7000"
for q in 0 1 2; do
  podman run -d --name "np-images-$$-${q}" --label "neuropart-images-test=$$" \
    --network "${network}" --ip "10.89.79.1${q}" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -v "${work}/job.yaml:/job/job.yaml:ro" -v "${plan_dir}/plan.yaml:/job/plan.yaml:ro" \
    -v "${shared}:/store" -v "${keys_dir}/keys:/keys:ro" -e NEUROPART_KEYS=/keys \
    -e NEUROPART_JOB=/job/job.yaml -e NEUROPART_PLAN=/job/plan.yaml -e "NEUROPART_PARTITION=${q}" \
    -e NEUROPART_STORE=/store -e NEUROPART_LISTEN=tcp://0.0.0.0:7000 -e "NEUROPART_PEERS=${peers}" \
    "${WORKER_IMAGE}" >/dev/null || fail "could not start partition ${q}'s container"
done
codes=""
for q in 0 1 2; do codes+="$(podman wait "np-images-$$-${q}") "; done
if [[ "${codes}" == "0 0 0 " ]]; then
  pass "three worker containers on a private network trained the job (exit codes ${codes})"
else
  fail "worker containers exited with ${codes}"
  for q in 0 1 2; do podman logs "np-images-$$-${q}" 2>&1 | tail -n 15 | sed "s/^/    p${q}: /"; done
fi

launcher="$(store_for launcher)"
run_in_image -v "${work}/job.yaml:/job/job.yaml:ro" -v "${launcher}:/store" --tmpfs /tmp \
  --entrypoint /usr/local/bin/neuropart "${WORKER_IMAGE}" run /job/job.yaml --store /store \
  >"${work}/launcher.out" 2>&1 || { cat "${work}/launcher.out"; fail "neuropart run in the image failed"; }
export_of() { echo "$1/jobs/percentage/export/model.safetensors"; }
check "the containers' export is bit-identical to neuropart run's in the same image" \
  cmp "$(export_of "${shared}")" "$(export_of "${launcher}")"

if [[ -x "${NEUROPART_BIN_DIR:-}/neuropart" ]]; then
  "${NEUROPART_BIN_DIR}/neuropart" run "${job}" --store "${work}/host" >/dev/null 2>&1
  check "the containers' export is within 1e-5 of the host build's neuropart run" \
    /usr/bin/python3 - "$(export_of "${shared}")" "$(export_of "${work}/host")" <<'PY'
import json, struct, sys
import numpy as np
def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f4")
            for k, v in header.items() if k != "__metadata__"}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    d = float((np.abs(a[k] - b[k]) / np.maximum(1.0, np.abs(b[k]))).max())
    assert d <= 1e-5, (k, d)
PY
fi

# --- a store the workers' uid cannot write ---------------------------------------------------------
mkdir -p "${work}/root-owned"
chmod 0755 "${work}/root-owned"
out="$(run_in_image -v "${work}/job.yaml:/job/job.yaml:ro" -v "${plan_dir}/plan.yaml:/job/plan.yaml:ro" \
  -v "${work}/root-owned:/store" -e NEUROPART_JOB=/job/job.yaml -e NEUROPART_PLAN=/job/plan.yaml \
  -e NEUROPART_PARTITION=0 -e NEUROPART_STORE=/store -e NEUROPART_LISTEN=tcp://0.0.0.0:7000 \
  -e "NEUROPART_PEERS=${peers}" "${WORKER_IMAGE}" 2>&1)"
code=$?
if [[ ${code} -eq 2 ]] && contains "${out}" "/store/jobs/percentage is not writable by uid 65532 gid 65532" \
  "/store is owned by uid 0 gid 0, mode 0755"; then
  pass "a root-owned store stops the worker at once with exit 2, naming the path and the uid"
else
  fail "root-owned store: exit ${code}: ${out}"
fi

e2e_finish
