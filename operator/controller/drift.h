// Drift: how far an object the operator owns has moved from what it wants, as a merge patch.
//
// One rule for every kind it owns (ConfigMap, Service, NetworkPolicy): the labels and
// annotations it sets must be there with its values, its spec fields must hold its values (fields
// the API server defaults, like a Service's clusterIP or a port's protocol, are not compared), and
// a ConfigMap's data must be exactly its data. Someone who edits a worker port or a selector gets
// it put back on the next reconcile. Pure functions; thread-safe.
#ifndef NEUROPART_OPERATOR_CONTROLLER_DRIFT_H_
#define NEUROPART_OPERATOR_CONTROLLER_DRIFT_H_

#include <optional>

#include "neuropart/base/json.h"
#include "controller/observed.h"

namespace neuropart::op {

// True when every field `desired` sets has the same value in `observed`: objects recursively,
// arrays element by element with the same length, scalars equal.
bool Covers(const Json& observed, const Json& desired);

// The JSON merge patch (RFC 7386) that brings `observed` back to `desired` (a whole object as
// worker_objects.h builds it), or nullopt when nothing drifted.
std::optional<Json> DriftPatch(const ObservedObject& observed, const Json& desired);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_DRIFT_H_
