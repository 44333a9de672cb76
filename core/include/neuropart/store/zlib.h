// zlib's checksum and gzip decompression, for checkpoints (shard CRCs) and the dataset loaders.
//
// zlib.cc is the one file that includes zlib. Pure functions; thread-safe.
#ifndef NEUROPART_STORE_ZLIB_H_
#define NEUROPART_STORE_ZLIB_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "neuropart/status.h"

namespace neuropart {

inline constexpr uint64_t kMaxDecompressedBytes = uint64_t{2} << 30;

// The CRC-32 (zlib's, as gzip and zip use) of `bytes`, of any length.
uint64_t Crc32(std::string_view bytes);

// True if `bytes` starts with the gzip magic 1f 8b.
bool IsGzip(std::string_view bytes);

// Decompresses every gzip member of `compressed`, checking CRC and length. Corruption naming
// `path` and the compressed byte offset if the stream is damaged, truncated, followed by
// garbage or inflates beyond `limit` bytes.
StatusOr<std::string> Gunzip(std::string_view compressed, const std::string& path,
                             uint64_t limit = kMaxDecompressedBytes);

}  // namespace neuropart

#endif  // NEUROPART_STORE_ZLIB_H_
