// What softmax does, and why Dense(10, "softmax") and Dense(10) + Activation("softmax") are the
// same model while only the second lets you read the logits.
#include <iomanip>
#include <iostream>

#include "tapegrad.hpp"

int main() {
  using namespace tg;
  // Softmax turns scores into probabilities that sum to 1 and keeps their order (same argmax).
  const Tensor scores = Tensor::from_values({2.0, 1.0, 0.1}, Shape{1, 3});
  const Tensor probs = softmax(scores);
  std::cout << "scores " << scores << "\nsoftmax " << probs << "\nsum " << sum(probs).item() << ", argmax "
            << argmax(scores, -1).item() << " -> " << argmax(probs, -1).item() << "\n\n";

  nn::set_random_seed(42);
  nn::Sequential fused({nn::Flatten(), nn::Dense(32, "relu"), nn::Dense(10, "softmax")});
  nn::Sequential split({nn::Flatten(), nn::Dense(32, "relu"), nn::Dense(10), nn::Activation("softmax")});
  fused.build(Shape{28, 28});
  split.build(Shape{28, 28});
  const auto from = fused.weights(), to = split.weights();
  for (std::size_t i = 0; i < from.size(); ++i) to[i].assign(from[i].value());  // same weights

  Generator gen(0);
  const Tensor x = Tensor::uniform(Shape{4, 28, 28}, 0, 1, gen);
  const Tensor p_fused = fused(x);
  const std::vector<Tensor> outs = split.call_with_intermediates(x);
  const Tensor logits = outs[outs.size() - 2], p_split = outs.back();
  double max_diff = 0;
  for (std::int64_t i = 0; i < p_fused.numel(); ++i)
    max_diff = std::max(max_diff, std::abs(p_fused.to_vector<double>()[static_cast<std::size_t>(i)] -
                                            p_split.to_vector<double>()[static_cast<std::size_t>(i)]));
  std::cout << "max |Dense(softmax) - Dense + Activation(softmax)| = " << max_diff << "\n";
  std::cout << "logits of example 0 (only the split model exposes them): " << slice(logits, 0, 0, 1) << "\n\n";

  // Train on logits with a fused cross-entropy: log(softmax(x)) underflows where the fused op does not.
  const Tensor big = Tensor::from_values({1000, 0, -1000}, Shape{1, 3});
  const Tensor label = Tensor::from_vector<std::int64_t>({2}, Shape{1});
  std::cout << std::setprecision(6) << "-log(softmax(x))[2]             = " << -log(softmax(big)).at({0, 2}) << "\n"
            << "sparse_softmax_cross_entropy(x) = " << sparse_softmax_cross_entropy_with_logits(label, big).item() << "\n";
  return max_diff < 1e-6 ? 0 : 1;
}
