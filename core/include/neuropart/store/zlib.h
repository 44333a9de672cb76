// zlib's checksum and gzip decompression, for checkpoints (shard CRCs, computed in bounded
// blocks) and the dataset loaders.
//
// zlib.cc is the one file that includes zlib. Pure functions; thread-safe.
#ifndef NEUROPART_STORE_ZLIB_H_
#define NEUROPART_STORE_ZLIB_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "neuropart/status.h"
#include "neuropart/store/file_util.h"

namespace neuropart {

inline constexpr uint64_t kMaxDecompressedBytes = uint64_t{2} << 30;

// The CRC-32 (zlib's, as gzip and zip use) of `bytes`, of any length.
uint64_t Crc32(std::string_view bytes);

// The CRC-32 of the bytes hashed into `crc_so_far` followed by `bytes`: Crc32(a + b) ==
// Crc32Update(Crc32(a), b), and Crc32({}) is where a stream starts.
uint64_t Crc32Update(uint64_t crc_so_far, std::string_view bytes);

struct FileChecksum {
  uint64_t bytes = 0;
  uint64_t crc32 = 0;
};

// How much of a file ChecksumFile holds at once: a shard of any size is checked in this much memory.
inline constexpr size_t kChecksumBlockBytes = size_t{4} << 20;

// The size and CRC-32 of a whole file, read `block_bytes` at a time.
StatusOr<FileChecksum> ChecksumFile(const RandomAccessFile& file,
                                    size_t block_bytes = kChecksumBlockBytes);
StatusOr<FileChecksum> ChecksumFile(const std::string& path,
                                    size_t block_bytes = kChecksumBlockBytes);

// True if `bytes` starts with the gzip magic 1f 8b.
bool IsGzip(std::string_view bytes);

// Decompresses every gzip member of `compressed`, checking CRC and length. Corruption naming
// `path` and the compressed byte offset if the stream is damaged, truncated, followed by
// garbage or inflates beyond `limit` bytes.
StatusOr<std::string> Gunzip(std::string_view compressed, const std::string& path,
                             uint64_t limit = kMaxDecompressedBytes);

}  // namespace neuropart

#endif  // NEUROPART_STORE_ZLIB_H_
