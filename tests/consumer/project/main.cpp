#include <tapegrad/tapegrad.hpp>

#include <iostream>

int main() {
  const tg::Tensor t = tg::Tensor::from_values({1, 2, 3, 4}, tg::Shape{2, 2});
  double sum = 0;
  for (float v : t.to_vector<float>()) sum += v;
  std::cout << "sum=" << sum << " isa=" << tg::isa_name(tg::active_isa()) << "\n";
  return sum == 10 ? 0 : 1;
}
