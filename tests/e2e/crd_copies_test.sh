#!/usr/bin/env bash
# crds/ is the one source of the NeuralPartition CRD. Helm never templates or upgrades a chart's
# crds/ folder, and manifests/ carries the CRD for `kubectl apply -f manifests/`, so both hold
# byte-identical copies; this test fails as soon as one drifts.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source_crd="${root}/crds/neuropart.io_neuralpartitions.yaml"
passed=0 failed=0
for copy in charts/neuropart/crds/neuropart.io_neuralpartitions.yaml manifests/10-crd.yaml; do
  if [[ -f "${source_crd}" && -f "${root}/${copy}" ]] && cmp -s "${source_crd}" "${root}/${copy}"; then
    echo "PASS: ${copy} is byte-identical to crds/neuropart.io_neuralpartitions.yaml"
    passed=$((passed + 1))
  else
    echo "FAIL: ${copy} differs from crds/neuropart.io_neuralpartitions.yaml" \
      "(copy it: cp crds/neuropart.io_neuralpartitions.yaml ${copy})"
    diff -u "${source_crd}" "${root}/${copy}" | head -n 40
    failed=$((failed + 1))
  fi
done
# Only the CRD file may live in the chart's crds/ folder.
extra="$(find "${root}/charts/neuropart/crds" -type f ! -name neuropart.io_neuralpartitions.yaml)"
if [[ -z "${extra}" ]]; then
  echo "PASS: charts/neuropart/crds holds only the CRD"
  passed=$((passed + 1))
else
  echo "FAIL: unexpected files in charts/neuropart/crds: ${extra}"
  failed=$((failed + 1))
fi
echo "${passed} passed, ${failed} failed"
((failed == 0))
