#!/usr/bin/env bash
# neuropart on a real cluster: kind (Kubernetes in Docker) with the images built from this checkout.
# The same path the real-apiserver e2e test (tests/e2e/operator_test.sh) checks with a kubelet
# stand-in, end to end with real pods: build images, load them into kind, helm install, apply the
# percentage sample with a hostPath store, wait for phase Succeeded, show loss and accuracy.
#
# Needs docker, kind, kubectl and helm on PATH. It cannot run on machines without a container
# engine (such as this project's CI). Usage: tests/e2e/kind/run.sh [--keep]  (--keep: leave the
# cluster up). Exit 0 when the sample succeeded.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cluster=neuropart-e2e
tag="$(sed -n 's/^appVersion: "\(.*\)"/\1/p' "${root}/charts/neuropart/Chart.yaml")"

for tool in docker kind kubectl helm; do
  command -v "${tool}" >/dev/null || { echo "kind/run.sh: ${tool} is not on PATH" >&2; exit 2; }
done

docker build --target operator -t "neuropart-operator:${tag}" "${root}"
docker build --target worker -t "neuropart-worker:${tag}" "${root}"

kind get clusters | grep -qx "${cluster}" || kind create cluster --name "${cluster}" --wait 120s
[[ "${1:-}" == "--keep" ]] || trap 'kind delete cluster --name "${cluster}"' EXIT
kind load docker-image --name "${cluster}" "neuropart-operator:${tag}" "neuropart-worker:${tag}"

helm upgrade --install neuropart "${root}/charts/neuropart" --namespace neuropart-system \
  --create-namespace --wait
helm test neuropart --namespace neuropart-system

# kind has no NFS server: a hostPath volume on its single node stands in for the shared store.
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: PersistentVolume
metadata: {name: neuropart-store}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  storageClassName: ""
  hostPath: {path: /tmp/neuropart-store, type: DirectoryOrCreate}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: neuropart-store, namespace: default}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: neuropart-store
  resources: {requests: {storage: 1Gi}}
YAML
kubectl apply -f "${root}/manifests/samples/percentage.yaml"
kubectl wait np/percentage --for=jsonpath='{.status.phase}'=Succeeded --timeout=600s
kubectl get np percentage -o wide
