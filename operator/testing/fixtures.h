// Test fixtures for reconcile: fluent builders of NeuralPartitions
// (MakeNeuralPartition("np").Partitions(4).Strategy("layers")) and a FakeCluster that applies
// reconcile's actions to an ObservedState the way the API server and kubelet would, so a test
// walks a job through its life one reconcile at a time. Test-only; not synchronised.
#ifndef NEUROPART_OPERATOR_TESTING_FIXTURES_H_
#define NEUROPART_OPERATOR_TESTING_FIXTURES_H_

#include <string>

#include "controller/observed.h"
#include "controller/reconcile.h"

namespace neuropart::op::testing {

class NeuralPartitionBuilder {
 public:
  explicit NeuralPartitionBuilder(std::string name);

  NeuralPartitionBuilder& Namespace(std::string ns);
  // A 3-layer model: h1 (16, relu), h2 (8, relu), out (4, softmax), input 8.
  NeuralPartitionBuilder& Partitions(int p);
  // balanced, count, percentage or layers; fills the strategy's parameters for the partitions.
  NeuralPartitionBuilder& Strategy(std::string strategy);
  NeuralPartitionBuilder& Mode(std::string mode);
  NeuralPartitionBuilder& BackoffLimit(int limit);
  NeuralPartitionBuilder& Generation(int64_t generation);
  NeuralPartitionBuilder& Epochs(int epochs);
  NeuralPartitionBuilder& Claim(std::string claim, std::string sub_path);
  NeuralPartitionBuilder& WorkerImage(std::string image);
  NeuralPartitionBuilder& Deleting();
  NeuralPartitionBuilder& Uid(std::string uid);
  // Sets spec.<key> to `value` as is (for invalid specs).
  NeuralPartitionBuilder& SpecField(const std::string& key, Json value);

  NeuralPartition Obj() const;

 private:
  NeuralPartition np_;
  int partitions_ = 2;
  std::string strategy_ = "balanced";
};

NeuralPartitionBuilder MakeNeuralPartition(std::string name);

// A KeyMaker (reconcile.h) with fixed, recognisable contents: "key<q>", "secret<q>", "token".
StatusOr<std::map<std::string, std::string>> FakeKeys(int partitions);

// The observed cluster around one NeuralPartition. Apply() executes reconcile's actions: creates
// add objects (pods start Pending), deletes remove them (or, with graceful deletion on, mark pods
// deleting until Finalize()), status updates replace the resource's status.
class FakeCluster {
 public:
  explicit FakeCluster(NeuralPartition np) { state_.resource = std::move(np); }

  ReconcileResult Reconcile(const ReconcileOptions& options, const Clock& clock);
  void Apply(const ReconcileResult& result);

  ObservedState& state() { return state_; }
  NeuralPartition& resource() { return state_.resource; }
  ObservedPod* Pod(const std::string& name);
  ObservedPod* PodOf(int partition);
  const ObservedObject* ConfigMap() const;
  // Json of created objects, by kind/name, as last created.
  const Json* Created(const std::string& kind, const std::string& name) const;

  // Kubelet stand-ins: set every pod (or one) to a phase.
  void SetAllPods(const std::string& phase, bool ready);
  void SetPod(int partition, const std::string& phase, bool ready, const std::string& message = "");
  void RemovePod(int partition);
  void set_graceful_deletion(bool on) { graceful_ = on; }
  void FinalizeDeletions();  // the deleting pods are gone

  int status_writes() const { return status_writes_; }
  int patches() const { return patches_; }
  // "<type> <reason>" of every Event recorded, in order.
  const std::vector<std::string>& events() const { return events_; }

 private:
  std::string KindOf(const std::vector<ObservedObject>& objects) const;
  static void MergePatch(ObservedObject* o, const Json& patch);

  ObservedState state_;
  std::vector<std::pair<std::string, Json>> created_;
  bool graceful_ = false;
  int status_writes_ = 0;
  int patches_ = 0;
  std::string now_;  // of the last Reconcile: new pods' creationTimestamp
  std::vector<std::string> events_;
};

}  // namespace neuropart::op::testing

#endif  // NEUROPART_OPERATOR_TESTING_FIXTURES_H_
