#include "neuropart/store/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

namespace neuropart {
namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg = std::string(op) + " " + path + ": " + ErrnoText(err);
  if (err == ENOENT) return NotFoundError(std::move(msg));
  // A component of the path is a file: the path is wrong, which no retry mends.
  if (err == ENOTDIR) return InvalidArgumentError(std::move(msg));
  return InternalError(std::move(msg));
}

// Closes on destruction unless released; keeps error paths from leaking descriptors.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // close(2) can report a deferred write error (NFS does), so callers that wrote must check it.
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "<dir>/.<base>.tmp.<random>.<counter>": hidden, same directory (rename must not cross
// filesystems), unique across processes and hosts sharing the NFS volume (pids repeat in pods).
std::string TempPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_nonce = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(::getpid());
  }();
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + ".tmp." + std::to_string(process_nonce) + "." +
         std::to_string(counter.fetch_add(1));
}

// Whether `name` is one that TempPathFor makes: "." + base + ".tmp." + nonce + "." + counter.
bool IsTempName(std::string_view name) {
  const size_t tmp = name.rfind(".tmp.");
  if (!name.starts_with('.') || tmp == std::string_view::npos || tmp < 2) return false;
  const std::string_view numbers = name.substr(tmp + 5);
  const size_t dot = numbers.find('.');
  auto digits = [](std::string_view v) {
    return !v.empty() &&
           std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  return dot != std::string_view::npos && digits(numbers.substr(0, dot)) &&
         digits(numbers.substr(dot + 1));
}

Status WriteAll(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return PosixError("open directory", dir, errno);
  // Some filesystems cannot sync a directory (EINVAL); the rename is then as durable as it gets.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) return PosixError("fsync directory", dir, errno);
  if (fd.Close() != 0) return PosixError("close directory", dir, errno);
  return Status::Ok();
}

// Creates `path`, which must not exist, and writes `pieces` to it durably; removes it again when
// that fails after creating it.
Status CreateAndSync(const std::string& path, std::span<const std::string_view> pieces) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return PosixError("create", path, errno);
  Status s;
  for (std::string_view piece : pieces) {
    s = WriteAll(fd.get(), path, piece);
    if (!s.ok()) break;
  }
  if (s.ok() && ::fsync(fd.get()) != 0) s = PosixError("fsync", path, errno);
  if (s.ok() && fd.Close() != 0) s = PosixError("close", path, errno);
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status ReadAt(uint64_t offset, size_t n, char* out) const override {
    uint64_t pos = offset;
    size_t left = n;
    while (left > 0) {
      const ssize_t got = ::pread(fd_, out, left, static_cast<off_t>(pos));
      if (got < 0) {
        if (errno == EINTR) continue;
        return PosixError("pread at byte " + std::to_string(pos) + " of", path_, errno);
      }
      if (got == 0) {
        return CorruptionError(path_ + ": unexpected end of file at byte " + std::to_string(pos) +
                               " while reading " + std::to_string(n) + " bytes at offset " +
                               std::to_string(offset));
      }
      out += got;
      pos += static_cast<uint64_t>(got);
      left -= static_cast<size_t>(got);
    }
    return Status::Ok();
  }
  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

}  // namespace

