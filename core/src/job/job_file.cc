// The job-file schema: NeuralPartition YAML -> JobSpec, read through YamlReader.
#include "neuropart/job/job_file.h"

#include <regex>

#include "neuropart/base/limits.h"
#include "neuropart/base/quantity.h"
#include "neuropart/job/job_memory.h"
#include "neuropart/plan/distributor.h"
#include "neuropart/store/file_util.h"
#include "neuropart/yaml/yaml_reader.h"

namespace neuropart {
namespace {

Status ParseLayer(const YamlReader& r, LayerSpec* layer) {
  RETURN_IF_ERROR(r.ExpectMap({"name", "neurons", "activation", "connectivity"}));
  RETURN_IF_ERROR(r.Required("name", &layer->name));
  RETURN_IF_ERROR(r.Required("neurons", &layer->neurons));
  std::string activation = "relu";
  RETURN_IF_ERROR(r.Optional("activation", &activation));
  StatusOr<Activation> a = ParseActivation(activation);
  if (!a.ok()) return r.Child("activation").Error(a.status().message());
  layer->activation = *a;
  if (!r.Has("connectivity")) return Status::Ok();
  YamlReader c = r.Child("connectivity");
  RETURN_IF_ERROR(c.ExpectMap({"type", "fanIn", "seed"}));
  std::string type = "dense";
  RETURN_IF_ERROR(c.Optional("type", &type));
  if (type == "sparse") {
    layer->connectivity.type = Connectivity::Type::kSparse;
    RETURN_IF_ERROR(c.Required("fanIn", &layer->connectivity.fan_in));
    RETURN_IF_ERROR(c.Optional("seed", &layer->connectivity.seed));
  } else if (type != "dense") {
    return c.Child("type").Error("must be dense or sparse, got \"" + type + "\"");
  } else if (c.Has("fanIn")) {
    return c.Child("fanIn").Error("applies to sparse connectivity only");
  }
  return Status::Ok();
}

Status ParseModel(const YamlReader& r, JobSpec* spec) {
  RETURN_IF_ERROR(r.ExpectMap({"inputSize", "layers", "init", "weights"}));
  RETURN_IF_ERROR(r.Required("inputSize", &spec->model.input_size));
  if (!r.Has("layers")) return r.Child("layers").Error("is required");
  ASSIGN_OR_RETURN(std::vector<YamlReader> layers, r.Child("layers").Items());
  for (const YamlReader& l : layers) {
    spec->model.layers.emplace_back();
    RETURN_IF_ERROR(ParseLayer(l, &spec->model.layers.back()));
  }
  if (r.Has("init")) {
    YamlReader init = r.Child("init");
    RETURN_IF_ERROR(init.ExpectMap({"seed"}));
    RETURN_IF_ERROR(init.Optional("seed", &spec->init_seed));
  }
  RETURN_IF_ERROR(r.Optional("weights", &spec->weights));
  if (r.Has("init") && r.Has("weights")) {
    return r.Child("weights").Error("give either init or weights, not both");
  }
  return Status::Ok();
}

template <typename T, typename Convert>
Status ParseList(const YamlReader& r, const char* key, std::vector<T>* out, Convert convert) {
  if (!r.Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<YamlReader> items, r.Child(key).Items());
  for (const YamlReader& item : items) {
    ASSIGN_OR_RETURN(T v, convert(item));
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> StringItems(const YamlReader& r) {
  ASSIGN_OR_RETURN(std::vector<YamlReader> items, r.Items());
  std::vector<std::string> out;
  for (const YamlReader& item : items) {
    ASSIGN_OR_RETURN(std::string s, item.AsString());
    out.push_back(std::move(s));
  }
  return out;
}

Status ParseDistribution(const YamlReader& r, DistributionSpec* d) {
  RETURN_IF_ERROR(r.ExpectMap({"partitions", "strategy", "counts", "percentages", "scope",
                               "identifiers", "layers", "capacities", "allowEmpty"}));
  RETURN_IF_ERROR(r.Optional("partitions", &d->partitions));
  std::string strategy = "balanced", scope = "global";
  RETURN_IF_ERROR(r.Optional("strategy", &strategy));
  RETURN_IF_ERROR(r.Optional("scope", &scope));
  StatusOr<Strategy> s = ParseStrategy(strategy);
  if (!s.ok()) return r.Child("strategy").Error(s.status().message());
  d->strategy = *s;
  StatusOr<Scope> sc = ParseScope(scope);
  if (!sc.ok()) return r.Child("scope").Error(sc.status().message());
  d->scope = *sc;
  RETURN_IF_ERROR(ParseList(r, "counts", &d->counts, [](const YamlReader& i) { return i.AsInt(); }));
  RETURN_IF_ERROR(
      ParseList(r, "percentages", &d->percentages, [](const YamlReader& i) { return i.AsDouble(); }));
  RETURN_IF_ERROR(
      ParseList(r, "capacities", &d->capacities, [](const YamlReader& i) { return i.AsDouble(); }));
  RETURN_IF_ERROR(ParseList(r, "identifiers", &d->identifiers, StringItems));
  RETURN_IF_ERROR(ParseList(r, "layers", &d->layers, StringItems));
  RETURN_IF_ERROR(r.Optional("allowEmpty", &d->allow_empty));
  return Status::Ok();
}

Status ParseDataset(const YamlReader& r, DatasetSpec* d) {
  RETURN_IF_ERROR(r.ExpectMap({"format", "images", "labels", "testImages", "testLabels", "path",
                               "testPath", "labelColumn", "samples", "testSamples", "seed"}));
  std::string format;
  RETURN_IF_ERROR(r.Required("format", &format));
  if (format == "idx") {
    d->format = DatasetSpec::Format::kIdx;
    RETURN_IF_ERROR(r.Required("images", &d->images));
    RETURN_IF_ERROR(r.Required("labels", &d->labels));
  } else if (format == "csv") {
    d->format = DatasetSpec::Format::kCsv;
    RETURN_IF_ERROR(r.Required("path", &d->path));
  } else if (format == "synthetic") {
    d->format = DatasetSpec::Format::kSynthetic;
    RETURN_IF_ERROR(r.Required("samples", &d->samples));
  } else {
    return r.Child("format").Error("must be idx, csv or synthetic, got \"" + format + "\"");
  }
  RETURN_IF_ERROR(r.Optional("testImages", &d->test_images));
  RETURN_IF_ERROR(r.Optional("testLabels", &d->test_labels));
  RETURN_IF_ERROR(r.Optional("testPath", &d->test_path));
  RETURN_IF_ERROR(r.Optional("labelColumn", &d->label_column));
  RETURN_IF_ERROR(r.Optional("testSamples", &d->test_samples));
  RETURN_IF_ERROR(r.Optional("seed", &d->seed));
  return Status::Ok();
}

Status ParseTraining(const YamlReader& r, TrainingSpec* t) {
  RETURN_IF_ERROR(r.ExpectMap({"dataset", "epochs", "maxSteps", "batchSize", "microBatches",
                               "optimizer", "shuffle", "seed", "checkpointEvery"}));
  if (!r.Has("dataset")) return r.Child("dataset").Error("is required");
  RETURN_IF_ERROR(ParseDataset(r.Child("dataset"), &t->dataset));
  RETURN_IF_ERROR(r.Optional("epochs", &t->epochs));
  RETURN_IF_ERROR(r.Optional("maxSteps", &t->max_steps));
  RETURN_IF_ERROR(r.Optional("batchSize", &t->batch_size));
  RETURN_IF_ERROR(r.Optional("microBatches", &t->micro_batches));
  RETURN_IF_ERROR(r.Optional("shuffle", &t->shuffle));
  RETURN_IF_ERROR(r.Optional("seed", &t->seed));
  RETURN_IF_ERROR(r.Optional("checkpointEvery", &t->checkpoint_every));
  if (r.Has("optimizer")) {
    YamlReader o = r.Child("optimizer");
    RETURN_IF_ERROR(o.ExpectMap({"type", "learningRate", "momentum", "weightDecay"}));
    std::string type = "sgd";
    RETURN_IF_ERROR(o.Optional("type", &type));
    if (type != "sgd") return o.Child("type").Error("must be sgd, got \"" + type + "\"");
    RETURN_IF_ERROR(o.Optional("learningRate", &t->optimizer.learning_rate));
    RETURN_IF_ERROR(o.Optional("momentum", &t->optimizer.momentum));
    RETURN_IF_ERROR(o.Optional("weightDecay", &t->optimizer.weight_decay));
  }
  return Status::Ok();
}

Status ParseStorage(const YamlReader& r, StorageSpec* s) {
  RETURN_IF_ERROR(r.ExpectMap({"persistentVolumeClaim", "subPath", "directory"}));
  if (r.Has("persistentVolumeClaim")) {
    YamlReader pvc = r.Child("persistentVolumeClaim");
    RETURN_IF_ERROR(pvc.ExpectMap({"claimName"}));
    RETURN_IF_ERROR(pvc.Required("claimName", &s->claim_name));
  }
  RETURN_IF_ERROR(r.Optional("subPath", &s->sub_path));
  RETURN_IF_ERROR(r.Optional("directory", &s->directory));
  return Status::Ok();
}

// spec.worker.resources.limits.memory, the one resource a job is checked against; the CRD's
// schema checks the rest of spec.worker.resources.
Status ParseMemoryLimit(const YamlReader& worker, double* bytes) {
  if (!worker.Has("resources") || !worker.Child("resources").Has("limits")) return Status::Ok();
  const YamlReader limits = worker.Child("resources").Child("limits");
  if (!limits.Has("memory")) return Status::Ok();
  const YamlReader memory = limits.Child("memory");
  ASSIGN_OR_RETURN(std::string text, memory.AsString());
  StatusOr<double> parsed = ParseQuantityText(text);
  if (!parsed.ok()) return memory.Error(parsed.status().message());
  *bytes = *parsed;
  return Status::Ok();
}

Status ParseSpec(const YamlReader& r, JobSpec* spec) {
  RETURN_IF_ERROR(r.ExpectMap({"model", "distribution", "mode", "training", "storage", "worker",
                               "transport", "backoffLimit", "suspend", "pendingDeadlineSeconds"}));
  if (!r.Has("model")) return r.Child("model").Error("is required");
  RETURN_IF_ERROR(ParseModel(r.Child("model"), spec));
  if (r.Has("distribution")) RETURN_IF_ERROR(ParseDistribution(r.Child("distribution"), &spec->distribution));
  std::string mode = "train";
  RETURN_IF_ERROR(r.Optional("mode", &mode));
  if (mode != "train" && mode != "serve") {
    return r.Child("mode").Error("must be train or serve, got \"" + mode + "\"");
  }
  spec->mode = mode == "train" ? JobMode::kTrain : JobMode::kServe;
  if (r.Has("training")) {
    RETURN_IF_ERROR(ParseTraining(r.Child("training"), &spec->training));
  } else if (spec->mode == JobMode::kTrain) {
    return r.Child("training").Error("is required when mode is train");
  }
  if (r.Has("storage")) RETURN_IF_ERROR(ParseStorage(r.Child("storage"), &spec->storage));
  if (r.Has("worker")) {
    YamlReader w = r.Child("worker");
    // Only the image matters here; the rest is the operator's (the CRD schema checks it).
    RETURN_IF_ERROR(w.ExpectMap({"image", "resources", "totalRequests", "nodeSelector",
                                 "tolerations", "affinity", "priorityClassName", "schedulerName",
                                 "serviceAccountName", "imagePullSecrets", "runAsUser",
                                 "fsGroup"}));
    RETURN_IF_ERROR(w.Optional("image", &spec->worker_image));
    RETURN_IF_ERROR(ParseMemoryLimit(w, &spec->worker_memory_limit));
  }
  if (r.Has("transport")) {
    YamlReader t = r.Child("transport");
    RETURN_IF_ERROR(
        t.ExpectMap({"dtype", "encryption", "timeoutSeconds", "rendezvousTimeoutSeconds"}));
    RETURN_IF_ERROR(t.Optional("dtype", &spec->transport.dtype));
    RETURN_IF_ERROR(t.Optional("encryption", &spec->transport.encryption));
    RETURN_IF_ERROR(t.Optional("timeoutSeconds", &spec->transport.timeout_seconds));
    RETURN_IF_ERROR(
        t.Optional("rendezvousTimeoutSeconds", &spec->transport.rendezvous_timeout_seconds));
  }
  RETURN_IF_ERROR(r.Optional("backoffLimit", &spec->backoff_limit));
  RETURN_IF_ERROR(r.Optional("suspend", &spec->suspend));
  RETURN_IF_ERROR(r.Optional("pendingDeadlineSeconds", &spec->pending_deadline_seconds));
  return Status::Ok();
}

Status ParseDocument(const YamlReader& doc, JobSpec* spec) {
  RETURN_IF_ERROR(doc.ExpectMap({"apiVersion", "kind", "metadata", "spec"}));
  std::string api_version, kind;
  RETURN_IF_ERROR(doc.Required("apiVersion", &api_version));
  RETURN_IF_ERROR(doc.Required("kind", &kind));
  if (api_version != "neuropart.io/v1alpha1") {
    return doc.Child("apiVersion").Error("must be neuropart.io/v1alpha1, got \"" + api_version + "\"");
  }
  if (kind != "NeuralPartition") {
    return doc.Child("kind").Error("must be NeuralPartition, got \"" + kind + "\"");
  }
  if (!doc.Has("metadata")) return doc.Child("metadata").Error("is required");
  YamlReader meta = doc.Child("metadata");
  RETURN_IF_ERROR(meta.ExpectMap({"name", "namespace", "labels", "annotations"}));
  RETURN_IF_ERROR(meta.Required("name", &spec->name));
  RETURN_IF_ERROR(meta.Optional("namespace", &spec->namespace_name));
  // The CRD refuses the same names at `kubectl apply` (its metadata.name rules).
  static const std::regex kDns1035Label("[a-z]([-a-z0-9]{0,38}[a-z0-9])?");
  if (!std::regex_match(spec->name, kDns1035Label)) {
    return meta.Child("name").Error(
        "must be a DNS-1035 label of at most 40 characters (lowercase letters, digits and '-', "
        "starting with a letter; it names pods and Services), got \"" + spec->name + "\"");
  }
  if (!doc.Has("spec")) return doc.Child("spec").Error("is required");
  return ParseSpec(doc.Child("spec"), spec);
}

Status AtMost(const std::string& field, int64_t v, int64_t max) {
  if (v <= max) return Status::Ok();
  return InvalidArgumentError(field + ": must be <= " + std::to_string(max) + ", got " +
                              std::to_string(v));
}

// The limits a model's layers keep together; each layer's own are Architecture::Validate's.
// REQUIRES: model.Validate() is OK, so each layer's parameters fit in 2^61 and the sum, stopped
// at the limit, never overflows.
Status CheckModelSize(const Architecture& model) {
  if (model.num_layers() > kMaxLayers) {
    return InvalidArgumentError("spec.model.layers: must have at most " +
                                std::to_string(kMaxLayers) + " layers, got " +
                                std::to_string(model.num_layers()));
  }
  int64_t parameters = 0;
  for (int l = 0; l < model.num_layers(); ++l) {
    parameters += model.layers[l].neurons * (model.FanIn(l) + 1);
    if (parameters > kMaxModelParameters) {
      return InvalidArgumentError(
          "spec.model.layers[" + std::to_string(l) + "].neurons: the model has more than " +
          std::to_string(kMaxModelParameters) + " parameters up to this layer (the limit)");
    }
  }
  return Status::Ok();
}

std::string ErrorPath(const std::string& message) {
  std::string path = message.substr(0, message.find(": "));
  // "spec.model.layers[2] (h3).activation" -> "spec.model.layers[2].activation"
  for (size_t open; (open = path.find(" (")) != std::string::npos;) {
    path.erase(open, path.find(')', open) - open + 1);
  }
  return path;
}

}  // namespace

Status Locate(const Status& status, const SourceMap& source) {
  if (status.ok() || status.message().find(" (" + source.file + ":") != std::string::npos) {
    return status;
  }
  return Status(status.code(), status.message() + source.Locate(ErrorPath(status.message())));
}

Status ValidateJob(const JobSpec& spec) {
  if (Status s = spec.model.Validate(); !s.ok()) {
    return Status(s.code(), "spec.model." + s.message());
  }
  RETURN_IF_ERROR(CheckModelSize(spec.model));
  const TrainingSpec& t = spec.training;
  auto at_least = [](const char* field, int64_t v, int64_t min) {
    if (v >= min) return Status::Ok();
    return InvalidArgumentError(std::string("spec.training.") + field + ": must be >= " +
                                std::to_string(min) + ", got " + std::to_string(v));
  };
  if (spec.mode == JobMode::kTrain) {
    const int last = spec.model.num_layers() - 1;
    if (spec.model.layers[last].activation != Activation::kSoftmax) {
      return InvalidArgumentError("spec.model.layers[" + std::to_string(last) +
                                  "].activation: training needs softmax on the last layer "
                                  "(cross-entropy loss)");
    }
    RETURN_IF_ERROR(at_least("epochs", t.epochs, 1));
    RETURN_IF_ERROR(at_least("maxSteps", t.max_steps, 0));
    RETURN_IF_ERROR(at_least("batchSize", t.batch_size, 1));
    RETURN_IF_ERROR(at_least("microBatches", t.micro_batches, 1));
    RETURN_IF_ERROR(at_least("checkpointEvery", t.checkpoint_every, 0));
    if (t.micro_batches > t.batch_size) {
      return InvalidArgumentError("spec.training.microBatches: must be <= batchSize (" +
                                  std::to_string(t.batch_size) + "), got " +
                                  std::to_string(t.micro_batches));
    }
    if (t.dataset.format == DatasetSpec::Format::kSynthetic) {
      RETURN_IF_ERROR(at_least("dataset.samples", t.dataset.samples, 1));
      RETURN_IF_ERROR(at_least("dataset.testSamples", t.dataset.test_samples, 0));
      RETURN_IF_ERROR(AtMost("spec.training.dataset.samples", t.dataset.samples, kMaxSamples));
      RETURN_IF_ERROR(
          AtMost("spec.training.dataset.testSamples", t.dataset.test_samples, kMaxSamples));
    }
    if (t.dataset.label_column < 0) {
      return InvalidArgumentError("spec.training.dataset.labelColumn: must be >= 0");
    }
    if (!(t.optimizer.learning_rate > 0)) {
      return InvalidArgumentError("spec.training.optimizer.learningRate: must be > 0");
    }
    if (!(t.optimizer.momentum >= 0 && t.optimizer.momentum < 1)) {
      return InvalidArgumentError("spec.training.optimizer.momentum: must be in [0, 1)");
    }
    if (!(t.optimizer.weight_decay >= 0)) {
      return InvalidArgumentError("spec.training.optimizer.weightDecay: must be >= 0");
    }
  }
  const std::string& dtype = spec.transport.dtype;
  if (dtype != "fp32" && dtype != "fp16" && dtype != "bf16") {
    return InvalidArgumentError("spec.transport.dtype: must be fp32, fp16 or bf16, got \"" + dtype +
                                "\"");
  }
  const std::string& encryption = spec.transport.encryption;
  if (encryption != "curve" && encryption != "none") {
    return InvalidArgumentError("spec.transport.encryption: must be curve or none, got \"" +
                                encryption + "\"");
  }
  if (spec.transport.rendezvous_timeout_seconds < 1) {
    return InvalidArgumentError("spec.transport.rendezvousTimeoutSeconds: must be >= 1");
  }
  if (spec.pending_deadline_seconds < 0) {
    return InvalidArgumentError("spec.pendingDeadlineSeconds: must be >= 0 (0: no deadline)");
  }
  if (spec.transport.timeout_seconds < 1) {
    return InvalidArgumentError("spec.transport.timeoutSeconds: must be >= 1");
  }
  if (spec.backoff_limit < 0) return InvalidArgumentError("spec.backoffLimit: must be >= 0");
  return Status::Ok();
}

StatusOr<ParsedJob> ParseJob(const std::string& text, const std::string& file) {
  ParsedJob job;
  job.source.file = file;
  ASSIGN_OR_RETURN(YamlReader root, YamlReader::Parse(text, &job.source));
  RETURN_IF_ERROR(ParseDocument(root, &job.spec));
  RETURN_IF_ERROR(Locate(ValidateJob(job.spec), job.source));
  return job;
}

StatusOr<ParsedJob> LoadJobFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileAtMost(path, kMaxJobFileBytes, "a job file"));
  return ParseJob(text, path);
}

StepCostOptions StepCostsOf(const JobSpec& spec) {
  StepCostOptions costs = spec.distribution.costs;
  costs.batch_size = spec.training.batch_size;
  costs.micro_batches = spec.training.micro_batches;
  costs.bytes_per_value = spec.transport.dtype == "fp32" ? 4 : 2;
  costs.capacities = spec.distribution.capacities;
  return costs;
}

StatusOr<Plan> PlanJob(const ParsedJob& job) {
  DistributionSpec distribution = job.spec.distribution;
  distribution.costs = StepCostsOf(job.spec);
  StatusOr<Plan> plan = Distribute(job.spec.model, distribution);
  if (!plan.ok()) return Locate(plan.status(), job.source);
  if (job.spec.worker_memory_limit > 0) {
    RETURN_IF_ERROR(Locate(CheckPartitionMemory(job.spec, *plan, job.spec.worker_memory_limit,
                                                "spec.worker.resources.limits.memory"),
                           job.source));
  }
  return plan;
}

}  // namespace neuropart
