// libFuzzer target: the model-config parser. The bytes are a model.to_json() text (a legacy
// file's model_config attribute, config.json of a .keras archive): checked for size and depth,
// described (nn::describe_model_config) and deserialised through the registry, then built.
#include "fuzz/fuzz_common.hpp"
#include "io/keras_internal.hpp"
#include "nn/model.hpp"
#include "nn/model_config.hpp"
#include "nn/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::fuzz::run([&] {
    const nlohmann::json j = tg::io::detail::parse_json_text(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    const tg::nn::ModelConfigInfo info = tg::nn::describe_model_config(j, "fuzz.json");
    tg::nn::LoadContextScope scope({2, tg::nn::KerasFormat::keras2});
    auto layer = tg::nn::deserialize_layer(j, "fuzz.json");
    auto model = std::dynamic_pointer_cast<tg::nn::Model>(layer);
    bool known = info.has_input_shape;
    for (std::int64_t d : info.input_shape) known = known && d > 0;
    if (model && !model->built() && known) model->build(info.input_shape);
  });
  return 0;
}
