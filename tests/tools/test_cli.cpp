// The tapegrad command-line tool, run as a user runs it.
#include <array>
#include <cstdio>
#include <filesystem>

#include "io/idx.hpp"
#include "io/keras_model.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

using Run = test::CliRun;
Run run(const std::string& args) { return test::run_cli(args); }

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

const std::string files = std::string(TG_SHARED_DIR) + "/keras-files/";
const std::string mnist = std::string(TG_SHARED_DIR) + "/datasets/mnist";

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cli)

BOOST_AUTO_TEST_CASE(evaluate_reproduces_manifest_accuracy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"keras2.0.8_seq_mlp_full.h5", "0.9079"},
      {"tfkeras2.2.4-tf_seq_flatten_mlp_full.h5 --scale 1", "0.9203"},
      {"tfkeras2.10.0_seq_flatten_full_noopt.h5", "0.9720"},
      {"keras3.10.0_seq_flatten_dropout.keras", "0.9758"},
      {"keras2.2.4_seq_mlp_weights.h5 --arch " + std::string(TG_SOURCE_DIR) + "/tests/data/arch/keras2.2.4_seq_mlp.json", "0.9727"}};
  for (const auto& [file, acc] : cases) {
    const Run r = run("evaluate " + files + file + " --data " + mnist);
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(last_line(r.out) == "test accuracy: " + acc, r.out);
  }
}

BOOST_AUTO_TEST_CASE(convolutional_and_graph_files) {
  // MANIFEST accuracies of a tf.keras 2.4 .h5 CNN (MNIST) and a Keras 3.6 .keras CNN (Fashion-MNIST).
  const Run conv = run("evaluate " + files + "tfkeras2.4.0_seq_conv2d_full.h5 --data " + mnist);
  BOOST_TEST(conv.status == 0, conv.out);
  BOOST_TEST(last_line(conv.out) == "test accuracy: 0.9911", conv.out);
  if (std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) {
    const Run fashion = run("evaluate " + files + "keras3.6.0_seq_cnn_fashion.keras --dataset fashion-mnist");
    BOOST_TEST(fashion.status == 0, fashion.out);
    BOOST_TEST(last_line(fashion.out) == "test accuracy: 0.9095", fashion.out);
  }
  // The two graph files: summary, check, and grads on samples given in a file.
  const std::string dir = test::scratch_dir() + "/cli";
  std::filesystem::create_directories(dir);
  Generator g(5);
  save_tensors({{"x", Tensor::uniform(Shape{2, 32, 32, 3}, 0, 1, g)}, {"y", Tensor::from_values({3, 7}, Shape{2}).to(DType::int64)}},
               dir + "/cifar.h5");
  const std::string resnet = files + "keras2.2.4_func_resnet20_add_cifar10_full.h5";
  const Run summary = run("summary " + resnet);
  BOOST_TEST(summary.status == 0, summary.out);
  BOOST_TEST(summary.out.find("conv2d_21 (Conv2D)") != std::string::npos, summary.out);
  BOOST_TEST(summary.out.find("batch_normalization_19 (Bat") != std::string::npos, summary.out);
  BOOST_TEST(summary.out.find("Total params: 274,442") != std::string::npos, summary.out);
  BOOST_TEST(summary.out.find("Non-trainable params: 1,376") != std::string::npos, summary.out);
  const Run check = run("check " + resnet);
  BOOST_TEST(check.status == 0, check.out);
  BOOST_TEST(check.out.find("OK, Functional 'model_1' with 73 layers, 274,442 parameters; output shape (None, 10)") !=
                 std::string::npos, check.out);
  const Run grads = run("grads " + resnet + " --input " + dir + "/cifar.h5 --out " + dir + "/resnet_grads.h5");
  BOOST_TEST(grads.status == 0, grads.out);
  const auto gr = load_tensors(dir + "/resnet_grads.h5");
  BOOST_TEST(gr.size() == 82u);  // 21 conv kernels and biases, 19 BatchNormalization gammas and betas, the Dense pair
  // The same gradient through the library.
  auto m = load_model(resnet);
  const Tensor x = load_tensors(dir + "/cifar.h5").at("x");
  GradientTape tape;
  const Tensor loss = nn::SparseCategoricalCrossentropy()(Tensor::from_values({3, 7}, Shape{2}).to(DType::int64), (*m)(x));
  const auto want = tape.gradient(loss, m->trainable_variables());
  BOOST_REQUIRE_EQUAL(want.size(), 82u);
  test::check_close(gr.at("dense_1/dense_1/kernel:0"), want[80].to_vector<double>(), 1e-5, 1e-7, "dense kernel gradient");
  const std::string tm = files + "tfkeras2.4.0_seq_nested_mobilenetv2_tm_full.h5";
  const Run tm_check = run("check " + tm);
  BOOST_TEST(tm_check.status == 0, tm_check.out);
  BOOST_TEST(tm_check.out.find("output shape (None, 3)") != std::string::npos, tm_check.out);
  const Run tm_summary = run("summary " + tm);
  BOOST_TEST(tm_summary.status == 0, tm_summary.out);
  BOOST_TEST(tm_summary.out.find("Total params: 538,608") != std::string::npos, tm_summary.out);
}

