// summary/writer.cpp: the written event file against one made by python3-protobuf + python3-crc32c
// (tests/golden/gen_tfevents.py), decoding, flushing, and the errors a user can cause.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "golden_util.hpp"
#include "summary/reader.hpp"
#include "summary/record.hpp"
#include "summary/writer.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  const std::string dir = test::scratch_dir() + "/writer/" + name;
  fs::remove_all(dir);
  return dir;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Writes the golden file's operations with its fixed clock; returns the event file's path.
std::string write_golden_ops(const nlohmann::json& g, const std::string& dir) {
  summary::WriterOptions opt;
  const double base = g.at("clock").at("base"), tick = g.at("clock").at("tick");
  opt.clock = [base, tick, k = 0]() mutable { return base + tick * k++; };
  summary::Writer w(dir, opt);
  for (const auto& op : g.at("ops")) {
    const std::string kind = op.at("kind"), tag = op.at("tag");
    const std::int64_t step = op.at("step");
    if (kind == "scalar") w.scalar(tag, op.at("value").get<double>(), step);
    else if (kind == "histogram") w.histogram(tag, test::golden_tensor(op.at("values")), step);
    else w.text(tag, op.at("text").get<std::string>(), step);
  }
  w.close();
  return w.path();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_writer)

BOOST_AUTO_TEST_CASE(bytes_equal_python_protobuf_and_crc32c) {
  const auto g = test::load_golden("tfevents.json");
  const std::string path = write_golden_ops(g, fresh_dir("golden"));
  const std::string got = file_bytes(path), want = unhex(g.at("file_hex"));
  BOOST_TEST(got.size() == want.size());
  std::size_t first_diff = 0;
  while (first_diff < std::min(got.size(), want.size()) && got[first_diff] == want[first_diff]) ++first_diff;
  BOOST_TEST(first_diff == want.size(), "first differing byte at " << first_diff);
  // The file name: events.out.tfevents.<10-digit seconds of the first clock reading>.<host>.
  const std::string name = fs::path(path).filename().string();
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  BOOST_TEST(name == "events.out.tfevents.1700000000." + std::string(host.data()));
}

