#!/usr/bin/env bash
# The NeuralPartition CRD against a real kube-apiserver: it installs and is served; every sample in
# manifests/samples/ is accepted (with defaults applied); status is a subresource whose values show
# in the printer columns; and bad resources are refused at `kubectl apply` with the offending field
# named in the message.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_tools
e2e_start_control_plane

check "CRD installs, becomes Established and is served by discovery" install_crd
kubectl get crd neuralpartitions.neuropart.io >/dev/null 2>&1 || fatal "the CRD is not installed"

# --- Valid resources -------------------------------------------------------------------------

check "every sample (NFS volume + one NeuralPartition per strategy) is accepted" \
  kubectl apply -f "${REPO_ROOT}/manifests/samples/"

for strategy in count percentage identifiers layers balanced auto; do
  got="$(kubectl get np "${strategy}" -o jsonpath='{.spec.distribution.strategy}' 2>&1)"
  if [[ "${got}" == "${strategy}" ]]; then
    pass "sample ${strategy} is stored with strategy ${strategy}"
  else
    fail "sample ${strategy}: expected strategy ${strategy}, got '${got}'"
  fi
done

defaults="$(kubectl get np balanced -o jsonpath='{.spec.distribution.scope} {.spec.backoffLimit} {.spec.model.layers[1].connectivity.type} {.spec.model.layers[0].connectivity}' 2>&1)"
if [[ "${defaults}" == "global 3 sparse " ]]; then
  pass "schema defaults are applied (scope global, backoffLimit 3) and absent objects stay absent"
else
  fail "schema defaults: expected 'global 3 sparse ', got '${defaults}'"
fi

samples="$(grep -l '^kind: NeuralPartition' "${REPO_ROOT}"/manifests/samples/*.yaml | wc -l)"
check "short name np and category neuropart list the ${samples} resources" \
  bash -c "[[ \$('${KUBECTL}' get np -o name | wc -l) -eq ${samples} && \$('${KUBECTL}' get neuropart -o name | wc -l) -eq ${samples} ]]"

# --- Status subresource and printer columns --------------------------------------------------

status='{"status":{"phase":"Running","ready":"1/2","readyPartitions":1,"step":42,"loss":0.625,"accuracy":0.5,"restarts":0}}'
check "status is written through the status subresource" \
  kubectl patch np count --subresource=status --type=merge -p "${status}"
table="$(kubectl get np count 2>&1)"
header="$(head -n 1 <<<"${table}" | tr -s ' ')"
row="$(tail -n 1 <<<"${table}" | tr -s ' ')"
if [[ "${header}" == "NAME PHASE READY STEP LOSS AGE" && "${row}" == "count Running 1/2 42 0.625 "* ]]; then
  pass "printer columns show Phase, Ready, Step, Loss and Age"
else
  fail "printer columns: got header '${header}' and row '${row}'"
fi
wide="$(kubectl get np count -o wide 2>&1 | tr -s ' ')"
if contains "${wide}" "PARTITIONS STRATEGY ACCURACY" "2 count 0.5"; then
  pass "-o wide adds Partitions, Strategy and Accuracy"
else
  fail "-o wide columns: got '${wide}'"
fi
kubectl patch np count --type=merge -p '{"status":{"phase":"Failed"}}' >/dev/null 2>&1
phase="$(kubectl get np count -o jsonpath='{.status.phase}')"
if [[ "${phase}" == "Running" ]]; then
  pass "a status change through the main resource is ignored (status subresource)"
else
  fail "status through the main resource: phase became '${phase}'"
fi
out="$(kubectl patch np count --subresource=status --type=merge -p '{"status":{"phase":"Done"}}' 2>&1)"
if [[ $? -ne 0 ]] && contains "${out}" 'status.phase: Unsupported value: "Done"'; then
  pass "status.phase outside its enum is refused"
else
  fail "status.phase Done: expected a refusal naming status.phase, got: ${out}"
fi

# --- Invalid resources -----------------------------------------------------------------------

