// libFuzzer target: Keras 3 native .weights.h5 files, read from memory.
// Same body for the three Keras targets; they differ by their seed corpus (fuzz/corpus/weights_h5).
#include "fuzz/keras_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::fuzz::keras_reader(data, size, "fuzz.weights.h5");
  return 0;
}
