#pragma once
// The body shared by the three Keras file targets: read the bytes as read_keras_file would, then
// build the model its config describes and load its weights, as load_model does.
#include "fuzz/fuzz_common.hpp"
#include "io/keras_model.hpp"
#include "io/keras_model_io.hpp"

namespace tg::fuzz {

inline void keras_reader(const std::uint8_t* data, std::size_t size, const char* name) {
  run([&] {
    const std::vector<unsigned char> bytes(data, data + size);
    const io::KerasModel km = io::read_keras_bytes(bytes, name);
    if (km.model_config.is_object()) (void)model_from_keras(km, name);
  });
}

}  // namespace tg::fuzz
