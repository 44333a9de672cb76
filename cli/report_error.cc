#include <cstdio>

#include "commands.h"

namespace neuropart::cli {

int ReportError(const Status& status) {
  std::fprintf(stderr, "neuropart: %s\n", status.message().c_str());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

}  // namespace neuropart::cli
