// libFuzzer target: legacy Keras HDF5 files (model.save / save_weights to .h5), read from memory.
// Same body for the three Keras targets; they differ by their seed corpus (fuzz/corpus/legacy_h5).
#include "fuzz/keras_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::fuzz::keras_reader(data, size, "fuzz.h5");
  return 0;
}
