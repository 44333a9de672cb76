// neuropart keys: fresh CURVE keys for a job, for workers started by hand (containers without
// the operator). `neuropart run` and the operator make their own.
#include <cstdio>

#include "commands.h"
#include "job_keys.h"
#include "neuropart/app/flags.h"
#include "neuropart/job/job_file.h"

namespace neuropart::cli {
namespace {

const char* kAbout = R"(Writes fresh CURVE keys for JOB.yaml's partitions into DIR (worker/job_keys.h):
public.keys, one partition-<q>.secret per partition, client.secret and status.token; the
directory 0700, the files 0600. Give partition q's worker DIR as --keys (NEUROPART_KEYS) with at
least public.keys and partition-<q>.secret in it; `neuropart infer --keys DIR` uses
client.secret. Not needed for `neuropart run` or on Kubernetes, which make their own.)";

}  // namespace

int KeysCommand(const std::vector<std::string>& args) {
  std::string job_path, output;
  Flags flags("neuropart keys", kAbout);
  flags.Positional("JOB.yaml", &job_path, "the job file");
  flags.String("--output", &output, "the directory to write the keys to (required)");
  if (std::optional<int> exit = flags.ParseOrExit(args)) return *exit;
  if (output.empty()) return ReportError(InvalidArgumentError("--output: required"));
  StatusOr<ParsedJob> job = LoadJobFile(job_path);
  if (!job.ok()) return ReportError(job.status());
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return ReportError(plan.status());
  if (Status s = worker::WriteJobKeys(output, plan->num_partitions()); !s.ok()) {
    return ReportError(s);
  }
  std::printf("keys for %d partitions and a client: %s\n", plan->num_partitions(),
              output.c_str());
  return kExitOk;
}

}  // namespace neuropart::cli