# A valid base (balanced, no parameters); each case merge-patches it into something invalid.
base="${CP_DIR}/base.json"
cat >"${base}" <<'EOF'
{"apiVersion": "neuropart.io/v1alpha1", "kind": "NeuralPartition",
 "metadata": {"name": "bad", "namespace": "default"},
 "spec": {
   "model": {"inputSize": 16, "init": {"seed": 1}, "layers": [
     {"name": "h1", "neurons": 32, "activation": "relu"},
     {"name": "h2", "neurons": 16, "activation": "relu"},
     {"name": "out", "neurons": 4, "activation": "softmax"}]},
   "distribution": {"partitions": 2, "strategy": "balanced"},
   "training": {"dataset": {"format": "synthetic", "samples": 64}, "epochs": 1, "batchSize": 8,
                "optimizer": {"learningRate": 0.1}},
   "storage": {"persistentVolumeClaim": {"claimName": "neuropart-store"}}}}
EOF
check "the base of the invalid cases is itself valid (server dry-run)" \
  kubectl apply --dry-run=server -f "${base}"

LAYERS_SOFTMAX_MIDDLE='[{"name":"h1","neurons":32,"activation":"softmax"},{"name":"out","neurons":4,"activation":"softmax"}]'
LAYERS_SPARSE_NO_FANIN='[{"name":"h1","neurons":32,"activation":"relu","connectivity":{"type":"sparse"}},{"name":"out","neurons":4,"activation":"softmax"}]'
LAYERS_DENSE_WITH_FANIN='[{"name":"h1","neurons":32,"activation":"relu","connectivity":{"type":"dense","fanIn":4}},{"name":"out","neurons":4,"activation":"softmax"}]'
LAYERS_FANIN_TOO_BIG='[{"name":"h1","neurons":32,"activation":"relu","connectivity":{"type":"sparse","fanIn":17}},{"name":"out","neurons":4,"activation":"softmax"}]'
LAYERS_DUPLICATE='[{"name":"h1","neurons":32,"activation":"relu"},{"name":"h1","neurons":4,"activation":"softmax"}]'

# invalid NAME PATCH EXPECTED...: applying base+PATCH must fail, and the message must contain
# every EXPECTED string (the field path and what is wrong with it).
invalid() {
  local name="$1" patch="$2" doc out
  shift 2
  doc="${CP_DIR}/invalid.json"
  if ! kubectl patch --local --type=merge -f "${base}" -p "${patch}" -o json >"${doc}" 2>&1; then
    fail "${name}: could not build the case: $(cat "${doc}")"
    return
  fi
  if out="$(kubectl apply -f "${doc}" 2>&1)"; then
    fail "${name}: was accepted"
    kubectl delete -f "${doc}" --wait=false >/dev/null 2>&1
    return
  fi
  if contains "${out}" "$@"; then
    pass "refused: ${name}"
  else
    fail "${name}: refused, but the message lacks one of [$*]: ${out}"
  fi
}

# valid NAME PATCH: base+PATCH must be accepted (server dry-run: nothing is stored).
valid() {
  local name="$1" patch="$2" doc out
  doc="${CP_DIR}/valid.json"
  if ! kubectl patch --local --type=merge -f "${base}" -p "${patch}" -o json >"${doc}" 2>&1; then
    fail "${name}: could not build the case: $(cat "${doc}")"
    return
  fi
  if out="$(kubectl apply --dry-run=server -f "${doc}" 2>&1)"; then
    pass "accepted: ${name}"
  else
    fail "${name}: was refused: ${out}"
  fi
}

# metadata.name: Services are named after it, so it is a DNS-1035 label, short enough for the
# longest derived name (<name>-workers) to stay within 63 characters.
NAME_RULE="metadata.name must be a DNS-1035 label"
NAME_40="$(printf 'n%.0s' $(seq 1 40))"
NAME_41="$(printf 'n%.0s' $(seq 1 41))"
invalid "a name starting with a digit" '{"metadata":{"name":"3layers"}}' \
  "metadata.name" "${NAME_RULE}" "because Services are named after it"
