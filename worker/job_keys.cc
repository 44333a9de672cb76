#include "job_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace neuropart::worker {
namespace {

constexpr size_t kKeyChars = 40;

std::string SecretFile(const std::string& owner) { return owner + ".secret"; }

Status ErrnoError(const std::string& what) {
  return UnavailableError(what + ": " + std::strerror(errno));
}

// Written to a 0600 temporary and renamed, so a reader never sees half a key and no other
// user ever can read one.
Status WritePrivateFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create " + tmp);
  const bool written = ::write(fd, content.data(), content.size()) ==
                           static_cast<ssize_t>(content.size()) &&
                       ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    errno = written ? errno : saved;
    Status s = ErrnoError("cannot write " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsKey(const std::string& s) {
  return s.size() == kKeyChars && s.find_first_of(" \t\r\n") == std::string::npos;
}

}  // namespace

std::string PartitionKeyOwner(int partition) { return "partition-" + std::to_string(partition); }

std::map<std::string, std::string> JobKeys::KeyOwners() const {
  std::map<std::string, std::string> owners;
  for (size_t p = 0; p < partition_public_keys.size(); ++p) {
    owners[partition_public_keys[p]] = PartitionKeyOwner(static_cast<int>(p));
  }
  owners[client_public_key] = kClientKeyOwner;
  return owners;
}

StatusOr<std::map<std::string, std::string>> MakeJobKeyFiles(int partitions) {
  std::map<std::string, std::string> files;
  std::string listing;
  for (int p = 0; p <= partitions; ++p) {
    const std::string owner = p < partitions ? PartitionKeyOwner(p) : kClientKeyOwner;
    ASSIGN_OR_RETURN(CurveKeyPair pair, MakeCurveKeyPair());
    listing += owner + " " + pair.public_key + "\n";
    files[SecretFile(owner)] = pair.public_key + " " + pair.secret_key + "\n";
  }
  files[kPublicKeysFile] = listing;
  // A secret key is 32 bytes from libsodium's random source: as good a token as any.
  ASSIGN_OR_RETURN(CurveKeyPair token, MakeCurveKeyPair());
  files[kStatusTokenFile] = token.secret_key + "\n";
  return files;
}

Status WriteJobKeys(const std::string& dir, int partitions) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create " + dir);
  }
  if (::chmod(dir.c_str(), 0700) != 0) return ErrnoError("cannot restrict " + dir);
  ASSIGN_OR_RETURN(auto files, MakeJobKeyFiles(partitions));
  for (const auto& [name, content] : files) {
    RETURN_IF_ERROR(WritePrivateFile(dir + "/" + name, content));
  }
  return Status::Ok();
}

StatusOr<JobKeys> ReadJobKeys(const std::string& dir, int partitions, const std::string& owner) {
  JobKeys keys;
  keys.partition_public_keys.resize(partitions);
  const std::string listing_path = dir + "/" + kPublicKeysFile;
  ASSIGN_OR_RETURN(std::string listing, ReadSmallFile(listing_path));
  std::istringstream lines(listing);
  std::string line;
  int line_number = 0, listed = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string name, key, extra;
    fields >> name >> key >> extra;
    const std::string where = listing_path + ":" + std::to_string(line_number) + ": ";
    if (!IsKey(key) || !extra.empty()) {
      return InvalidArgumentError(where + "expected \"<name> <40-character Z85 key>\"");
    }
    if (name == kClientKeyOwner) {
      keys.client_public_key = key;
      continue;
    }
    int p = -1;
    for (int q = 0; q < partitions && p < 0; ++q) p = name == PartitionKeyOwner(q) ? q : -1;
    if (p < 0) {
      return InvalidArgumentError(where + "\"" + name + "\" is not a partition of this " +
                                  std::to_string(partitions) + "-partition plan");
    }
    keys.partition_public_keys[p] = key;
    ++listed;
  }
  if (listed != partitions || keys.client_public_key.empty()) {
    return InvalidArgumentError(listing_path + ": lists " + std::to_string(listed) +
                                " partition keys" +
                                (keys.client_public_key.empty() ? " and no client key" : "") +
                                "; the plan has " + std::to_string(partitions) + " partitions");
  }
  const std::string secret_path = dir + "/" + SecretFile(owner);
  ASSIGN_OR_RETURN(std::string secret, ReadSmallFile(secret_path));
  std::istringstream fields(secret);
  fields >> keys.own.public_key >> keys.own.secret_key;
  if (!IsKey(keys.own.public_key) || !IsKey(keys.own.secret_key)) {
    return InvalidArgumentError(secret_path + ": expected \"<public key> <secret key>\"");
  }
  const auto owners = keys.KeyOwners();
  const auto listed_as = owners.find(keys.own.public_key);
  if (listed_as == owners.end() || listed_as->second != owner) {
    return InvalidArgumentError(secret_path + ": its public key is not " + owner + "'s in " +
                                listing_path);
  }
  return keys;
}

}  // namespace neuropart::worker
