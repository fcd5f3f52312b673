// tools/cmd_logs.cpp and the --logdir options of train and grads: logs written from the command
// line decode into the expected scalars and histograms, and `tapegrad logs` digests them.
#include <array>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "io/idx.hpp"
#include "summary/reader.hpp"
#include "summary/record.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

using Run = test::CliRun;
Run run(const std::string& args) { return test::run_cli(args); }

// A Fashion-MNIST-shaped data set small enough to train on in a test: 128 train, 32 test images.
std::string tiny_dataset() {
  const std::string dir = test::scratch_dir() + "/logs_cli/data";
  fs::create_directories(dir);
  for (const auto& [split, n] : std::vector<std::pair<std::string, std::int64_t>>{{"train", 128}, {"t10k", 32}}) {
    std::vector<std::uint8_t> images(static_cast<std::size_t>(n * 28 * 28)), labels(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 10);
      for (std::int64_t p = 0; p < 28 * 28; ++p)  // a bright band whose row depends on the class
        images[static_cast<std::size_t>(i * 784 + p)] = static_cast<std::uint8_t>(p / 28 / 3 == i % 10 ? 200 + (p % 7) : (p * 13 + i) % 40);
    }
    const std::vector<std::int64_t> idims{n, 28, 28}, ldims{n};
    io::write_idx(dir + "/" + split + "-images-idx3-ubyte.gz", idims, images);
    io::write_idx(dir + "/" + split + "-labels-idx1-ubyte.gz", ldims, labels);
  }
  return dir;
}

std::map<std::string, std::vector<std::pair<std::int64_t, double>>> scalars_of(const std::string& run_dir,
                                                                                 std::size_t* histogram_count = nullptr) {
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> out;
  std::size_t hists = 0;
  for (const auto& e : fs::directory_iterator(run_dir))
    for (const auto& ev : summary::read_event_file(e.path().string()).events)
      for (const auto& v : ev.values) {
        if (v.kind == summary::Value::Kind::scalar) out[v.tag].emplace_back(ev.step, v.scalar);
        hists += v.kind == summary::Value::Kind::histogram;
      }
  if (histogram_count) *histogram_count = hists;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cmd_logs)

