#include "neuropart/store/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <filesystem>
#include <functional>
#include <map>

#include "neuropart/base/json.h"
#include "neuropart/store/file_util.h"
#include "neuropart/store/model_io.h"
#include "neuropart/store/safetensors.h"
#include "neuropart/store/zlib.h"
#include "shard_rows.h"

namespace neuropart {
namespace {

namespace fs = std::filesystem;

// Older commits than the previous one are removed: a crash during a commit still leaves one.
constexpr int kCheckpointsKept = 2;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

// The stored files' JSON: strings and integers only, nested at most 64 deep.
constexpr JsonLimits kManifestJson{.max_depth = 64, .strings_and_integers_only = true};

std::string EncodeManifest(int64_t step, uint64_t plan_hash,
                           const std::vector<std::vector<ShardRange>>& ranges,
                           const std::vector<ShardInfo>& shards) {
  Json shard_list = Json::array();
  for (size_t p = 0; p < shards.size(); ++p) {
    Json range_list = Json::array();
    for (const ShardRange& r : ranges[p]) {
      range_list.push_back(Json::array({r.layer, r.begin, r.end}));
    }
    shard_list.push_back(Json::object({{"partition", p},
                                       {"bytes", shards[p].bytes},
                                       {"crc32", shards[p].checksum},
                                       {"ranges", std::move(range_list)}}));
  }
  return DumpJson(Json::object(
             {{"step", step}, {"plan_hash", Hex(plan_hash)}, {"shards", std::move(shard_list)}})) +
         "\n";
}

StatusOr<int64_t> IntegerField(const Json& object, std::string_view key,
                               const std::string& where) {
  const Json* v = FindMember(object, key);
  if (v == nullptr || !v->is_number_integer() || AsInt(*v) < 0) {
    return CorruptionError(where + ": \"" + std::string(key) +
                           "\" is missing or not a non-negative integer");
  }
  return AsInt(*v);
}

// A range [layer, begin, end] of non-negative integers with begin <= end.
bool IsRange(const Json& r) {
  const Json::array_t& v = Elements(r);
  return v.size() == 3 &&
         std::all_of(v.begin(), v.end(),
                     [](const Json& e) { return e.is_number_integer() && AsInt(e) >= 0; }) &&
         AsInt(v[1]) <= AsInt(v[2]);
}

// Parses the manifest of `dir` and checks every shard's size and checksum.
StatusOr<CheckpointRef> VerifyCheckpoint(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json m;
  JsonOffsets offsets;
  if (Status s = ParseJsonWithOffsets(text, kManifestJson, &m, &offsets); !s.ok()) {
    return s.WithContext(path);
  }
  CheckpointRef ref;
  ref.dir = dir;
  ASSIGN_OR_RETURN(ref.step, IntegerField(m, "step", path));
  const Json* hash = FindMember(m, "plan_hash");
  const Json* shards = FindMember(m, "shards");
  if (hash == nullptr || AsString(*hash).size() != 16 || shards == nullptr ||
      Elements(*shards).empty()) {
    return CorruptionError(path + ": needs \"plan_hash\" (16 hex digits) and \"shards\"");
  }
  ref.plan_hash = std::strtoull(AsString(*hash).c_str(), nullptr, 16);
  for (size_t p = 0; p < Elements(*shards).size(); ++p) {
    const Json& s = Elements(*shards)[p];
    const std::string where = path + ": shards[" + std::to_string(p) + "]";
    ASSIGN_OR_RETURN(int64_t bytes, IntegerField(s, "bytes", where));
    ASSIGN_OR_RETURN(int64_t crc, IntegerField(s, "crc32", where));
    const Json* ranges = FindMember(s, "ranges");
    if (ranges == nullptr || !ranges->is_array()) {
      return CorruptionError(where + ": \"ranges\" is missing");
    }
    std::vector<ShardRange> rs;
    for (const Json& r : Elements(*ranges)) {
      if (!IsRange(r)) {
        return CorruptionError(where + ": a range at byte " + std::to_string(offsets.Of(r)) +
                               " is not [layer, begin, end]");
      }
      const Json::array_t& v = Elements(r);
      rs.push_back({static_cast<int>(AsInt(v[0])), AsInt(v[1]), AsInt(v[2])});
    }
    ref.shard_ranges.push_back(std::move(rs));
    const std::string shard_path = ShardPath(dir, static_cast<int>(p));
    ASSIGN_OR_RETURN(FileChecksum shard, ChecksumFile(shard_path));
    if (shard.bytes != static_cast<uint64_t>(bytes) ||
        shard.crc32 != static_cast<uint64_t>(crc)) {
      return CorruptionError(shard_path + ": size or checksum differs from " + path);
    }
  }
  return ref;
}

// Committed steps found in checkpoints/, newest first.
std::vector<int64_t> CheckpointSteps(const std::string& store, const std::string& job) {
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(JobDir(store, job) + "/checkpoints", ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      steps.push_back(std::stoll(name));
    }
  }
  std::sort(steps.rbegin(), steps.rend());
  return steps;
}

// The checkpoint of `step`, verified, and holding that step.
StatusOr<CheckpointRef> VerifyStep(const std::string& store, const std::string& job,
                                   int64_t step) {
  StatusOr<CheckpointRef> ref = VerifyCheckpoint(CheckpointDir(store, job, step));
  if (ref.ok() && ref->step != step) return CorruptionError("step mismatch");
  return ref;
}

// Removes the checkpoints up to `step` but the newest kCheckpointsKept that verify and
// `resumed_from`. Counting only verified ones keeps a corrupt newer checkpoint from displacing
// the last good one; one that could not be read (an I/O error, not bad bytes) is left alone.
void RemoveUnneeded(const std::string& store, const std::string& job, int64_t step,
                    std::optional<int64_t> resumed_from) {
  int verified = 0;
  for (int64_t s : CheckpointSteps(store, job)) {
    if (s > step || s == resumed_from) continue;
    if (verified < kCheckpointsKept) {
      const Status why = VerifyStep(store, job, s).status();
      if (why.ok()) {
        ++verified;
        continue;
      }
      if (why.code() != StatusCode::kCorruption && why.code() != StatusCode::kNotFound) continue;
    }
    std::error_code ec;
    fs::remove_all(CheckpointDir(store, job, s), ec);  // best effort: a leftover is harmless
  }
}

// What LATEST says: the step it names, nullopt when it is missing, Corruption (naming the file
// and its content) when it holds anything but "<step>\n": strtoll would read "64junk" as 64.
StatusOr<std::optional<int64_t>> ReadLatest(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<int64_t>();
    return text.status();
  }
  std::string_view digits = *text;
  if (digits.ends_with('\n')) digits.remove_suffix(1);
  int64_t step = -1;
  const char* end = digits.data() + digits.size();
  const auto [stop, ec] = std::from_chars(digits.data(), end, step);
  if (digits.empty() || ec != std::errc() || stop != end || step < 0) {
    constexpr size_t kShown = 64;  // of a file that may hold anything
    return CorruptionError(path + ": " + DumpJson(Json(text->substr(0, kShown))) +
                           (text->size() > kShown ? "..." : "") + " is not a step number");
  }
  return std::optional<int64_t>(step);
}

