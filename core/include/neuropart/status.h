// Status and StatusOr<T>: the one error type of neuropart.
//
// A Status is OK or carries a canonical code and a message that says what was wrong and where
// (field path, file:line, byte offset). No exception crosses a module boundary: the adapter file
// of each throwing library (yaml-cpp, cpprestsdk, cppzmq) turns exceptions into a Status.
// Values are immutable once built and safe to copy between threads.
#ifndef NEUROPART_STATUS_H_
#define NEUROPART_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace neuropart {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (job file, flag, request)
  kNotFound,         // a named thing does not exist (file, layer, checkpoint)
  kCorruption,       // stored or received bytes are malformed
  kUnavailable,      // a peer or service did not answer; retrying may help
  kInternal,         // a broken invariant or a failed system call
  kCancelled,        // stopped on request (a signal, or a peer that was stopped): not a failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: spec.distribution.partitions: must be >= 1, got 0 (job.yaml:7)"
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status CorruptionError(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
inline Status CancelledError(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr built from an OK status without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace neuropart

#define NEUROPART_CONCAT_INNER_(a, b) a##b
#define NEUROPART_CONCAT_(a, b) NEUROPART_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::neuropart::Status _np_status = (expr);      \
    if (!_np_status.ok()) return _np_status;      \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(NEUROPART_CONCAT_(_np_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // NEUROPART_STATUS_H_
