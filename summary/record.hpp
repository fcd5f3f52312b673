#pragma once
/// \file
/// TFRecord framing, the container of TensorBoard event files: each record is
///
///     uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
///
/// with CRC-32C (Castagnoli) masked as TensorFlow's core/lib/hash/crc32c.h does. A writer killed in
/// the middle of a record leaves a file whose whole records still read back.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg::summary {

/// CRC-32C of `data` (iSCSI polynomial 0x1EDC6F41, reflected, init and final xor 0xFFFFFFFF).
std::uint32_t crc32c(std::string_view data);
/// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
std::uint32_t masked_crc32c(std::string_view data);
/// The framed bytes of one record holding `data`.
std::string frame_record(std::string_view data);

/// What reading a TFRecord file found.
struct RecordScan {
  std::vector<std::string> records;  // every whole record, in order
  std::uint64_t valid_bytes = 0;     // the bytes those records span from the start of the file
  bool truncated = false;            // the file ends inside a record (a writer stopped mid-record)
  std::string error;                 // a CRC mismatch, with its offset; reading stopped there
};

/// Reads the whole records of a TFRecord file. A cut final record is reported in `truncated`, a
/// corrupt one in `error`; neither throws. Throws std::runtime_error naming the path when the
/// file cannot be opened.
RecordScan read_records(const std::string& path);
/// The same over bytes in memory.
RecordScan scan_records(std::string_view bytes);

}  // namespace tg::summary