invalid "a name with a dot (a DNS subdomain, not a label)" '{"metadata":{"name":"layers.v2"}}' \
  "metadata.name" "${NAME_RULE}"
invalid "a 41-character name" "{\"metadata\":{\"name\":\"${NAME_41}\"}}" \
  "metadata.name" "metadata.name must be at most 40 characters"
valid "a DNS-1035 name" '{"metadata":{"name":"layers-v2"}}'
valid "a 40-character name" "{\"metadata\":{\"name\":\"${NAME_40}\"}}"

# The worker pod template: scheduling and identity fields pass through; root is never allowed.
valid "a worker template with affinity, priority, scheduler, account, pull secrets, uid and gang requests" \
  '{"spec":{"worker":{"affinity":{"nodeAffinity":{}},"priorityClassName":"high","schedulerName":"volcano","serviceAccountName":"trainer","imagePullSecrets":[{"name":"regcred"}],"runAsUser":1001,"fsGroup":1001,"totalRequests":{"cpu":"8","memory":"16Gi"}}}}'
invalid "a worker running as root" '{"spec":{"worker":{"runAsUser":0}}}' \
  "spec.worker.runAsUser" "should be greater than or equal to 1"
invalid "a gang request that is not a quantity" '{"spec":{"worker":{"totalRequests":{"cpu":"lots"}}}}' \
  "spec.worker.totalRequests.cpu" "should match"
valid "suspend, a pending deadline and a rendezvous timeout" \
  '{"spec":{"suspend":true,"pendingDeadlineSeconds":120,"transport":{"rendezvousTimeoutSeconds":900}}}'
invalid "a negative pending deadline" '{"spec":{"pendingDeadlineSeconds":-1}}' \
  "spec.pendingDeadlineSeconds" "should be greater than or equal to 0"

# More than one partition needs the shared claim: without it each worker pod gets its own emptyDir
# and the partitions cannot share checkpoints, weights or the export.
CLAIM_RULE="storage.persistentVolumeClaim is required with more than one partition"
invalid "training on 2 partitions without storage" '{"spec":{"storage":null}}' \
  "spec.storage" "${CLAIM_RULE}"
invalid "training on 2 partitions with a storage directory but no claim" \
  '{"spec":{"storage":{"persistentVolumeClaim":null,"directory":"store"}}}' \
  "spec.storage" "${CLAIM_RULE}"
valid "training on 1 partition without storage" \
  '{"spec":{"distribution":{"partitions":1},"storage":null}}'
invalid "serving on 2 partitions without storage or weights (the serve rule)" \
  '{"spec":{"mode":"serve","storage":null}}' \
  "spec.storage" "storage (or model.weights) is required when mode is serve"
invalid "serving on 2 partitions from model.weights but no claim" \
  '{"spec":{"mode":"serve","storage":null,"model":{"weights":"w.safetensors","init":null}}}' \
  "spec.storage" "${CLAIM_RULE}"
valid "serving on 2 partitions from the claim" '{"spec":{"mode":"serve"}}'

invalid "percentages that do not sum to 100" \
  '{"spec":{"distribution":{"strategy":"percentage","percentages":[60,35]}}}' \
  "spec.distribution.percentages" "percentages must sum to 100"
invalid "percentages with the wrong number of entries" \
  '{"spec":{"distribution":{"strategy":"percentage","percentages":[50,30,20]}}}' \
  "spec.distribution.percentages" "percentages must have one entry per partition"
invalid "a percentage above 100" \
  '{"spec":{"distribution":{"strategy":"percentage","percentages":[120,-20]}}}' \
  "spec.distribution.percentages[0]" "less than or equal to 100"
invalid "percentage strategy without percentages" \
  '{"spec":{"distribution":{"strategy":"percentage"}}}' \
  "spec.distribution.percentages" "percentages is required when strategy is percentage"