// The newest checkpoint at or below `named` (all when nullopt) that verifies. `named` itself is
// tried first even when its directory is gone, so that *first_error says what is wrong with it.
std::optional<CheckpointRef> NewestVerified(const std::string& store, const std::string& job,
                                            std::optional<int64_t> named, Status* first_error) {
  std::vector<int64_t> steps = CheckpointSteps(store, job);
  if (named && std::find(steps.begin(), steps.end(), *named) == steps.end()) {
    steps.insert(std::upper_bound(steps.begin(), steps.end(), *named, std::greater<>()), *named);
  }
  for (int64_t step : steps) {
    if (named && step > *named) continue;  // written after LATEST: never committed
    StatusOr<CheckpointRef> ref = VerifyStep(store, job, step);
    if (ref.ok()) return std::move(ref).value();
    if (first_error->ok()) *first_error = ref.status();
  }
  return std::nullopt;
}

}  // namespace

std::string JobDir(const std::string& store, const std::string& job) {
  return store + "/jobs/" + job;
}

std::string CheckpointDir(const std::string& store, const std::string& job, int64_t step) {
  return JobDir(store, job) + "/checkpoints/" + std::to_string(step);
}

StatusOr<ShardInfo> WriteShard(const std::string& store, const std::string& job, int64_t step,
                               int partition, uint64_t plan_hash,
                               const std::vector<ShardSlice>& slices) {
  const std::string dir = CheckpointDir(store, job, step);
  RETURN_IF_ERROR(MakeDirs(dir));
  SafetensorsWriter w;  // refers to the rows in place: the shard is never a copy in memory
  w.SetMetadata("step", std::to_string(step));
  w.SetMetadata("plan_hash", Hex(plan_hash));
  w.SetMetadata("partition", std::to_string(partition));
  for (const ShardSlice& s : slices) {
    const LayerParams& p = *s.params;
    const std::string key = ShardRangeKey(s.layer, p.first_neuron, p.first_neuron + p.rows()) + "/";
    RETURN_IF_ERROR(w.Add(key + "weight", Dtype::kF32, {p.rows(), p.weight.cols()}, p.weight.data()));
    RETURN_IF_ERROR(w.Add(key + "bias", Dtype::kF32, {p.rows()}, p.bias.data()));
    if (p.index.size() > 0) {
      RETURN_IF_ERROR(w.Add(key + "index", Dtype::kI32, {p.rows(), p.index.cols()}, p.index.data()));
    }
    if (s.momentum != nullptr) {
      RETURN_IF_ERROR(w.Add(key + "momentum.weight", Dtype::kF32,
                            {p.rows(), s.momentum->weight.cols()}, s.momentum->weight.data()));
      RETURN_IF_ERROR(w.Add(key + "momentum.bias", Dtype::kF32, {p.rows()}, s.momentum->bias.data()));
    }
    w.SetMetadata(key + "optimizer_steps", std::to_string(s.optimizer_steps));
  }
  const std::string path = ShardPath(dir, partition);
  RETURN_IF_ERROR(w.WriteAtomic(path));
  // The checksum is of what is in the file, read back in blocks, not of what we meant to write.
  ASSIGN_OR_RETURN(FileChecksum written, ChecksumFile(path));
  return ShardInfo{written.bytes, written.crc32};
}