BOOST_AUTO_TEST_CASE(train_logdir_writes_keras_tags_and_logs_digests_them) {
  const std::string data = tiny_dataset(), logdir = test::scratch_dir() + "/logs_cli/train_run";
  fs::remove_all(logdir);
  const Run r = run("train --epochs 2 --batch-size 32 --threads 1 --seed 1 --data " + data + " --logdir " + logdir);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out);
  std::size_t hists = 0;
  const auto s = scalars_of(logdir + "/train", &hists);
  BOOST_REQUIRE_EQUAL(s.at("epoch_loss").size(), 2u);
  BOOST_TEST(s.at("epoch_accuracy").size() == 2u);
  BOOST_TEST(s.at("epoch_learning_rate").at(1).second == static_cast<float>(0.001));
  // The loss the progress line printed for epoch 2, to its 4 decimals.
  const auto at = r.out.find("Epoch 2/2");
  BOOST_REQUIRE(at != std::string::npos);
  const auto loss_at = r.out.find("loss: ", at);
  BOOST_TEST(std::fabs(std::stod(r.out.substr(loss_at + 6, 6)) - s.at("epoch_loss")[1].second) < 6e-5, r.out);
  // Weight and gradient histograms of the two Dense layers each epoch, and their gradient norms.
  BOOST_TEST(hists == 2u * (4 + 4));
  for (const std::string w : {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}) {
    BOOST_TEST(s.count(w + "/gradient_norm") == 1u, w);
    BOOST_TEST(s.at(w + "/gradient_norm").size() == 2u);
    BOOST_TEST(s.at(w + "/gradient_norm")[1].second > 0);
  }

  // protoc (a build dependency) decodes the epoch_loss event of epoch 1 without tapegrad's .proto:
  // field 2 (step) = 1, field 5 (summary) > 1 (value) > 1 (tag), 2 (simple_value, fixed32 bits).
  const std::string events = fs::directory_iterator(logdir + "/train")->path().string();
  const summary::RecordScan scan = summary::read_records(events);
  const summary::EventFile decoded = summary::read_event_file(events);
  std::size_t k = 0;
  while (k < decoded.events.size() &&
         !(decoded.events[k].step == 1 && !decoded.events[k].values.empty() && decoded.events[k].values[0].tag == "epoch_loss"))
    ++k;
  BOOST_REQUIRE_LT(k, scan.records.size());
  std::ofstream(logdir + "/record.bin", std::ios::binary) << scan.records[k];
  const float loss1 = static_cast<float>(s.at("epoch_loss")[1].second);
  char bits[32];
  std::snprintf(bits, sizeof bits, "0x%08x", std::bit_cast<std::uint32_t>(loss1));
  FILE* p = popen(("protoc --decode_raw < '" + logdir + "/record.bin'").c_str(), "r");
  BOOST_REQUIRE(p);
  std::string raw;
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), p)) raw += buf.data();
  BOOST_TEST(pclose(p) == 0);
  BOOST_TEST(raw.find("\n2: 1\n5 {\n  1 {\n    1: \"epoch_loss\"\n    2: " + std::string(bits) + "\n") != std::string::npos, raw);
  fs::remove(logdir + "/record.bin");

  const Run d = run("logs " + logdir);
  BOOST_TEST(d.status == 0, d.out);
  for (const std::string& part : std::vector<std::string>{"Log directory: " + logdir, "run train  (1 file,", "epoch_loss", "epoch_accuracy",
                                 "gradients (latest step of each weight)", "dense_1/kernel", "global gradient norm",
                                 "8 histogram tags, latest at step 1"})
    BOOST_TEST(d.out.find(part) != std::string::npos, "'" << part << "' not in:\n" << d.out);
  // A writer killed mid-record: the digest reads the whole records and says so.
  const std::string file = fs::directory_iterator(logdir + "/train")->path().string();
  std::ofstream(file, std::ios::binary | std::ios::app) << summary::frame_record(std::string(30, 'z')).substr(0, 20);
  const Run cut = run("logs " + logdir);
  BOOST_TEST(cut.status == 0, cut.out);
  BOOST_TEST(cut.out.find("ends inside a record") != std::string::npos, cut.out);
  BOOST_TEST(cut.out.find("epoch_loss") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(grads_logdir_writes_the_gradient_norms_of_the_file) {
  const std::string model = std::string(TG_SHARED_DIR) + "/keras-files/keras2.0.8_seq_mlp_full.h5";
  const std::string mnist = std::string(TG_SHARED_DIR) + "/datasets/mnist";
  if (!fs::exists(model) || !fs::exists(mnist)) {
    BOOST_TEST_MESSAGE("skipped: ../shared keras files or MNIST missing");
    return;
  }
  const std::string logdir = test::scratch_dir() + "/logs_cli/grads";
  fs::remove_all(logdir);
  const Run r = run("grads " + model + " --logdir " + logdir + " --batch 16 --data " + mnist);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out);
  std::size_t hists = 0;
  const auto s = scalars_of(logdir, &hists);
  BOOST_TEST(hists == 8u);  // 4 weights: the weight and its gradient
  // The same gradient computed in-process through the library.
  auto m = load_model(model);
  const io::Split test = io::load_idx_split(mnist, "t10k");
  GradientTape tape;
  const Tensor loss =
      nn::SparseCategoricalCrossentropy()(test.y.slice_rows(0, 16), (*m)(test.x.slice_rows(0, 16).reshape({16, 784})));
  const auto want = tape.gradient(loss, m->trainable_variables());
  const auto vars = m->trainable_variables();
  for (std::size_t i = 0; i < vars.size(); ++i) {
    double sq = 0;
    for (double v : want[i].to_vector<double>()) sq += v * v;
    BOOST_TEST(s.at(vars[i].name() + "/gradient_norm").at(0).second == std::sqrt(sq), boost::test_tools::tolerance(1e-5));
  }
  BOOST_TEST(s.at("loss").at(0).second == loss.item(), boost::test_tools::tolerance(1e-6));
  const Run none = run("grads " + model);
  BOOST_TEST(none.status == 2);
  BOOST_TEST(none.out.find("--out GRADS.h5 or --logdir DIR") != std::string::npos, none.out);
  const Run empty = run("logs " + test::scratch_dir() + "/logs_cli/data");
  BOOST_TEST(empty.status == 1);
  BOOST_TEST(empty.out.find("no event files") != std::string::npos, empty.out);
}

BOOST_AUTO_TEST_SUITE_END()
