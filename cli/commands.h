// The neuropart subcommands. Each takes its arguments (after the subcommand name) and returns
// the process exit code: 0 ok, 2 bad input, 1 runtime failure.
#ifndef NEUROPART_CLI_COMMANDS_H_
#define NEUROPART_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "neuropart/job/job_spec.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/status.h"
#include "link_calibration.h"

namespace neuropart::cli {

int PlanCommand(const std::vector<std::string>& args);
int RunCommand(const std::vector<std::string>& args);
int InferCommand(const std::vector<std::string>& args);
int KeysCommand(const std::vector<std::string>& args);

// The store directory: the --store flag if given, else spec.storage.directory, else
// ./neuropart-store.
std::string StoreDir(const std::string& store_flag, const JobSpec& spec);
// Where a local run keeps the job's CURVE keys (worker/job_keys.h): <store>/jobs/<job>/keys.
std::string JobKeysDir(const std::string& store, const JobSpec& spec);

// A local run's links, from the --links flag of run and plan: shm (Unix-domain sockets with
// shared-memory rings beside them), ipc (the sockets alone) or tcp as given; auto is shm to train
// and tcp to serve (clients come over TCP). InvalidArgument for another value, or shm or ipc for
// a serving job.
struct LocalLinks {
  bool ipc = false;
  bool shm = false;
  LinkKind kind() const { return shm ? LinkKind::kShm : ipc ? LinkKind::kIpc : LinkKind::kTcp; }
};
StatusOr<LocalLinks> ParseLinks(const std::string& links, const JobSpec& spec);

// Prints "neuropart: <message>" to stderr and returns the exit code for the status's code.
int ReportError(const Status& status);

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_COMMANDS_H_
