#include "summary/record.hpp"

#include <boost/crc.hpp>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tg::summary {

namespace {

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::uint32_t crc32c(std::string_view data) {
  // Boost.CRC's table-driven CRC with the Castagnoli parameters (reflected in and out).
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

std::uint32_t masked_crc32c(std::string_view data) {
  const std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(out), 4);
  out.append(data);
  put_le(out, masked_crc32c(data), 4);
  return out;
}

RecordScan scan_records(std::string_view bytes) {
  RecordScan scan;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 12) {
      scan.truncated = true;
      break;
    }
    const std::uint64_t len = get_le(bytes, at, 8);
    if (static_cast<std::uint32_t>(get_le(bytes, at + 8, 4)) != masked_crc32c(bytes.substr(at, 8))) {
      std::ostringstream os;
      os << "the length of the record at byte " << at << " fails its CRC (a corrupt or non-TFRecord file)";
      scan.error = os.str();
      break;
    }
    const std::size_t rest = bytes.size() - at - 12;
    if (len > rest || rest - len < 4) {
      scan.truncated = true;
      break;
    }
    const std::string_view data = bytes.substr(at + 12, len);
    if (static_cast<std::uint32_t>(get_le(bytes, at + 12 + len, 4)) != masked_crc32c(data)) {
      std::ostringstream os;
      os << "the data of the record at byte " << at << " (" << len << " bytes) fails its CRC";
      scan.error = os.str();
      break;
    }
    scan.records.emplace_back(data);
    at += 16 + len;
    scan.valid_bytes = at;
  }
  return scan;
}

RecordScan read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("summary: cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return scan_records(buf.str());
}

}  // namespace tg::summary
