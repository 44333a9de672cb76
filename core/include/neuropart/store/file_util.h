// File helpers for the store: a POSIX directory that may live on NFS.
//
// WriteFileAtomic replaces a file so that readers see either the old or the new content, never a
// mix, and the new content is durable when it returns: temp file in the same directory, fsync,
// checked close, rename, fsync of the directory. RandomAccessFile reads byte ranges with pread so
// that a worker loads only its own rows of a large weights file. Errors name the path and the
// errno text. All functions are thread-safe; a RandomAccessFile may be read from many threads.
#ifndef NEUROPART_STORE_FILE_UTIL_H_
#define NEUROPART_STORE_FILE_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "neuropart/status.h"

namespace neuropart {

// Writes `bytes` to `path` atomically and durably. The parent directory must exist.
Status WriteFileAtomic(const std::string& path, std::string_view bytes);
// The same for content made of several pieces, written one after the other without copying.
Status WriteFileAtomic(const std::string& path, std::span<const std::string_view> pieces);

// A new file written piece by piece and put in place atomically by Commit: WriteFileAtomic for
// content too large to hold in memory at once (an export, a shard). Until Commit it is a temp file
// beside `path`; destroying the writer without a successful Commit removes it. Movable; not
// synchronised.
class AtomicFileWriter {
 public:
  // Creates the temp file. The parent directory must exist.
  static StatusOr<AtomicFileWriter> Create(const std::string& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) = delete;
  ~AtomicFileWriter();

  Status Append(std::string_view bytes);
  // fsync, checked close, rename over `path`, fsync of the directory. Call at most once.
  Status Commit();
  uint64_t bytes_written() const { return written_; }

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::string path_, tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

// Creates `path` holding `bytes`, durably (the file and its directory synced); fails if `path`
// exists, leaving it alone. The parent directory must exist.
Status WriteNewFile(const std::string& path, std::string_view bytes);

// The whole content of `path`; NotFound if it does not exist.
StatusOr<std::string> ReadFile(const std::string& path);

// The whole content of `path` if it holds at most `max_bytes`. Reads no more than max_bytes + 1
// bytes, so a file that never ends (/dev/zero, a FIFO) is refused too. InvalidArgument
// "<path>: is a directory, not <what>" or "<path>: is larger than N bytes, the limit for <what>";
// NotFound if it does not exist.
StatusOr<std::string> ReadFileAtMost(const std::string& path, int64_t max_bytes,
                                     const std::string& what);

// Creates `path` and its missing parents (mkdir -p). OK if it already is a directory.
Status MakeDirs(const std::string& path);

// MakeDirs(path), then proves that this process can create a file in it (a probe file, removed
// again). InvalidArgument when it cannot for lack of permission (EACCES, EPERM, EROFS): the
// message names the path, this process's uid and gid, and the owner and mode of the nearest
// existing directory on the way — the facts needed to fix a volume's ownership. Other failures
// keep their errno text.
Status CheckWritableDirectory(const std::string& path);

// Removes the temp files WriteFileAtomic leaves behind when its process dies between creating
// and renaming one, in `dir` and every directory below it; returns how many. Other files stay.
// REQUIRES: no process writes in `dir` (for a job directory: its lease is held, no worker runs).
StatusOr<int> RemoveTempFiles(const std::string& dir);

// Read-only access to byte ranges of a file. Implementations must be safe to read concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads exactly `n` bytes at `offset` into `out`; Corruption naming the offsets if the file
  // ends first.
  virtual Status ReadAt(uint64_t offset, size_t n, char* out) const = 0;
  // The size of the file when it was opened.
  virtual uint64_t size() const = 0;
  // The path, for error messages.
  virtual const std::string& path() const = 0;
};

// Opens `path` for pread; NotFound if it does not exist.
StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path);

}  // namespace neuropart

#endif  // NEUROPART_STORE_FILE_UTIL_H_
