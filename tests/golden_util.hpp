#pragma once
// Reads the golden JSON files of tests/golden (see its README for how they were made).
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tapegrad.hpp"

namespace tg::test {

inline nlohmann::json load_golden(const std::string& file) {
  const std::string path = std::string(TG_SOURCE_DIR) + "/tests/golden/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open golden file " + path);
  return nlohmann::json::parse(in);
}

// {"shape": [...], "dtype": ..., "data": [...]} -> Tensor of `dtype` (the file's own dtype by default).
inline Tensor golden_tensor(const nlohmann::json& j, int as = -1) {
  std::vector<std::int64_t> shape = j.at("shape").get<std::vector<std::int64_t>>();
  const std::string dt = j.at("dtype").get<std::string>();
  std::vector<double> data = j.at("data").get<std::vector<double>>();
  Tensor t = Tensor::from_vector(data, Shape(shape));
  DType want = dt == "float32" ? DType::float32 : dt == "int64" ? DType::int64 : DType::float64;
  if (as >= 0) want = static_cast<DType>(as);
  return t.to(want);
}

}  // namespace tg::test