StatusOr<AtomicFileWriter> AtomicFileWriter::Create(const std::string& path) {
  std::string tmp = TempPathFor(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError("create", tmp, errno);
  return AtomicFileWriter(path, std::move(tmp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      fd_(std::exchange(other.fd_, -1)),
      written_(other.written_) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(tmp_.c_str());
}

Status AtomicFileWriter::Append(std::string_view bytes) {
  if (fd_ < 0) return InternalError("append to " + path_ + " after Commit");
  RETURN_IF_ERROR(WriteAll(fd_, tmp_, bytes));
  written_ += bytes.size();
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return InternalError("commit of " + path_ + " twice");
  Fd fd(std::exchange(fd_, -1));
  Status s;
  if (::fsync(fd.get()) != 0) s = PosixError("fsync", tmp_, errno);
  if (s.ok() && fd.Close() != 0) s = PosixError("close", tmp_, errno);
  if (s.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    s = PosixError("rename " + tmp_ + " to", path_, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp_.c_str());
    return s;
  }
  return SyncDirectory(DirName(path_));
}

Status WriteFileAtomic(const std::string& path, std::span<const std::string_view> pieces) {
  ASSIGN_OR_RETURN(AtomicFileWriter w, AtomicFileWriter::Create(path));
  for (std::string_view piece : pieces) RETURN_IF_ERROR(w.Append(piece));
  return w.Commit();
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  return WriteFileAtomic(path, std::span<const std::string_view>(&bytes, 1));
}

Status WriteNewFile(const std::string& path, std::string_view bytes) {
  RETURN_IF_ERROR(CreateAndSync(path, std::span<const std::string_view>(&bytes, 1)));
  return SyncDirectory(DirName(path));
}

StatusOr<std::string> ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenRandomAccessFile(path));
  std::string content(file->size(), '\0');
  RETURN_IF_ERROR(file->ReadAt(0, content.size(), content.data()));
  return content;
}

StatusOr<std::string> ReadFileAtMost(const std::string& path, int64_t max_bytes,
                                     const std::string& what) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return PosixError("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return PosixError("fstat", path, errno);
  if (S_ISDIR(st.st_mode)) return InvalidArgumentError(path + ": is a directory, not " + what);
  std::string content;
  char buf[64 * 1024];
  while (static_cast<int64_t>(content.size()) <= max_bytes) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PosixError("read", path, errno);
    if (n == 0) return content;
    content.append(buf, static_cast<size_t>(n));
  }
  return InvalidArgumentError(path + ": is larger than " + std::to_string(max_bytes) +
                              " bytes, the limit for " + what);
}

Status MakeDirs(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("MakeDirs: empty path");
  // Create each prefix in turn; EEXIST is fine as long as the prefix is a directory.
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return PosixError("mkdir", prefix, errno);
    }
    if (end == std::string::npos) break;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError("MakeDirs " + path + ": not a directory");
  return Status::Ok();
}

namespace {

bool IsPermissionError(int err) { return err == EACCES || err == EPERM || err == EROFS; }

// "<path> is not writable by uid U gid G (<dir> is owned by uid A gid B, mode 0755): <errno>"
Status NotWritable(const std::string& path, int err) {
  std::string dir = path;
  struct stat st;
  while (::stat(dir.c_str(), &st) != 0 && dir.find('/') != std::string::npos) {
    dir = dir.substr(0, dir.rfind('/'));
    if (dir.empty()) dir = "/";
  }
  char owner[160];
  std::snprintf(owner, sizeof(owner), "%s is owned by uid %u gid %u, mode %04o", dir.c_str(),
                static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid),
                static_cast<unsigned>(st.st_mode & 07777));
  return InvalidArgumentError(path + " is not writable by uid " + std::to_string(::geteuid()) +
                              " gid " + std::to_string(::getegid()) + " (" + owner +
                              "): " + ErrnoText(err));
}

}  // namespace

Status CheckWritableDirectory(const std::string& path) {
  if (Status s = MakeDirs(path); !s.ok()) {
    return IsPermissionError(errno) ? NotWritable(path, errno) : s;
  }
  // A temp name, not one made of the pid: every worker in a pod is pid 1, and the gang's workers
  // probe one job directory on the shared store at once. One left by a crash is a temp file,
  // which RemoveTempFiles clears.
  const std::string probe = TempPathFor(path + "/write-probe");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    return IsPermissionError(err) ? NotWritable(path, err) : PosixError("open", probe, err);
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) return PosixError("unlink", probe, errno);
  return Status::Ok();
}

StatusOr<int> RemoveTempFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;  // a file that vanished meanwhile is no error
    if (!it->is_regular_file(type_ec) || !IsTempName(it->path().filename().string())) continue;
    const std::string path = it->path().string();
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    ++removed;
  }
  if (ec) return InternalError("list " + dir + ": " + ec.message());
  return removed;
}

StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return PosixError("fstat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError("open " + path + ": not a regular file");
  }
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<PosixRandomAccessFile>(path, fd, static_cast<uint64_t>(st.st_size)));
}

}  // namespace neuropart