BOOST_AUTO_TEST_CASE(summary_of_every_kind_of_file) {
  const Run full = run("summary " + files + "tfkeras2.10.0_seq_flatten_full_noopt.h5");
  BOOST_TEST(full.status == 0);
  BOOST_TEST(full.out.find("Keras version: 2.10.0") != std::string::npos, full.out);
  BOOST_TEST(full.out.find("Format: legacy-h5-full") != std::string::npos);
  BOOST_TEST(full.out.find(" dense (Dense)               (None, 128)               100480") != std::string::npos, full.out);
  BOOST_TEST(full.out.find("Total params: 101,770") != std::string::npos);
  const Run native = run("summary " + files + "keras3.x_seq_mlp_fashion.weights.h5");
  BOOST_TEST(native.status == 0);
  BOOST_TEST(native.out.find("Format: keras3-weights-h5") != std::string::npos, native.out);
  BOOST_TEST(last_line(native.out) == "Total params: 636,010", native.out);  // 784*800+800 + 800*10+10
  const Run conv = run("summary " + files + "tfkeras2.4.0_seq_conv2d_full.h5");
  BOOST_TEST(conv.status == 0);
  BOOST_TEST(conv.out.find("Conv2D") != std::string::npos, conv.out);
}

BOOST_AUTO_TEST_CASE(predict_and_grads_write_h5) {
  const std::string dir = test::scratch_dir() + "/cli";
  std::filesystem::create_directories(dir);
  Generator g(1);
  save_tensors({{"x", Tensor::uniform(Shape{3, 784}, 0, 1, g)}}, dir + "/in.h5");
  const Run p = run("predict " + files + "keras3.3.3_seq_mlp_full.h5 --input " + dir + "/in.h5 --output " + dir + "/out.h5");
  BOOST_TEST(p.status == 0, p.out);
  const Tensor y = load_tensors(dir + "/out.h5").at("y");
  BOOST_TEST(y.shape() == (Shape{3, 10}));
  const Tensor ref = load_model(files + "keras3.3.3_seq_mlp_full.h5")->predict(load_tensors(dir + "/in.h5").at("x"));
  BOOST_TEST(y.to_vector<float>() == ref.to_vector<float>());

  const Run gr = run("grads " + files + "keras2.0.8_seq_mlp_full.h5 --out " + dir + "/g.h5 --batch 16 --data " + mnist);
  BOOST_TEST(gr.status == 0, gr.out);
  const auto grads = load_tensors(dir + "/g.h5");
  BOOST_TEST(grads.size() == 4u);
  BOOST_TEST(grads.count("dense_3/dense_3/kernel:0") == 1u);
  BOOST_TEST(grads.at("dense_3/dense_3/kernel:0").shape() == (Shape{784, 64}));
  // The same gradient computed in-process through the library.
  auto m = load_model(files + "keras2.0.8_seq_mlp_full.h5");
  const io::Split test = io::load_idx_split(mnist, "t10k");
  GradientTape tape;
  const Tensor loss =
      nn::SparseCategoricalCrossentropy()(test.y.slice_rows(0, 16), (*m)(test.x.slice_rows(0, 16).reshape({16, 784})));
  const auto want = tape.gradient(loss, m->trainable_variables());
  test::check_close(grads.at("dense_4/dense_4/bias:0"), want[3].to_vector<double>(), 1e-6, 1e-7, "bias gradient");
}

