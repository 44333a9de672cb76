#include "controller/naming.h"

namespace neuropart::op {

std::string OwnedSelector() { return std::string(kLabelManagedBy) + "=" + kManagedBy; }

std::string PodName(const std::string& job, int partition) {
  return job + "-" + std::to_string(partition);
}
std::string ConfigMapName(const std::string& job) { return job + "-job"; }
std::string WorkersServiceName(const std::string& job) { return job + "-workers"; }
std::string ServeServiceName(const std::string& job) { return job; }
std::string NetworkPolicyName(const std::string& job) { return job + "-workers"; }
std::string ServeNetworkPolicyName(const std::string& job) { return job + "-serve"; }

std::string KeysSecretName(const std::string& job) { return job + "-keys"; }

std::string WorkerEndpoint(const std::string& job, const std::string& ns, int partition, int port) {
  return "tcp://" + PodName(job, partition) + "." + WorkersServiceName(job) + "." + ns +
         ".svc:" + std::to_string(port);
}

std::map<std::string, std::string> JobLabels(const std::string& job, const std::string& component) {
  return {{kLabelName, "neuropart"},   {kLabelInstance, job},         {kLabelComponent, component},
          {kLabelPartOf, "neuropart"}, {kLabelManagedBy, kManagedBy}, {kLabelJob, job}};
}

}  // namespace neuropart::op
