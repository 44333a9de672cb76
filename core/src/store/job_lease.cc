#include "neuropart/store/job_lease.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "neuropart/base/json.h"
#include "neuropart/store/file_util.h"

namespace neuropart {
namespace {

// How often LEASE may change hands under one run trying to take it before that run gives up
// rather than spin: the job is being fought over.
constexpr int kTakeAttempts = 5;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string NewToken() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, (static_cast<uint64_t>(rd()) << 32) ^ rd());
  return buf;
}

std::string Utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Encode(const LeaseRecord& r) {
  return DumpJson(Json::object({{"owner", r.holder.owner},
                                {"host", r.holder.host},
                                {"pid", r.holder.pid},
                                {"expires", r.expires},
                                {"token", r.token}})) +
         "\n";
}

// What makes `j` not a lease record, or "" when it is one.
std::string NotARecord(const Json& j) {
  for (const char* key : {"owner", "host", "token"}) {
    const Json* v = FindMember(j, key);
    if (v == nullptr || !v->is_string()) return "\"" + std::string(key) + "\" is not a string";
  }
  for (const char* key : {"pid", "expires"}) {
    const Json* v = FindMember(j, key);
    if (v == nullptr || !v->is_number_integer()) {
      return "\"" + std::string(key) + "\" is not an integer";
    }
  }
  return "";
}

StatusOr<LeaseRecord> ReadRecord(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  StatusOr<Json> j = ParseJson(text, {.max_depth = 2, .strings_and_integers_only = true});
  const std::string wrong = j.ok() ? NotARecord(*j) : j.status().message();
  if (!wrong.empty()) {
    return CorruptionError(path +
                           ": not a lease record; remove it if no run of the job is going (" +
                           wrong + ")");
  }
  return LeaseRecord{{GetString(*j, "owner"), GetString(*j, "host"), GetInt(*j, "pid")},
                     GetInt(*j, "expires"),
                     GetString(*j, "token")};
}

// Links `claim` to `target`; true when this call made the link. Over NFS a link whose reply was
// lost is retransmitted and fails with EEXIST although it was made: the claim's link count of 2
// tells.
StatusOr<bool> LinkExclusive(const std::string& claim, const std::string& target) {
  if (::link(claim.c_str(), target.c_str()) == 0) return true;
  const int err = errno;
  struct stat st;
  if (::stat(claim.c_str(), &st) == 0 && st.st_nlink == 2) return true;
  if (err == EEXIST) return false;
  return InternalError("link " + claim + " to " + target + ": " + ErrnoText(err));
}

}  // namespace

LeaseHolder ThisProcess() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const struct passwd* pw = ::getpwuid(::geteuid());
  return {pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid()), host,
          static_cast<int64_t>(::getpid())};
}

std::string DescribeLease(const LeaseRecord& r) {
  return "owner " + r.holder.owner + ", host " + r.holder.host + ", pid " +
         std::to_string(r.holder.pid) + ", until " + Utc(r.expires);
}

JobLease::JobLease(std::string path, LeaseRecord record, std::chrono::seconds ttl,
                   const LeaseClock* clock)
    : path_(std::move(path)), record_(std::move(record)), ttl_(ttl), clock_(clock) {}

JobLease::JobLease(JobLease&& other) noexcept
    : path_(std::move(other.path_)),
      record_(std::move(other.record_)),
      ttl_(other.ttl_),
      clock_(other.clock_),
      taken_over_(std::move(other.taken_over_)),
      held_(std::exchange(other.held_, false)) {}

JobLease::~JobLease() { (void)Release(); }

StatusOr<JobLease> JobLease::Acquire(const std::string& job_dir, const LeaseHolder& me,
                                     std::chrono::seconds ttl, const LeaseClock& clock) {
  JobLease lease(job_dir + "/LEASE", LeaseRecord{me, 0, NewToken()}, ttl, &clock);
  lease.record_.expires = lease.NowSeconds() + ttl.count();
  // The claim is complete and durable before any link makes it visible as LEASE.
  const std::string claim = job_dir + "/.LEASE.claim." + lease.record_.token;
  RETURN_IF_ERROR(WriteNewFile(claim, Encode(lease.record_)));
  const Status taken = lease.Take(claim);
  ::unlink(claim.c_str());  // linked or renamed when taken; ENOENT after the rename
  if (!taken.ok()) return taken;
  lease.held_ = true;
  return lease;
}

