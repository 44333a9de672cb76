// neuropart-hostile-peer: connects to a worker's listen endpoint and sends hostile messages, to
// check that the worker drops and counts them (its /metrics show them) and carries on.
//
//   neuropart-hostile-peer --connect=tcp://127.0.0.1:5555 --plan-hash=0x1234 --target=0
//       --partitions=2 [--impersonate=1] [--step=5] [--stale-step=0] [--attacks=all|a,b,...]
//       [--repeat=1] [--keys=DIR --key-owner=client|partition-N]
// With --keys it connects with CURVE as that key's owner (job_keys.h), to the target's key.
// Attacks: garbage bad_version unknown_type huge_length foreign_plan wrong_destination stale
// unknown_source no_hello; and, not in "all", hello abort (take over a partition, stop the job).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "job_keys.h"
#include "testing/hostile_peer.h"

namespace {

using neuropart::worker::Attack;

std::map<std::string, std::string> ParseFlags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "error: expected --name=value, got '%s'\n", arg.c_str());
      std::exit(2);
    }
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  return flags;
}

uint64_t Number(const std::map<std::string, std::string>& f, const std::string& name,
                uint64_t fallback) {
  auto it = f.find(name);
  return it == f.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 0);
}

std::vector<Attack> Attacks(const std::string& list) {
  if (list == "all") return {std::begin(neuropart::worker::kAllAttacks),
                             std::end(neuropart::worker::kAllAttacks)};
  std::vector<Attack> attacks;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string name = list.substr(start, comma - start);
    auto attack = neuropart::worker::ParseAttack(name);
    if (!attack.ok()) {
      std::fprintf(stderr, "error: %s\n", attack.status().ToString().c_str());
      std::exit(2);
    }
    attacks.push_back(*attack);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return attacks;
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = ParseFlags(argc, argv);
  if (flags.count("connect") == 0) {
    std::fprintf(stderr, "error: --connect is required\n");
    return 2;
  }
  neuropart::worker::AttackTarget target;
  target.plan_hash = Number(flags, "plan-hash", 0);
  target.target = static_cast<uint32_t>(Number(flags, "target", 0));
  target.num_partitions = static_cast<uint32_t>(Number(flags, "partitions", 2));
  target.impersonate = static_cast<uint32_t>(Number(flags, "impersonate", target.target == 0));
  target.step = Number(flags, "step", 0);
  target.stale_step = Number(flags, "stale-step", 0);
  const auto it = flags.find("attacks");
  const std::vector<Attack> attacks = Attacks(it == flags.end() ? "all" : it->second);
  std::optional<neuropart::worker::CurveOptions> curve;
  if (flags.count("keys") != 0) {
    auto keys = neuropart::worker::ReadJobKeys(flags.at("keys"), target.num_partitions,
                                               flags.count("key-owner") ? flags.at("key-owner")
                                                                        : "client");
    if (!keys.ok()) {
      std::fprintf(stderr, "error: %s\n", keys.status().ToString().c_str());
      return 2;
    }
    curve = neuropart::worker::CurveOptions{keys->own, keys->partition_public_keys[target.target]};
  }
  auto peer = neuropart::worker::RawPeer::Connect(flags.at("connect"), std::chrono::seconds(2),
                                                  curve);
  if (!peer.ok()) {
    std::fprintf(stderr, "error: %s\n", peer.status().ToString().c_str());
    return 1;
  }
  const uint64_t repeat = Number(flags, "repeat", 1);
  for (uint64_t r = 0; r < repeat; ++r) {
    for (Attack a : attacks) {
      neuropart::Status sent = (*peer)->SendFrames(AttackFrames(a, target));
      if (!sent.ok()) {
        std::fprintf(stderr, "error: %s\n", sent.ToString().c_str());
        return 1;
      }
      std::printf("sent %s\n", std::string(neuropart::worker::AttackName(a)).c_str());
    }
  }
  return 0;
}