BOOST_AUTO_TEST_CASE(decodes_into_the_expected_events) {
  const auto g = test::load_golden("tfevents.json");
  const summary::EventFile f = summary::read_event_file(write_golden_ops(g, fresh_dir("decode")));
  BOOST_TEST(f.error == "");
  BOOST_TEST(!f.truncated);
  const auto& ops = g.at("ops");
  BOOST_REQUIRE_EQUAL(f.events.size(), ops.size() + 1);
  BOOST_TEST(f.events[0].file_version == "brain.Event:2");
  BOOST_TEST(f.events[0].wall_time == 1700000000.5);
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const auto& op = ops[k];
    const summary::Event& e = f.events[k + 1];
    BOOST_TEST_CONTEXT("event " << k + 1 << " " << op.at("tag")) {
      BOOST_TEST(e.wall_time == 1700000000.5 + 0.125 * static_cast<double>(k + 1));
      BOOST_TEST(e.step == op.at("step").get<std::int64_t>());
      BOOST_REQUIRE_EQUAL(e.values.size(), 1u);
      const summary::Value& v = e.values[0];
      BOOST_TEST(v.tag == op.at("tag").get<std::string>());
      if (op.at("kind") == "scalar") {
        BOOST_TEST((v.kind == summary::Value::Kind::scalar));
        BOOST_TEST(v.scalar == static_cast<double>(static_cast<float>(op.at("value").get<double>())));
      } else if (op.at("kind") == "text") {
        BOOST_TEST((v.kind == summary::Value::Kind::text));
        BOOST_TEST(v.plugin_name == "text");
        BOOST_TEST(v.text == op.at("text").get<std::string>());
      } else {
        BOOST_TEST((v.kind == summary::Value::Kind::histogram));
        const auto& h = g.at("histograms").at(v.tag);
        BOOST_TEST(v.histogram.min == h.at("min").get<double>());
        BOOST_TEST(v.histogram.max == h.at("max").get<double>());
        BOOST_TEST(v.histogram.num == h.at("num").get<double>());
        BOOST_TEST(v.histogram.sum == h.at("sum").get<double>());
        BOOST_TEST(v.histogram.sum_squares == h.at("sum_squares").get<double>());
        BOOST_TEST(v.histogram.bucket_limit == h.at("bucket_limit").get<std::vector<double>>(), boost::test_tools::per_element());
        BOOST_TEST(v.histogram.bucket == h.at("bucket").get<std::vector<double>>(), boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(protoc_decode_raw_reads_the_same_fields) {
  // protoc (Debian's protobuf-compiler, a build dependency) decodes the record without our .proto.
  const auto g = test::load_golden("tfevents.json");
  const summary::RecordScan scan = summary::read_records(write_golden_ops(g, fresh_dir("raw")));
  const std::size_t k = g.at("decode_raw").at("record");
  BOOST_REQUIRE_GT(scan.records.size(), k);
  const std::string in = fresh_dir("raw") + ".bin";
  std::ofstream(in, std::ios::binary) << scan.records[k];
  FILE* p = popen(("protoc --decode_raw < '" + in + "' 2>&1").c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  BOOST_TEST(pclose(p) == 0, out);
  BOOST_TEST(out == g.at("decode_raw").at("text").get<std::string>());
}

BOOST_AUTO_TEST_CASE(flushes_when_due_and_a_killed_writer_leaves_whole_records) {
  const std::string dir = fresh_dir("flush");
  {
    summary::Writer w(dir, {.flush_secs = 3600});
    // The header is on disk at once; later events wait for flush().
    const auto header_size = fs::file_size(w.path());
    BOOST_TEST(summary::read_event_file(w.path()).events.size() == 1u);
    w.scalar("a", 1, 1);
    BOOST_TEST(fs::file_size(w.path()) == header_size);
    w.flush();
    BOOST_TEST(summary::read_event_file(w.path()).events.size() == 2u);
    // A writer that dies mid-record: append half a record by hand, then read.
    w.scalar("b", 2, 2);
    w.flush();
    const std::string path = w.path();
    const std::string half = summary::frame_record(std::string(40, 'x')).substr(0, 25);
    std::ofstream(path, std::ios::binary | std::ios::app) << half;
    const summary::EventFile f = summary::read_event_file(path);
    BOOST_TEST(f.events.size() == 3u);
    BOOST_TEST(f.truncated);
    BOOST_TEST(f.events[2].values.at(0).tag == "b");
  }
  {
    summary::Writer w(dir + "/zero", {.flush_secs = 0});  // every write reaches the file
    w.scalar("a", 1, 1);
    BOOST_TEST(summary::read_event_file(w.path()).events.size() == 2u);
  }
}

BOOST_AUTO_TEST_CASE(two_writers_in_one_second_get_two_files) {
  const std::string dir = fresh_dir("two");
  summary::WriterOptions opt;
  opt.clock = [] { return 1700000000.0; };
  summary::Writer a(dir, opt), b(dir, opt);
  BOOST_TEST(a.path() != b.path());
  BOOST_TEST(b.path() == a.path() + ".1");
  BOOST_TEST(summary::find_runs(dir).at(0).files.size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_tags_are_refused_at_the_call) {
  summary::Writer w(fresh_dir("tags"));
  test::check_throws_with([&] { w.scalar("my loss", 1, 0); }, {"summary::scalar", "'my loss'", "' '", "position 2"});
  test::check_throws_with([&] { w.scalar("", 1, 0); }, {"summary::scalar", "empty"});
  test::check_throws_with([&] { w.histogram("/abs", Tensor::ones({2}), 0); }, {"summary::histogram", "starts with '/'"});
  test::check_throws_with([&] { w.text("a:b", "x", 0); }, {"summary::text", "':'"});
  test::check_throws_with([&] { w.histogram("h", Tensor::from_values({1, NAN, INFINITY}, {3}), 0); },
                          {"summary::histogram 'h'", "1 NaN and 1 Inf"});
  w.scalar("fine/tag-1.x_y", 1, 0);  // the writer is still usable after refusing
  w.close();
  BOOST_TEST(summary::read_event_file(w.path()).events.size() == 2u);
  test::check_throws_with<std::runtime_error>([&] { w.scalar("late", 1, 1); }, {"is closed"});
}

BOOST_AUTO_TEST_CASE(unwritable_or_impossible_log_directory) {
  const std::string base = fresh_dir("perm");
  fs::create_directories(base);
  // A path through a regular file cannot become a directory.
  std::ofstream(base + "/file") << "x";
  test::check_throws_with<std::runtime_error>([&] { summary::Writer w(base + "/file/logs"); },
                                              {"cannot create the log directory", base + "/file/logs", "Not a directory"});
  test::check_throws_with<std::runtime_error>([&] { summary::Writer w(base + "/file"); },
                                              {"cannot create the log directory", "a file of that name exists"});
  if (geteuid() != 0) {  // root writes anywhere
    fs::create_directories(base + "/ro");
    chmod((base + "/ro").c_str(), 0555);
    test::check_throws_with<std::runtime_error>([&] { summary::Writer w(base + "/ro"); },
                                                {"cannot create the event file", "Permission denied"});
    chmod((base + "/ro").c_str(), 0755);
  }
}

BOOST_AUTO_TEST_CASE(failed_write_is_an_error_at_the_flush_and_the_writer_stays_broken) {
  // A full disk, simulated by a file size limit (write() then fails with EFBIG instead of ENOSPC;
  // the writer's path for both is the same). SIGXFSZ is ignored so write() returns the error.
  const std::string dir = fresh_dir("full");
  summary::Writer w(dir, {.flush_secs = 3600});
  w.scalar("before", 1, 1);
  w.flush();
  const auto size = fs::file_size(w.path());
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  lim.rlim_cur = size + 30;  // room for part of the next record only
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &lim);
  for (int i = 0; i < 5; ++i) w.scalar("lost", i, 2 + i);
  std::string msg;
  try {
    w.flush();
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST(msg.find("writing '" + w.path() + "' failed: File too large") != std::string::npos, msg);
  test::check_throws_with<std::runtime_error>([&] { w.scalar("after", 1, 9); }, {"failed earlier", "File too large"});
  w.close();  // no throw: the failure was already reported
  const summary::EventFile f = summary::read_event_file(w.path());
  BOOST_TEST(f.events.size() == 2u);  // the header and "before"; the cut record is skipped
  BOOST_TEST(f.truncated);
  BOOST_TEST(f.error == "");
}

BOOST_AUTO_TEST_SUITE_END()
