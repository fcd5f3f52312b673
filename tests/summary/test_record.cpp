// summary/record.cpp: CRC-32C, TFRecord framing, and reading files cut mid-record.
#include <filesystem>
#include <fstream>

#include "golden_util.hpp"
#include "summary/record.hpp"
#include "test_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_record)

BOOST_AUTO_TEST_CASE(crc32c_matches_python_crc32c) {
  const auto g = test::load_golden("tfevents.json");
  // The standard check value of CRC-32C, as python3-crc32c computes it.
  BOOST_TEST(summary::crc32c("123456789") == g.at("crc32c_of_123456789").get<std::uint32_t>());
  BOOST_TEST(summary::crc32c("123456789") == 0xE3069283u);
  BOOST_TEST(summary::crc32c("") == 0u);
}

BOOST_AUTO_TEST_CASE(frames_match_the_golden_records) {
  const auto g = test::load_golden("tfevents.json");
  const std::string hex = g.at("file_hex");
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  const summary::RecordScan scan = summary::scan_records(bytes);
  BOOST_TEST(scan.error == "");
  BOOST_TEST(!scan.truncated);
  BOOST_REQUIRE_EQUAL(scan.records.size(), g.at("records").size());
  for (std::size_t i = 0; i < scan.records.size(); ++i) {
    const auto& r = g.at("records")[i];
    const std::string& data = scan.records[i];
    BOOST_TEST(data.size() == r.at("length").get<std::size_t>());
    const std::string length_bytes = bytes.substr(r.at("offset").get<std::size_t>(), 8);
    BOOST_TEST(summary::masked_crc32c(length_bytes) == r.at("length_crc").get<std::uint32_t>());
    BOOST_TEST(summary::masked_crc32c(data) == r.at("data_crc").get<std::uint32_t>());
    // Framing the data again gives the file's bytes for that record.
    BOOST_TEST(summary::frame_record(data) == bytes.substr(r.at("offset").get<std::size_t>(), data.size() + 16));
  }
}

BOOST_AUTO_TEST_CASE(truncated_file_reads_every_whole_record) {
  const std::string a(5, 'a'), b(300, 'b'), c(7, 'c');
  const std::string full = summary::frame_record(a) + summary::frame_record(b) + summary::frame_record(c);
  const std::size_t end_a = 16 + a.size(), end_b = end_a + 16 + b.size();
  // Cut at every byte: inside the header, the data and the trailing CRC of each record.
  for (std::size_t cut = 0; cut <= full.size(); ++cut) {
    const summary::RecordScan s = summary::scan_records(std::string_view(full).substr(0, cut));
    const std::size_t whole = cut >= full.size() ? 3 : cut >= end_b ? 2 : cut >= end_a ? 1 : 0;
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_TEST(s.error == "");
      BOOST_REQUIRE_EQUAL(s.records.size(), whole);
      BOOST_TEST(s.truncated == (cut != 0 && cut != end_a && cut != end_b && cut != full.size()));
      BOOST_TEST(s.valid_bytes == (whole == 0 ? 0 : whole == 1 ? end_a : whole == 2 ? end_b : full.size()));
      if (whole >= 2) BOOST_TEST(s.records[1] == b);
    }
  }
  // The same through a file on disk.
  const std::string dir = test::scratch_dir() + "/record";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/cut.tfrecord";
  std::ofstream(path, std::ios::binary) << full.substr(0, end_b + 9);
  const summary::RecordScan s = summary::read_records(path);
  BOOST_TEST(s.records.size() == 2u);
  BOOST_TEST(s.truncated);
}

BOOST_AUTO_TEST_CASE(corrupt_record_stops_the_scan_with_its_offset) {
  std::string bytes = summary::frame_record("first") + summary::frame_record("second");
  bytes[16 + 5 + 12 + 2] ^= 0x1;  // a bit of "second"'s data
  const summary::RecordScan s = summary::scan_records(bytes);
  BOOST_TEST(s.records.size() == 1u);
  BOOST_TEST(s.error.find("record at byte 21") != std::string::npos, s.error);
  std::string bad_len = summary::frame_record("x");
  bad_len[0] = 9;
  BOOST_TEST(summary::scan_records(bad_len).error.find("length") != std::string::npos);
  // A length whose CRC matches but that runs past the end is a cut record, not a crash.
  std::string huge;
  for (int i = 0; i < 8; ++i) huge.push_back(static_cast<char>(0xFF));
  const std::uint32_t crc = summary::masked_crc32c(huge);
  for (int i = 0; i < 4; ++i) huge.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  BOOST_TEST(summary::scan_records(huge + "abcd").truncated);
  test::check_throws_with<std::runtime_error>([] { summary::read_records("/nonexistent/x.tfevents"); },
                                              {"/nonexistent/x.tfevents"});
}

BOOST_AUTO_TEST_SUITE_END()
