// Keras' compile/fit/evaluate on Fashion-MNIST, with validation, early stopping and a saved model.
// Usage: example_fit [epochs] [save_path]
#include <cstdlib>
#include <iostream>

#include "tapegrad.hpp"

int main(int argc, char** argv) {
  using namespace tg;
  const auto data = io::load_fashion_mnist();
  nn::Sequential model({nn::Flatten(), nn::Dense(128, "relu"), nn::Dense(10, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.build(Shape{28, 28});
  std::cout << model.summary();
  nn::FitOptions options;
  options.epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  options.validation_split = 0.1;
  options.callbacks = {std::make_shared<nn::EarlyStopping>("val_loss", 0.0, 2, "auto", true)};
  const nn::History history = model.fit(data.x_train, data.y_train, options);
  std::cout << "epochs run: " << history.epoch.size() << "\n";
  const auto result = model.evaluate(data.x_test, data.y_test);
  std::cout << "test loss: " << result.at("loss") << "\ntest accuracy: " << result.at("accuracy") << "\n";
  if (argc > 2) {
    tg::save_model(model, argv[2]);  // opens in Keras: keras.models.load_model(path)
    std::cout << "saved " << argv[2] << "\n";
  }
  return result.at("accuracy") > 0.5 ? 0 : 1;
}
