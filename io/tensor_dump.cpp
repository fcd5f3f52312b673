#include "io/tensor_dump.hpp"

#include "io/tensor_file.hpp"

namespace tg {

void save_tensors(const std::vector<std::pair<std::string, Tensor>>& named, const std::string& path) {
  std::vector<io::NamedArray> arrays;
  for (const auto& [name, t] : named) {
    if (!t.defined()) fail("save_tensors: tensor '", name, "' is undefined");
    arrays.push_back({name, t.shape().to_vector(), t.to_vector<double>(), t.dtype() != DType::float32});
  }
  io::save_arrays(arrays, path);
}

std::map<std::string, Tensor> load_tensors(const std::string& path) {
  std::map<std::string, Tensor> out;
  for (const auto& a : io::load_arrays(path))
    out[a.name] = Tensor::from_vector(a.values, Shape(a.shape)).to(a.float64 ? DType::float64 : DType::float32);
  return out;
}

}  // namespace tg
