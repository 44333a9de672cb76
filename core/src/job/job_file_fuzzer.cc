// libFuzzer harness for the job-file loader (ParseJob) and the Neuron Distributor behind it,
// built by the fuzz preset (docs/fuzzing.md).
//
// Input: a job file (YAML). Beyond "never crash": a job that parses also validates, and a plan
// made for it prints to YAML that loads as the same plan.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_require.h"
#include "neuropart/job/job_file.h"
#include "neuropart/plan/plan_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  const std::string text(reinterpret_cast<const char*>(data), size);
  StatusOr<ParsedJob> job = ParseJob(text, "fuzz.yaml");
  if (!job.ok()) return 0;
  FuzzRequire(ValidateJob(job->spec).ok(), "a parsed job validates");
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return 0;
  const std::string yaml = PlanToYaml(*plan);
  StatusOr<Plan> again = PlanFromText(yaml, "plan.yaml");
  FuzzRequire(again.ok(), "a job's plan, printed as YAML, loads");
  FuzzRequire(PlanToYaml(*again) == yaml, "a job's plan loads as the same plan");
  return 0;
}
