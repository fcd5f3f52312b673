// tapegrad train: a model on Fashion-MNIST (--model mlp, the seed model, or lstm).
#include <iomanip>
#include <iostream>

#include "io/datasets.hpp"
#include "tapegrad.hpp"
#include "tools/cli.hpp"

namespace tg::cli {

namespace {

// The classic Keras example: each image read as a sequence of 28 rows of 28 pixels.
std::shared_ptr<nn::Sequential> lstm_classifier() {
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::LayerHandle>{
      nn::LSTM(128), nn::Dense(10, "softmax")});
  model->build(Shape{28, 28});
  return model;
}

std::shared_ptr<nn::Sequential> make_model(const std::string& kind) {
  if (kind == "lstm") return lstm_classifier();
  if (kind != "mlp") throw UsageError("--model must be mlp or lstm, got '" + kind + "'");
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::LayerHandle>{
      nn::Flatten(), nn::Dense(128, "relu"), nn::Dense(10, "softmax")});
  model->build(Shape{28, 28});
  return model;
}

}  // namespace

int cmd_train(const Args& args) {
  const int epochs = static_cast<int>(args.get_int("epochs", 5));
  const std::int64_t batch_size = args.get_int("batch-size", 32);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 0));
  if (epochs < 1) throw UsageError("--epochs must be at least 1");
  if (batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (args.has("threads")) tg::set_num_threads(static_cast<int>(args.get_int("threads", 0)));

  const io::Dataset data = io::load_fashion_mnist(args.get("data", "/usr/share/datasets/fashion-mnist"));
  if (!data.x_train.defined())
    throw std::runtime_error("no training split (train-images-idx3-ubyte.gz) in " + args.get("data", "/usr/share/datasets/fashion-mnist"));

  nn::set_random_seed(seed);
  const std::shared_ptr<nn::Sequential> built = make_model(args.get("model", "mlp"));
  nn::Sequential& model = *built;
  model.compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
  nn::FitOptions fit;
  fit.epochs = epochs;
  fit.batch_size = batch_size;
  fit.seed = seed;
  if (args.has("logdir"))  // Keras' TensorBoard callback, with weight and gradient histograms every epoch
    fit.callbacks.push_back(std::make_shared<nn::TensorBoard>(args.get("logdir", ""), nn::TensorBoardOptions{.histogram_freq = 1}));
  model.fit(data.x_train, data.y_train, fit);
  const auto result = model.evaluate(data.x_test, data.y_test, batch_size);
  if (args.has("save")) save_model(model, args.get("save", ""));
  std::cout << std::fixed << std::setprecision(4) << "test loss: " << result.at("loss") << "\n"
            << "test accuracy: " << result.at("accuracy") << "\n";
  return 0;
}

}  // namespace tg::cli
