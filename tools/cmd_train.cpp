// tapegrad train: a model by name (--model) on Fashion-MNIST.
#include <iomanip>
#include <iostream>

#include "io/datasets.hpp"
#include "tapegrad.hpp"
#include "tools/cli.hpp"

namespace tg::cli {

namespace {

// The model --model names, built for 28x28 images; the images `xs` are reshaped to the input it takes.
std::unique_ptr<nn::Sequential> build_model(const std::string& name, std::vector<Tensor*> xs) {
  auto model = std::make_unique<nn::Sequential>();
  if (name == "mlp") {
    model->add(nn::Flatten());
    model->add(nn::Dense(128, "relu"));
    model->add(nn::Dense(10, "softmax"));
    model->build(Shape{28, 28});
  } else if (name == "convnet") {  // Keras' mnist_convnet example (keras.io/examples/vision/mnist_convnet)
    model->add(nn::Conv2D(32, {3, 3}, {.activation = "relu"}));
    model->add(nn::MaxPooling2D({2, 2}));
    model->add(nn::Conv2D(64, {3, 3}, {.activation = "relu"}));
    model->add(nn::MaxPooling2D({2, 2}));
    model->add(nn::Flatten());
    model->add(nn::Dropout(0.5));
    model->add(nn::Dense(10, "softmax"));
    model->build(Shape{28, 28, 1});
    for (Tensor* x : xs) *x = x->reshape({x->dim(0), 28, 28, 1});  // np.expand_dims(x, -1), as the example
  } else if (name == "lstm") {  // the classic Keras example: each image as 28 rows of 28 pixels
    model->add(nn::LSTM(128));
    model->add(nn::Dense(10, "softmax"));
    model->build(Shape{28, 28});
  } else {
    throw UsageError("--model must be mlp, convnet or lstm, got '" + name + "'");
  }
  return model;
}

int train(const Args& args, int ranks) {
  const int epochs = static_cast<int>(args.get_int("epochs", 5));
  const std::int64_t batch_size = args.get_int("batch-size", 32);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 0));
  if (epochs < 1) throw UsageError("--epochs must be at least 1");
  if (batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (args.has("threads")) tg::set_num_threads(static_cast<int>(args.get_int("threads", 0)));

  io::Dataset data = io::load_fashion_mnist(args.get("data", "/usr/share/datasets/fashion-mnist"));
  if (!data.x_train.defined())
    throw std::runtime_error("no training split (train-images-idx3-ubyte.gz) in " + args.get("data", "/usr/share/datasets/fashion-mnist"));

  nn::set_random_seed(seed);
  const std::unique_ptr<nn::Sequential> built = build_model(args.get("model", "mlp"), {&data.x_train, &data.x_test});
  nn::Sequential& model = *built;
  model.compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
  nn::FitOptions fit;
  fit.epochs = epochs;
  fit.batch_size = batch_size;
  fit.seed = seed;
  if (ranks > 1 && distributed::rank() == 0)
    std::cout << ranks << " ranks x batch " << batch_size << " per rank = global batch " << ranks * batch_size << "\n";
  if (args.has("logdir"))  // Keras' TensorBoard callback, with weight and gradient histograms every epoch
    fit.callbacks.push_back(std::make_shared<nn::TensorBoard>(args.get("logdir", ""), nn::TensorBoardOptions{.histogram_freq = 1}));
  model.fit(data.x_train, data.y_train, fit);
  const auto result = model.evaluate(data.x_test, data.y_test, batch_size);
  if (args.has("save") && distributed::rank() == 0) save_model(model, args.get("save", ""));
  if (distributed::rank() != 0) return 0;
  std::cout << std::fixed << std::setprecision(4) << "test loss: " << result.at("loss") << "\n"
            << "test accuracy: " << result.at("accuracy") << "\n";
  return 0;
}

}  // namespace

// Under `mpirun -np N` the Environment makes this one of N data-parallel ranks: --batch-size is the
// per-rank batch, rank 0 prints and saves, and a rank that fails ends the whole job.
int cmd_train(const Args& args) {
  distributed::Environment env;
  return env.run([&] { return train(args, env.size()); });
}

}  // namespace tg::cli
