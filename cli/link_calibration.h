// Link calibration: what a message costs between two local worker processes, for the cost model
// (MachineCosts::message_seconds, message_cpu_seconds, link_bytes_per_second).
//
// This process and an echo process (`neuropart __probe-echo`, spawned here) each own a
// ZmqTransport over the links a local run uses (TCP, Unix-domain sockets, or those plus the
// shared-memory rings) and ping-pong blocks of two sizes. Two processes, not two threads of one:
// between processes each message wakes a sleeping receiver, which a ring round trip between
// threads of one process (3 us) did not show, and which is most of what a message costs.
// The CPU time is both processes' (the echo's read through its CPU-time clock). Where there are
// two CPUs, the ping-pong runs twice, the ends pinned to one core and to two, and the figures are
// the mean (why: MeasureLinks).
#ifndef NEUROPART_CLI_LINK_CALIBRATION_H_
#define NEUROPART_CLI_LINK_CALIBRATION_H_

#include <string>
#include <vector>

#include "neuropart/plan/step_costs.h"
#include "neuropart/status.h"

namespace neuropart::cli {

enum class LinkKind { kTcp, kIpc, kShm };

// Times the round trips and writes the three link figures into *costs. Takes ~0.1 s.
Status MeasureLinks(LinkKind kind, MachineCosts* costs);

// The hidden subcommand the echo process runs: `neuropart __probe-echo ENDPOINT0 ENDPOINT1
// LISTEN_FD MESSAGES CPU [SHM_LINKS]` is partition 1 of two, listening on its inherited LISTEN_FD
// (ENDPOINT1), and answers each of MESSAGES messages from partition 0 with one of the same size,
// on CPU (-1: any). The two ends run on different CPUs where there are two (TwoCpus).
inline constexpr char kEchoCommand[] = "__probe-echo";
int ProbeEchoCommand(const std::vector<std::string>& args);

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_LINK_CALIBRATION_H_
