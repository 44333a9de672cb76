// Test-only: how a libFuzzer harness checks an invariant beyond "no crash". A violation prints
// what broke and aborts, which libFuzzer reports as a crash and saves the input that caused it.
#ifndef NEUROPART_TESTS_FUZZ_FUZZ_REQUIRE_H_
#define NEUROPART_TESTS_FUZZ_FUZZ_REQUIRE_H_

#include <cstdio>
#include <cstdlib>

namespace neuropart {

inline void FuzzRequire(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzzer: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace neuropart

#endif  // NEUROPART_TESTS_FUZZ_FUZZ_REQUIRE_H_