invalid "counts with the wrong number of entries" \
  '{"spec":{"distribution":{"strategy":"count","counts":[52]}}}' \
  "spec.distribution.counts" "counts must have one entry per partition"
invalid "counts that do not cover the model" \
  '{"spec":{"distribution":{"strategy":"count","counts":[30,20]}}}' \
  "spec.distribution.counts" "counts must sum to the number of neurons in the model"
invalid "perLayer counts without partitions x layers entries" \
  '{"spec":{"distribution":{"strategy":"count","scope":"perLayer","counts":[30,22]}}}' \
  "spec.distribution.counts" "counts must have partitions x layers entries (layer-major) when scope is perLayer"
invalid "a negative count" \
  '{"spec":{"distribution":{"strategy":"count","counts":[53,-1]}}}' \
  "spec.distribution.counts[1]" "greater than or equal to 0"
invalid "counts given to another strategy" \
  '{"spec":{"distribution":{"counts":[30,22]}}}' \
  "spec.distribution.counts" "counts applies only when strategy is count"
invalid "an unknown strategy" \
  '{"spec":{"distribution":{"strategy":"random"}}}' \
  'spec.distribution.strategy: Unsupported value: "random"'
invalid "zero partitions" \
  '{"spec":{"distribution":{"partitions":0}}}' \
  "spec.distribution.partitions" "greater than or equal to 1"
invalid "more partitions than the schema allows" \
  '{"spec":{"distribution":{"partitions":257}}}' \
  "spec.distribution.partitions" "less than or equal to 256"
invalid "identifiers with the wrong number of partitions" \
  '{"spec":{"distribution":{"strategy":"identifiers","identifiers":[["h1:*","h2:*","out:*"]]}}}' \
  "spec.distribution.identifiers" "identifiers must have one entry per partition"
invalid "a malformed neuron identifier" \
  '{"spec":{"distribution":{"strategy":"identifiers","identifiers":[["h1-0"],["out:*"]]}}}' \
  "spec.distribution.identifiers[0][0]" "should match"
invalid "layers strategy without layers" \
  '{"spec":{"distribution":{"strategy":"layers"}}}' \
  "spec.distribution.layers" "layers is required when strategy is layers"
invalid "capacities of the wrong length" \
  '{"spec":{"distribution":{"capacities":[1,2,3]}}}' \
  "spec.distribution.capacities" "capacities must have one entry per partition"
invalid "a zero capacity" \
  '{"spec":{"distribution":{"capacities":[1,0]}}}' \
  "spec.distribution.capacities[1]" "greater than 0"
invalid "scope perLayer with the balanced strategy" \
  '{"spec":{"distribution":{"scope":"perLayer"}}}' \
  "spec.distribution.scope" "scope perLayer applies only to the count and percentage strategies"
invalid "an unknown field (strict field validation)" \
  '{"spec":{"distribution":{"partition":2}}}' \
  'unknown field "spec.distribution.partition"'
invalid "an unknown activation" \
  '{"spec":{"model":{"layers":[{"name":"h1","neurons":4,"activation":"gelu"}]}}}' \
  'spec.model.layers[0].activation: Unsupported value: "gelu"'
invalid "softmax before the last layer" \
  "{\"spec\":{\"model\":{\"layers\":${LAYERS_SOFTMAX_MIDDLE}}}}" \
  "spec.model.layers" "softmax is allowed only on the last layer"
invalid "a sparse layer without fanIn" \
  "{\"spec\":{\"model\":{\"layers\":${LAYERS_SPARSE_NO_FANIN}}}}" \
  "spec.model.layers[0].connectivity.fanIn" "fanIn is required when type is sparse"
invalid "fanIn on a dense layer" \
  "{\"spec\":{\"model\":{\"layers\":${LAYERS_DENSE_WITH_FANIN}}}}" \
  "spec.model.layers[0].connectivity.type" "fanIn and seed apply only when type is sparse"
invalid "a first-layer fanIn above inputSize" \
  "{\"spec\":{\"model\":{\"layers\":${LAYERS_FANIN_TOO_BIG}}}}" \
  "spec.model.layers" "fanIn must not exceed inputSize"
