// neuropart: plan and run neural networks split across partitions.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "calibration.h"
#include "commands.h"
#include "neuropart/app/flags.h"
#include "neuropart/engine/math_threads.h"

namespace {

const char* kUsage = R"(neuropart — one neural network, its neurons split across partitions.

Usage: neuropart <command> [flags]

Commands:
  plan JOB.yaml   run the Neuron Distributor and show who owns which neurons
  run JOB.yaml    train (or serve) the job; --reference runs the single-process trainer
  infer JOB.yaml  ask a serving job (or the reference model) for outputs on input rows
  keys JOB.yaml   write fresh link keys for workers started by hand (containers)

Run `neuropart <command> --help` for the command's flags, `neuropart --version` for the version.
Exit codes: 0 ok, 2 bad input (job file, flags), 1 runtime failure.
)";

// libgomp lets idle math threads sleep on a futex; on this project's 2-core VMs waking them costs
// about a millisecond, which made the 2-thread reference trainer 12x slower than 1 thread on the
// Fashion-MNIST MLP (7.6k vs 94k samples/s; 111k with spinning threads). libgomp reads its
// settings when it loads, before main, so the program runs itself again with threads that spin.
// Workers inherit it; with one math thread each (the launcher's split) they never spin.
void PreferSpinningMathThreads(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "active", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

}  // namespace

int main(int argc, char** argv) {
  PreferSpinningMathThreads(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? neuropart::kExitBadInput : neuropart::kExitOk;
  }
  if (args[0] == "--version") {
    std::printf("%s\nGEMM: OpenBLAS, %s kernels\n", neuropart::VersionLine().c_str(),
                neuropart::GemmKernels().c_str());
    return neuropart::kExitOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "plan") return neuropart::cli::PlanCommand(args);
  if (command == "run") return neuropart::cli::RunCommand(args);
  if (command == "infer") return neuropart::cli::InferCommand(args);
  if (command == "keys") return neuropart::cli::KeysCommand(args);
  if (command == neuropart::cli::kProbeCommand) return neuropart::cli::ProbeComputeCommand(args);
  if (command == neuropart::cli::kEchoCommand) return neuropart::cli::ProbeEchoCommand(args);
  std::fprintf(stderr, "neuropart: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
  return neuropart::kExitBadInput;
}
