// neuropart infer: runs the job's model forward on input rows, through a serving job or in this
// process, and prints one CSV line per row.
#include <cstdio>

#include "commands.h"
#include "neuropart/app/flags.h"
#include "neuropart/engine/reference_trainer.h"
#include "neuropart/exec/training_session.h"
#include "neuropart/job/job_data.h"
#include "neuropart/job/job_file.h"
#include "neuropart/plan/distributor.h"
#include "serve_client.h"

namespace neuropart::cli {
namespace {

const char* kAbout = R"(Runs the job's model forward on input rows and prints, on stdout, a header
and then one CSV line per row: the predicted class (the largest output) and every output
(probabilities for a softmax layer). With --connect the rows go to a job that `neuropart run`
serves (spec.mode: serve); with --reference they are computed in this process from the job's
last checkpoint in the store (else spec.model.weights, else the seed) — the same weights a
serving job loads. When the rows come from the job's test set, the accuracy goes to stderr. Give
exactly one of --connect and --reference.)";

StatusOr<MatrixF> ReferenceOutputs(const JobSpec& spec, const std::string& store, const MatrixF& x) {
  DistributionSpec whole;
  whole.partitions = 1;
  whole.strategy = Strategy::kBalanced;
  ASSIGN_OR_RETURN(Plan plan, Distribute(spec.model, whole));
  ASSIGN_OR_RETURN(InitialSlices init, LoadInitialSlices(spec, plan, 0, store, /*with_optimizer_state=*/false));
  ReferenceTrainer model(spec.model, std::move(init.params), {});
  return model.Forward(x);
}

void PrintOutputs(const MatrixF& y) {
  std::printf("predicted");
  for (int64_t j = 0; j < y.cols(); ++j) std::printf(",out%lld", static_cast<long long>(j));
  std::printf("\n");
  for (int64_t i = 0; i < y.rows(); ++i) {
    Eigen::Index best;
    y.row(i).maxCoeff(&best);
    std::printf("%lld", static_cast<long long>(best));
    for (int64_t j = 0; j < y.cols(); ++j) std::printf(",%.9g", y(i, j));
    std::printf("\n");
  }
}

}  // namespace

int InferCommand(const std::vector<std::string>& args) {
  std::string job_path, connect, input, store, keys_dir;
  bool reference = false;
  int64_t rows = 10, timeout_seconds = 30;
  Flags flags("neuropart infer", kAbout);
  flags.Positional("JOB.yaml", &job_path, "the job file");
  flags.String("--connect", &connect, "endpoint of a serving job's coordinator, tcp://host:port");
  flags.Bool("--reference", &reference, "compute in this process instead of asking a serving job");
  flags.String("--input", &input, "CSV file of input rows (default: the job's test set)");
  flags.Int("--rows", &rows, "use the first N rows; 0 = all");
  flags.String("--store", &store,
               "store directory (default: spec.storage.directory, else ./neuropart-store)");
  flags.Int("--timeout-seconds", &timeout_seconds, "give up on a serving job after this long");
  flags.String("--keys", &keys_dir,
               "with --connect to an encrypted job: the directory holding public.keys and "
               "client.secret (default: the local run's, <store>/jobs/<job>/keys)");
  if (std::optional<int> exit = flags.ParseOrExit(args)) return *exit;
  if (connect.empty() == !reference) {
    return ReportError(InvalidArgumentError("give exactly one of --connect and --reference"));
  }
  StatusOr<ParsedJob> job = LoadJobFile(job_path);
  if (!job.ok()) return ReportError(job.status());
  const JobSpec& spec = job->spec;

  MatrixF x;
  std::vector<int32_t> labels;
  if (!input.empty()) {
    StatusOr<MatrixF> read = LoadCsvRows(input, spec.model.input_size);
    if (!read.ok()) return ReportError(read.status());
    x = std::move(*read);
  } else {
    StatusOr<JobData> data = LoadJobData(spec);
    if (!data.ok()) return ReportError(data.status());
    const Dataset& set = data->test.size() > 0 ? data->test : data->train;
    std::vector<int64_t> all(set.size());
    for (int64_t i = 0; i < set.size(); ++i) all[i] = i;
    GatherBatch(set, all, &x, &labels);
  }
  if (rows > 0 && rows < x.rows()) {
    x.conservativeResize(rows, Eigen::NoChange);
    labels.resize(std::min<size_t>(labels.size(), rows));
  }

  StatusOr<MatrixF> y = InvalidArgumentError("no rows");
  if (reference) {
    y = ReferenceOutputs(spec, StoreDir(store, spec), x);
  } else {
    StatusOr<Plan> plan = PlanJob(*job);
    if (!plan.ok()) return ReportError(plan.status());
    std::optional<worker::JobKeys> keys;
    if (spec.transport.encrypted()) {
      if (keys_dir.empty()) keys_dir = JobKeysDir(StoreDir(store, spec), spec);
      StatusOr<worker::JobKeys> read =
          worker::ReadJobKeys(keys_dir, plan->num_partitions(), worker::kClientKeyOwner);
      if (!read.ok()) {
        return ReportError(read.status().WithContext(
            "--keys (the job's links are encrypted: a local run keeps its client key under "
            "--store, in jobs/" + spec.name + "/keys)"));
      }
      keys = std::move(*read);
    }
    StatusOr<std::unique_ptr<worker::ServeClient>> client =
        worker::ServeClient::Connect(connect, plan->hash(), keys);
    if (!client.ok()) return ReportError(client.status());
    y = (*client)->Infer(x, std::chrono::seconds(timeout_seconds));
  }
  if (!y.ok()) return ReportError(y.status());
  PrintOutputs(*y);
  if (!labels.empty()) {
    int64_t correct = 0;
    for (int64_t i = 0; i < y->rows(); ++i) {
      Eigen::Index best;
      y->row(i).maxCoeff(&best);
      correct += best == labels[i];
    }
    std::fprintf(stderr, "accuracy: %.4f over %lld test rows\n",
                 static_cast<double>(correct) / y->rows(), static_cast<long long>(y->rows()));
  }
  return kExitOk;
}

}  // namespace neuropart::cli
