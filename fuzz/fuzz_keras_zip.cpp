// libFuzzer target: .keras archives (zip: config.json, metadata.json, model.weights.h5), read from memory.
// Same body for the three Keras targets; they differ by their seed corpus (fuzz/corpus/keras_zip).
#include "fuzz/keras_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::fuzz::keras_reader(data, size, "fuzz.keras");
  return 0;
}
