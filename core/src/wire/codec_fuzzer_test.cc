// Runs the fuzz target's entry point (codec_fuzzer.cc) on a few thousand pseudo-random buffers,
// so that builds without libFuzzer still exercise it. A violated invariant aborts the test.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "test_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace neuropart::wire {
namespace {

using testing::AllMsgTypes;
using testing::SampleMessage;

int Feed(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// The fuzzer's input format: control byte, then length-prefixed frames, the last one bare.
std::string Pack(const std::vector<std::string>& frames, bool small_limit) {
  std::string out(1, static_cast<char>((frames.size() - 1) | (small_limit ? 4 : 0)));
  for (size_t i = 0; i + 1 < frames.size(); ++i) {
    out += static_cast<char>(frames[i].size() & 0xff);
    out += static_cast<char>(frames[i].size() >> 8);
    out += frames[i];
  }
  return out + frames.back();
}

std::vector<std::string> ValidInputs() {
  std::vector<std::string> inputs;
  for (MsgType type : AllMsgTypes()) {
    for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
      testing::TestMessage m = SampleMessage(type, dtype);
      std::vector<std::string> frames = {EncodeHeader(m.header)};
      frames.insert(frames.end(), m.payload_frames.begin(), m.payload_frames.end());
      inputs.push_back(Pack(frames, dtype == DType::kF16));
    }
  }
  return inputs;
}

TEST(CodecFuzzerTest, ValidMessagesPass) {
  for (const std::string& input : ValidInputs()) EXPECT_EQ(Feed(input), 0);
}

TEST(CodecFuzzerTest, RandomBuffersNeverCrash) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    std::string input(rng() % 300, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    if (i % 2 == 0 && input.size() > 5) input.replace(1, 4, "NPWR");  // get past the magic
    ASSERT_EQ(Feed(input), 0);
  }
}

TEST(CodecFuzzerTest, MutatedValidMessagesNeverCrash) {
  std::mt19937 rng(5678);
  std::vector<std::string> valid = ValidInputs();
  for (int i = 0; i < 4000; ++i) {
    std::string input = valid[rng() % valid.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      size_t at = rng() % input.size();
      switch (rng() % 4) {
        case 0:
          input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8)));
          break;
        case 1:
          input[at] = static_cast<char>(rng());
          break;
        case 2:
          input.resize(at);
          break;
        default:
          input.insert(at, 1, static_cast<char>(rng()));
      }
    }
    ASSERT_EQ(Feed(input), 0);
  }
}

}  // namespace
}  // namespace neuropart::wire