Status CommitCheckpoint(const std::string& store, const std::string& job, int64_t step,
                        uint64_t plan_hash, const std::vector<std::vector<ShardRange>>& shard_ranges,
                        const std::vector<ShardInfo>& shards, std::optional<int64_t> resumed_from) {
  const std::string dir = CheckpointDir(store, job, step);
  RETURN_IF_ERROR(
      WriteFileAtomic(dir + "/manifest.json", EncodeManifest(step, plan_hash, shard_ranges, shards)));
  RETURN_IF_ERROR(WriteFileAtomic(JobDir(store, job) + "/LATEST", std::to_string(step) + "\n"));
  RemoveUnneeded(store, job, step, resumed_from);
  return Status::Ok();
}

StatusOr<std::optional<CheckpointRef>> LatestCheckpoint(const std::string& store,
                                                        const std::string& job) {
  const std::string latest_path = JobDir(store, job) + "/LATEST";
  StatusOr<std::optional<int64_t>> named = ReadLatest(latest_path);
  if (!named.ok() && named.status().code() != StatusCode::kCorruption) return named.status();
  const std::optional<int64_t> limit = named.ok() ? *named : std::nullopt;
  Status first_error;
  std::optional<CheckpointRef> ref = NewestVerified(store, job, limit, &first_error);
  if (limit) {
    const std::string names = latest_path + " names step " + std::to_string(*limit);
    if (!ref) {
      return CorruptionError(names + " but no checkpoint verifies" +
                             (first_error.ok() ? "" : ": " + first_error.ToString()));
    }
    if (ref->step != *limit) {
      ref->warning = names + ", which does not verify (" + first_error.message() +
                     "); using step " + std::to_string(ref->step);
    }
    return ref;
  }
  // LATEST is missing or malformed, so which commit was the last is unknown: the newest that
  // verifies is, and the launcher says so. Without LATEST and without one, none ever was.
  if (!named.ok() && !ref) {
    return CorruptionError(named.status().message() + ", and no checkpoint verifies");
  }
  if (ref) {
    ref->warning = (named.ok() ? latest_path + " is missing" : named.status().message()) +
                   "; using the newest verified checkpoint, step " + std::to_string(ref->step);
  }
  return ref;
}

StatusOr<OwnedSlice> LoadSlice(const CheckpointRef& ref, const Architecture& arch, int layer,
                               int64_t begin, int64_t end, bool with_momentum) {
  if (layer < 0 || layer >= arch.num_layers() || begin < 0 || begin > end ||
      end > arch.layers[layer].neurons) {
    return InvalidArgumentError("LoadSlice: layer " + std::to_string(layer) + " rows [" +
                                std::to_string(begin) + ", " + std::to_string(end) +
                                ") outside the model");
  }
  ShardRows rows(ref, arch);
  OwnedSlice out;
  out.layer = layer;
  out.params.first_neuron = begin;
  out.params.weight.resize(end - begin, arch.FanIn(layer));
  out.params.bias.resize(end - begin);
  RETURN_IF_ERROR(rows.Read(layer, ShardTensor::kWeight, begin, end, out.params.weight.data()));
  RETURN_IF_ERROR(rows.Read(layer, ShardTensor::kBias, begin, end, out.params.bias.data()));
  if (arch.IsSparse(layer)) {
    out.params.index.resize(end - begin, arch.FanIn(layer));
    RETURN_IF_ERROR(rows.Read(layer, ShardTensor::kIndex, begin, end, out.params.index.data()));
  }
  ASSIGN_OR_RETURN(out.optimizer_steps, rows.OptimizerSteps(layer, begin, end));
  ASSIGN_OR_RETURN(const bool has_momentum, rows.HasMomentum(layer, begin, end));
  if (with_momentum && has_momentum) {
    LayerParams& m = out.momentum.emplace();
    m.first_neuron = begin;
    m.weight.resize(end - begin, arch.FanIn(layer));
    m.bias.resize(end - begin);
    RETURN_IF_ERROR(rows.Read(layer, ShardTensor::kMomentumWeight, begin, end, m.weight.data()));
    RETURN_IF_ERROR(rows.Read(layer, ShardTensor::kMomentumBias, begin, end, m.bias.data()));
  }
  return out;
}

}  // namespace neuropart