invalid "two layers with one name" \
  "{\"spec\":{\"model\":{\"layers\":${LAYERS_DUPLICATE}}}}" \
  "spec.model.layers[1]" "Duplicate value"
invalid "a layer of zero neurons" \
  '{"spec":{"model":{"layers":[{"name":"h1","neurons":0,"activation":"softmax"}]}}}' \
  "spec.model.layers[0].neurons" "greater than or equal to 1"
invalid "no layers" \
  '{"spec":{"model":{"layers":[]}}}' \
  "spec.model.layers" "should have at least 1 items"
invalid "init and weights together" \
  '{"spec":{"model":{"weights":"models/m/weights.safetensors"}}}' \
  "spec.model.weights" "init and weights are mutually exclusive"
invalid "no model" \
  '{"spec":{"model":null}}' \
  "spec.model: Required value"
invalid "an unknown mode" \
  '{"spec":{"mode":"infer"}}' \
  'spec.mode: Unsupported value: "infer"'
invalid "train mode without training" \
  '{"spec":{"training":null}}' \
  "spec.training" "training is required when mode is train"
invalid "an unknown dataset format" \
  '{"spec":{"training":{"dataset":{"format":"parquet"}}}}' \
  'spec.training.dataset.format: Unsupported value: "parquet"'
invalid "an idx dataset without images and labels" \
  '{"spec":{"training":{"dataset":{"format":"idx","samples":null}}}}' \
  "spec.training.dataset.images" "images and labels are required when format is idx"
invalid "a csv dataset without path" \
  '{"spec":{"training":{"dataset":{"format":"csv","samples":null}}}}' \
  "spec.training.dataset.path" "path is required when format is csv"
invalid "a zero learning rate" \
  '{"spec":{"training":{"optimizer":{"learningRate":0}}}}' \
  "spec.training.optimizer.learningRate" "greater than 0"
invalid "momentum of 1" \
  '{"spec":{"training":{"optimizer":{"momentum":1}}}}' \
  "spec.training.optimizer.momentum" "less than 1"
invalid "an unknown optimizer" \
  '{"spec":{"training":{"optimizer":{"type":"adam"}}}}' \
  'spec.training.optimizer.type: Unsupported value: "adam"'
invalid "more micro-batches than samples in a batch" \
  '{"spec":{"training":{"microBatches":16}}}' \
  "spec.training.microBatches" "microBatches must not exceed batchSize"
invalid "neither epochs nor maxSteps" \
  '{"spec":{"training":{"epochs":null}}}' \
  "spec.training.epochs" "epochs or maxSteps is required"
invalid "a zero batch size" \
  '{"spec":{"training":{"batchSize":0}}}' \
  "spec.training.batchSize" "greater than or equal to 1"
invalid "a storage subPath escaping the volume" \
  '{"spec":{"storage":{"subPath":"jobs/../../etc"}}}' \
  "spec.storage.subPath" "must be relative and must not contain '..'"
invalid "a PVC without claimName" \
  '{"spec":{"storage":{"persistentVolumeClaim":{"claimName":null}}}}' \
  "spec.storage.persistentVolumeClaim.claimName: Required value"
invalid "an unknown wire dtype" \
  '{"spec":{"transport":{"dtype":"int8"}}}' \
  'spec.transport.dtype: Unsupported value: "int8"'
invalid "a negative backoffLimit" \
  '{"spec":{"backoffLimit":-1}}' \
  "spec.backoffLimit" "greater than or equal to 0"
invalid "an unknown toleration operator" \
  '{"spec":{"worker":{"tolerations":[{"key":"gpu","operator":"Maybe"}]}}}' \
  'spec.worker.tolerations[0].operator: Unsupported value: "Maybe"'

if [[ -z "$(kubectl get np bad -o name 2>/dev/null)" ]]; then
  pass "no invalid resource was stored"
else
  fail "an invalid resource named 'bad' was stored"
fi

e2e_finish
