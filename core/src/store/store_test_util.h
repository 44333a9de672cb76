// Helpers shared by the store tests: a scratch directory and in-memory files.
#ifndef NEUROPART_STORE_STORE_TEST_UTIL_H_
#define NEUROPART_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "neuropart/store/file_util.h"

namespace neuropart::testing {

// A fresh directory under the test temp dir, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "/neuropart_store_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

inline void WriteRaw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// A RandomAccessFile over a string that counts the reads made through it.
class StringFile : public RandomAccessFile {
 public:
  explicit StringFile(std::string bytes, std::string path = "mem.safetensors")
      : bytes_(std::move(bytes)), path_(std::move(path)) {}

  Status ReadAt(uint64_t offset, size_t n, char* out) const override {
    ++reads_;
    bytes_read_ += n;
    last_offset_ = offset;
    if (offset > bytes_.size() || n > bytes_.size() - offset) {
      return CorruptionError(path_ + ": unexpected end of file at byte " +
                             std::to_string(bytes_.size()));
    }
    std::memcpy(out, bytes_.data() + offset, n);
    return Status::Ok();
  }
  uint64_t size() const override { return bytes_.size(); }
  const std::string& path() const override { return path_; }

  // Counters are shared with the test through pointers, since the reader owns the file.
  mutable int reads_ = 0;
  mutable uint64_t bytes_read_ = 0;
  mutable uint64_t last_offset_ = 0;

 private:
  std::string bytes_;
  std::string path_;
};

}  // namespace neuropart::testing

#endif  // NEUROPART_STORE_STORE_TEST_UTIL_H_