BOOST_AUTO_TEST_CASE(errors_are_clear) {
  // A file with a class the registry does not hold: its class, its position and the known classes.
  io::KerasModel km = io::read_keras_file(files + "tfkeras2.10.0_seq_flatten_full_noopt.h5");
  km.model_config["config"]["layers"][2]["class_name"] = "NoSuchLayer";
  const std::string odd = test::scratch_dir() + "/cli_unknown_class.h5";
  io::write_legacy_h5(km, odd, false);
  for (const std::string cmd : {"evaluate ", "check "}) {
    const Run unknown = run(cmd + odd + (cmd == "check " ? "" : " --data " + mnist));
    BOOST_TEST(unknown.status == 1);
    BOOST_TEST(unknown.out.find("unknown layer class 'NoSuchLayer'") != std::string::npos, unknown.out);
    BOOST_TEST(unknown.out.find("layer 2") != std::string::npos, unknown.out);
    BOOST_TEST(unknown.out.find("Activation, Add") != std::string::npos, unknown.out);
  }
  const Run missing = run("summary /nonexistent/model.h5");
  BOOST_TEST(missing.status == 1);
  BOOST_TEST(missing.out.find("/nonexistent/model.h5") != std::string::npos, missing.out);
  const Run bad_opt = run("train --epochz 3");
  BOOST_TEST(bad_opt.status == 2);
  BOOST_TEST(bad_opt.out.find("unknown option --epochz") != std::string::npos, bad_opt.out);
  const Run no_data = run("train --epochs 1 --data /nonexistent");
  BOOST_TEST(no_data.status == 1);
  BOOST_TEST(no_data.out.find("/nonexistent") != std::string::npos, no_data.out);
}

BOOST_AUTO_TEST_CASE(train_one_epoch_prints_keras_lines_and_saves) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    BOOST_TEST_MESSAGE("skipped: Debian's dataset-fashion-mnist is not installed");
    return;
  }
  const std::string out = test::scratch_dir() + "/cli/trained.h5";
  const Run r = run("train --epochs 1 --batch-size 128 --threads 2 --seed 3 --save " + out);
  BOOST_TEST(r.status == 0, r.out);
  BOOST_TEST(r.out.rfind("Epoch 1/1 - ", 0) == 0u, r.out);  // not a terminal: one plain line per epoch
  BOOST_TEST(r.out.find("s - loss: ") != std::string::npos);
  BOOST_TEST(r.out.find("\ntest loss: ") != std::string::npos);
  const std::string last = last_line(r.out);
  BOOST_TEST(last.rfind("test accuracy: 0.", 0) == 0u, last);
  BOOST_TEST(std::stod(last.substr(15)) > 0.8);
  auto back = load_model(out);
  BOOST_TEST(back->count_params() == 101770);
}

BOOST_AUTO_TEST_CASE(train_convnet_on_a_small_subset) {
  // A small dataset directory cut from MNIST's t10k set: 1200 images to train on, 400 to test.
  const std::string dir = test::scratch_dir() + "/cli/mnist_subset";
  std::filesystem::create_directories(dir);
  const io::IdxData images = io::read_idx(mnist + "/t10k-images-idx3-ubyte.gz", 3);
  const io::IdxData labels = io::read_idx(mnist + "/t10k-labels-idx1-ubyte.gz", 1);
  auto cut = [&](const std::string& split, std::int64_t begin, std::int64_t n) {
    const std::vector<std::int64_t> idims{n, 28, 28}, ldims{n};
    io::write_idx(dir + "/" + split + "-images-idx3-ubyte.gz", idims,
                  std::span(images.bytes).subspan(static_cast<std::size_t>(begin * 784), static_cast<std::size_t>(n * 784)));
    io::write_idx(dir + "/" + split + "-labels-idx1-ubyte.gz", ldims,
                  std::span(labels.bytes).subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(n)));
  };
  cut("train", 0, 1200);
  cut("t10k", 1200, 400);
  const std::string out = test::scratch_dir() + "/cli/convnet.keras";
  const Run r = run("train --model convnet --epochs 1 --batch-size 32 --threads 2 --seed 2 --data " + dir + " --save " + out);
  BOOST_TEST(r.status == 0, r.out);
  BOOST_TEST(r.out.rfind("Epoch 1/1 - ", 0) == 0u, r.out);
  BOOST_TEST(r.out.find("s - loss: ") != std::string::npos, r.out);
  const std::string last = last_line(r.out);
  BOOST_TEST(last.rfind("test accuracy: 0.", 0) == 0u, last);
  BOOST_TEST(std::stod(last.substr(15)) > 0.6, r.out);  // 38 Adam steps (0.735 with seed 2): far above chance (0.1)
  auto back = load_model(out);
  BOOST_TEST(back->count_params() == 34826);  // Keras' summary of mnist_convnet: 34,826
  BOOST_TEST(back->layers()[0]->class_name() == "Conv2D");
  const Run bad = run("train --model resnet --epochs 1 --data " + dir);
  BOOST_TEST(bad.status == 2, bad.out);
  BOOST_TEST(bad.out.find("--model must be mlp, convnet or lstm") != std::string::npos, bad.out);
}

BOOST_AUTO_TEST_SUITE_END()
