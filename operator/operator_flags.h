// OperatorFlags: everything neuropart-operator is told at start, read once in main.
// The chart's deployment passes --worker-image, --watch-namespace, --leader-elect,
// --leader-election-namespace, --leader-election-lease, --metrics-bind-address,
// --health-probe-bind-address and --v; POD_NAME names this replica in the Lease.
#ifndef NEUROPART_OPERATOR_OPERATOR_FLAGS_H_
#define NEUROPART_OPERATOR_OPERATOR_FLAGS_H_

#include <functional>
#include <string>

#include "neuropart/app/flags.h"
#include "neuropart/status.h"

namespace neuropart::op {

struct OperatorFlags {
  std::string kubeconfig;  // empty: $KUBECONFIG, in-cluster, ~/.kube/config
  std::string worker_image = "neuropart-worker:latest";
  std::string watch_namespace;  // empty: every namespace
  bool leader_elect = false;
  std::string leader_election_namespace;  // empty: the kubeconfig's or pod's namespace
  std::string leader_election_lease = "neuropart";
  std::string leader_election_id;              // empty: $POD_NAME, else the host name
  std::string metrics_bind_address = ":8080";  // "0" turns it off
  std::string health_probe_bind_address = ":8081";
  int verbosity = 0;
  int poll_interval_seconds = 5;
  int watch_timeout_seconds = 240;
  int worker_port = 7000;
  int status_port = 8080;
  int metrics_port = 9090;
};

// Declares every operator flag on `flags`, bound to `f`.
void AddOperatorFlags(Flags* flags, OperatorFlags* f);
// What flags cannot check (positive intervals, an image), and the default leader election id
// ($POD_NAME, else host name and pid). InvalidArgument names the flag.
Status CheckOperatorFlags(OperatorFlags* f, const std::function<const char*(const char*)>& getenv);

extern const char* kOperatorAbout;

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_OPERATOR_FLAGS_H_
