// `tapegrad train --model lstm` on a tiny Fashion-MNIST-shaped data set: it trains the LSTM
// classifier (each image as 28 rows of 28 pixels), prints the same epoch and test lines as the
// seed model, learns the easy task, and saves a file that loads back as that model.
#include <array>
#include <cstdio>
#include <filesystem>

#include "io/idx.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

using Run = test::CliRun;
Run run(const std::string& args) { return test::run_cli(args); }

// 256 train and 64 test images whose class is the row of a bright band: a sequence task.
std::string band_dataset() {
  const std::string dir = test::scratch_dir() + "/train_lstm/data";
  fs::create_directories(dir);
  for (const auto& [split, n] : std::vector<std::pair<std::string, std::int64_t>>{{"train", 256}, {"t10k", 64}}) {
    std::vector<std::uint8_t> images(static_cast<std::size_t>(n * 784)), labels(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 10);
      for (std::int64_t p = 0; p < 784; ++p)
        images[static_cast<std::size_t>(i * 784 + p)] = static_cast<std::uint8_t>(p / 28 / 2 == i % 10 ? 220 : (p * 7 + i) % 30);
    }
    const std::vector<std::int64_t> idims{n, 28, 28}, ldims{n};
    io::write_idx(dir + "/" + split + "-images-idx3-ubyte.gz", idims, images);
    io::write_idx(dir + "/" + split + "-labels-idx1-ubyte.gz", ldims, labels);
  }
  return dir;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cmd_train_lstm)

BOOST_AUTO_TEST_CASE(train_model_lstm_learns_and_saves_an_lstm) {
  const std::string data = band_dataset(), out = test::scratch_dir() + "/train_lstm/lstm.keras";
  const Run r = run("train --model lstm --epochs 4 --batch-size 16 --threads 2 --seed 2 --data " + data + " --save " + out);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out);
  BOOST_TEST(r.out.find("Epoch 4/4") != std::string::npos, r.out);
  const auto at = r.out.find("test accuracy: ");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, r.out);
  BOOST_TEST(std::stod(r.out.substr(at + 15)) >= 0.5, r.out);  // chance is 0.1
  auto model = load_model(out);
  BOOST_REQUIRE_EQUAL(model->layers().size(), 2u);
  BOOST_TEST(model->layers()[0]->class_name() == "LSTM");
  BOOST_TEST(model->count_params() == 4 * (28 * 128 + 128 * 128 + 128) + 129 * 10);
  const Run bad = run("train --model transformer --epochs 1 --data " + data);
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.out.find("--model must be mlp, convnet or lstm") != std::string::npos, bad.out);
}

BOOST_AUTO_TEST_SUITE_END()
