// A custom training loop with a GradientTape: the seed model on Fashion-MNIST, printing the
// per-layer gradient norms of the first step. Usage: example_custom_training_loop [steps]
#include <cstdlib>
#include <iostream>

#include "tapegrad.hpp"

int main(int argc, char** argv) {
  using namespace tg;
  const auto data = io::load_fashion_mnist();
  const long steps = argc > 1 ? std::atol(argv[1]) : 1875;  // one epoch at batch 32
  nn::Sequential model({nn::Flatten(), nn::Dense(128, "relu"), nn::Dense(10)});  // logits out
  nn::Adam optimizer;
  nn::SparseCategoricalCrossentropy loss_fn(/*from_logits=*/true);
  nn::Dataset batches(data.x_train, data.y_train);
  Generator shuffle(0);
  batches.shuffle(shuffle);
  for (long step = 0; step < steps; ++step) {
    const auto [x, y] = batches.batch(step % batches.num_batches(32), 32);
    GradientTape tape;
    const Tensor loss = loss_fn(y, model(x, /*training=*/true));
    const auto grads = tape.gradient(loss, model.trainable_variables());
    if (step == 0)
      for (std::size_t i = 0; i < grads.size(); ++i)
        std::cout << model.trainable_variables()[i].name() << " grad norm " << global_norm({grads[i]}) << "\n";
    optimizer.apply_gradients(grads, model.trainable_variables());
    if ((step + 1) % 500 == 0 || step + 1 == steps) std::cout << "step " << step + 1 << " loss " << loss.item() << "\n";
  }
  Tensor test_logits = model.predict(data.x_test);
  nn::SparseCategoricalAccuracy accuracy;
  accuracy.update_state(data.y_test, test_logits);
  std::cout << "test accuracy " << accuracy.result() << "\n";
  return accuracy.result() > 0.5 ? 0 : 1;
}
