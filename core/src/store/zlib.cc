// The zlib adapter: the only file that includes zlib.
#include "neuropart/store/zlib.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

namespace neuropart {
namespace {

// zlib counts in 32-bit uInt; larger buffers are fed in slices.
constexpr size_t kSlice = size_t{1} << 30;
constexpr size_t kChunk = size_t{1} << 20;

struct InflateEnd {
  void operator()(z_stream* s) const {
    inflateEnd(s);
    delete s;
  }
};

Status GzipError(const std::string& path, uint64_t at, std::string_view what) {
  return CorruptionError(path + ": gzip: " + std::string(what) + " at compressed byte " +
                         std::to_string(at));
}

}  // namespace

StatusOr<FileChecksum> ChecksumFile(const RandomAccessFile& file, size_t block_bytes) {
  std::unique_ptr<char[]> block(new char[block_bytes]);
  FileChecksum out{file.size(), Crc32({})};
  for (uint64_t at = 0; at < out.bytes; at += block_bytes) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block_bytes, out.bytes - at));
    RETURN_IF_ERROR(file.ReadAt(at, n, block.get()));
    out.crc32 = Crc32Update(out.crc32, std::string_view(block.get(), n));
  }
  return out;
}

StatusOr<FileChecksum> ChecksumFile(const std::string& path, size_t block_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenRandomAccessFile(path));
  return ChecksumFile(*file, block_bytes);
}

uint64_t Crc32(std::string_view bytes) { return Crc32Update(crc32(0L, Z_NULL, 0), bytes); }

uint64_t Crc32Update(uint64_t crc_so_far, std::string_view bytes) {
  uLong crc = static_cast<uLong>(crc_so_far);
  for (size_t at = 0; at < bytes.size(); at += kSlice) {
    const size_t n = std::min(kSlice, bytes.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
  }
  return crc;
}

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

StatusOr<std::string> Gunzip(std::string_view compressed, const std::string& path, uint64_t limit) {
  std::unique_ptr<z_stream, InflateEnd> zs(new z_stream{});
  if (inflateInit2(zs.get(), 16 + MAX_WBITS) != Z_OK) {
    zs.release();  // nothing to end
    return InternalError(path + ": gzip: inflateInit2 failed");
  }
  std::string out;
  size_t consumed = 0;  // bytes of `compressed` handed to zlib so far
  while (true) {
    if (zs->avail_in == 0 && consumed < compressed.size()) {
      const size_t n = std::min(kSlice, compressed.size() - consumed);
      zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
      zs->avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    const size_t before = out.size();
    out.resize(before + kChunk);
    zs->next_out = reinterpret_cast<Bytef*>(out.data() + before);
    zs->avail_out = static_cast<uInt>(out.size() - before);
    const int rc = inflate(zs.get(), Z_NO_FLUSH);
    out.resize(out.size() - zs->avail_out);
    const uint64_t now = consumed - zs->avail_in;
    if (out.size() > limit) return GzipError(path, now, "inflates beyond the size limit");
    if (rc == Z_STREAM_END) {
      if (now == compressed.size()) return out;
      // Another member may follow (gzip concatenation); anything else is garbage.
      if (!IsGzip(compressed.substr(now))) return GzipError(path, now, "trailing garbage");
      inflateReset(zs.get());
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      return GzipError(path, now, zs->msg != nullptr ? zs->msg : "corrupt data");
    }
    if (rc == Z_MEM_ERROR) return InternalError(path + ": gzip: out of memory");
    if (rc == Z_BUF_ERROR && zs->avail_in == 0 && consumed == compressed.size()) {
      return GzipError(path, now, "truncated stream");
    }
  }
}

}  // namespace neuropart
