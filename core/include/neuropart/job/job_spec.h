// JobSpec: one job (train or serve a model under a plan), as written in a job file.
//
// A job file IS a NeuralPartition resource (apiVersion neuropart.io/v1alpha1), so the file a user
// runs locally with `neuropart run` is the one they `kubectl apply`. This header holds the typed
// spec; job_file.h parses and validates it. Plain value types; not synchronised.
#ifndef NEUROPART_JOB_JOB_SPEC_H_
#define NEUROPART_JOB_JOB_SPEC_H_

#include <cstdint>
#include <map>
#include <string>

#include "neuropart/model/architecture.h"
#include "neuropart/plan/distribution_spec.h"

namespace neuropart {

struct DatasetSpec {
  enum class Format { kIdx, kCsv, kSynthetic };
  Format format = Format::kSynthetic;
  // idx: training and (optional) test files, gzip or raw.
  std::string images, labels, test_images, test_labels;
  // csv: numeric rows, one label column; test_path optional.
  std::string path, test_path;
  int label_column = 0;
  // synthetic: a seeded, learnable problem shaped by the model (inputSize, output classes).
  int64_t samples = 0;
  int64_t test_samples = 0;
  uint64_t seed = 0;
};

struct OptimizerSpec {  // torch.optim.SGD semantics (dampening 0, no Nesterov)
  double learning_rate = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
};

struct TrainingSpec {
  DatasetSpec dataset;
  int epochs = 1;
  int64_t max_steps = 0;  // 0 = no limit beyond epochs
  int64_t batch_size = 64;
  int micro_batches = 1;
  OptimizerSpec optimizer;
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t checkpoint_every = 0;  // steps; 0 = only at the end
};

struct StorageSpec {
  std::string claim_name;  // persistentVolumeClaim.claimName (Kubernetes)
  std::string sub_path;    // inside the claim (Kubernetes)
  std::string directory;   // the store for local runs (overridden by --store)
};

struct TransportSpec {
  bool encrypted() const { return encryption == "curve"; }
  std::string dtype = "fp32";  // fp32 | fp16 | bf16
  // curve: every link and the serving endpoint use ZeroMQ CURVE with the job's keys (only they
  // connect); none: plain TCP, for a network where every process is trusted.
  std::string encryption = "curve";
  int timeout_seconds = 60;    // a silent peer fails the step after this long
  // How long a worker waits for a peer it has not heard from yet: on a cluster, pods start
  // minutes apart (image pulls, scheduling).
  int rendezvous_timeout_seconds = 600;
};

enum class JobMode { kTrain, kServe };

struct JobSpec {
  std::string name;
  std::string namespace_name;
  Architecture model;
  uint64_t init_seed = 0;
  std::string weights;  // safetensors path in the store; empty = initialise from init_seed
  DistributionSpec distribution;
  TrainingSpec training;
  StorageSpec storage;
  TransportSpec transport;
  JobMode mode = JobMode::kTrain;
  int backoff_limit = 3;
  bool suspend = false;               // the operator keeps no pods while true (Kueue admission)
  int pending_deadline_seconds = 600;  // a partition Pending longer fails the job; 0: never
  std::string worker_image;  // spec.worker.image; the rest of spec.worker is for the operator
  // spec.worker.resources.limits.memory in bytes, 0 if not given: each partition must fit.
  double worker_memory_limit = 0;
};

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_SPEC_H_
