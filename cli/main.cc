// neuropart: plan and run neural networks split across partitions.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

namespace {

const char* kUsage = R"(neuropart — one neural network, its neurons split across partitions.

Usage: neuropart <command> [flags]

Commands:
  plan JOB.yaml   run the Neuron Distributor and show who owns which neurons
  run JOB.yaml    train (or serve) the job; --reference runs the single-process trainer
  infer JOB.yaml  ask a serving job (or the reference model) for outputs on input rows

Run `neuropart <command> --help` for the command's flags.
Exit codes: 0 ok, 2 bad input (job file, flags), 1 runtime failure.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? neuropart::cli::kExitBadInput : neuropart::cli::kExitOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "plan") return neuropart::cli::PlanCommand(args);
  if (command == "run") return neuropart::cli::RunCommand(args);
  if (command == "infer") return neuropart::cli::InferCommand(args);
  std::fprintf(stderr, "neuropart: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
  return neuropart::cli::kExitBadInput;
}
