// A user's program against the installed package: the umbrella header, the io header that once
// needed <hdf5.h>, and options with designated initializers (which must not warn under -Wextra).
#include <tapegrad/io/keras_model.hpp>
#include <tapegrad/tapegrad.hpp>

#include <iostream>

int main() {
  const tg::Tensor t = tg::Tensor::from_values({1, 2, 3, 4}, tg::Shape{2, 2});
  double sum = 0;
  for (float v : t.to_vector<float>()) sum += v;
  const tg::nn::FitOptions fit{.epochs = 5, .batch_size = 2};
  const tg::nn::DenseOptions dense{.use_bias = false};
  const tg::nn::AdamOptions adam{.learning_rate = 0.01};
  std::cout << "sum=" << sum << " epochs=" << fit.epochs << " bias=" << dense.use_bias << " lr=" << adam.learning_rate
            << " isa=" << tg::isa_name(tg::active_isa()) << "\n";
  return sum == 10 && fit.epochs == 5 ? 0 : 1;
}