Status JobLease::Take(const std::string& claim) {
  for (int attempt = 0; attempt < kTakeAttempts; ++attempt) {
    ASSIGN_OR_RETURN(bool linked, LinkExclusive(claim, path_));
    if (linked) return Status::Ok();
    StatusOr<LeaseRecord> held = ReadRecord(path_);
    if (!held.ok() && held.status().code() == StatusCode::kNotFound) continue;  // just released
    if (!held.ok()) return held.status();
    if (!Expired(*held)) return HeldBy(*held);
    ASSIGN_OR_RETURN(bool took, TakeOver(claim, *held));
    if (took) {
      taken_over_ = *held;
      return Status::Ok();
    }
  }
  return UnavailableError(path_ + ": changed hands " + std::to_string(kTakeAttempts) +
                          " times while this run tried to take it");
}

// True when this claim replaced `stale` as LEASE; false when LEASE changed meanwhile (read it
// again); InvalidArgument naming another live taker that is replacing it.
StatusOr<bool> JobLease::TakeOver(const std::string& claim, const LeaseRecord& stale) {
  std::vector<std::string> markers;
  for (std::string token = stale.token;;) {
    const std::string marker = path_ + ".takeover." + token;
    ASSIGN_OR_RETURN(bool won, LinkExclusive(claim, marker));
    markers.push_back(marker);
    if (won) break;
    StatusOr<LeaseRecord> taker = ReadRecord(marker);
    if (!taker.ok() && taker.status().code() == StatusCode::kNotFound) return false;  // done
    if (!taker.ok()) return taker.status();
    if (!Expired(*taker)) return HeldBy(*taker);
    token = taker->token;  // that taker died mid-takeover: compete for its own marker
  }
  // A taker that read `stale` before another finished replacing it must not replace the new
  // holder: only the holder of the marker can have changed LEASE since this read.
  StatusOr<LeaseRecord> current = ReadRecord(path_);
  const bool still_stale = current.ok() && current->token == stale.token;
  Status renamed;
  if (still_stale && ::rename(claim.c_str(), path_.c_str()) != 0) {
    renamed = InternalError("rename " + claim + " to " + path_ + ": " + ErrnoText(errno));
  }
  for (const std::string& m : markers) ::unlink(m.c_str());
  RETURN_IF_ERROR(renamed);
  return still_stale;
}

Status JobLease::Renew() {
  if (Expired(record_)) {
    return UnavailableError(path_ + ": expired at " + Utc(record_.expires) +
                            " before it was renewed; another run may hold it");
  }
  ASSIGN_OR_RETURN(LeaseRecord current, ReadRecord(path_));
  if (current.token != record_.token) {
    return UnavailableError(path_ + ": taken over by " + DescribeLease(current));
  }
  LeaseRecord renewed = record_;
  renewed.expires = NowSeconds() + ttl_.count();
  RETURN_IF_ERROR(WriteFileAtomic(path_, Encode(renewed)));
  record_ = std::move(renewed);
  return Status::Ok();
}

Status JobLease::Release() {
  // Past its expiry the lease may be another run's even when LEASE still names this one: a taker
  // may be about to replace it, and removing it then would let a third run in beside that taker.
  if (!std::exchange(held_, false) || Expired(record_)) return Status::Ok();
  StatusOr<LeaseRecord> current = ReadRecord(path_);
  if (!current.ok()) {
    return current.status().code() == StatusCode::kNotFound ? Status::Ok() : current.status();
  }
  if (current->token != record_.token) return Status::Ok();
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return InternalError("unlink " + path_ + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

Status JobLease::HeldBy(const LeaseRecord& holder) const {
  return InvalidArgumentError(path_ + ": held by another run: " + DescribeLease(holder) + " (" +
                              std::to_string(holder.expires - NowSeconds()) +
                              " s from now; the holder renews it while it runs)");
}

bool JobLease::Expired(const LeaseRecord& r) const { return NowSeconds() >= r.expires; }

int64_t JobLease::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch())
      .count();
}

}  // namespace neuropart
