// tapegrad summary / evaluate / predict / grads: Keras files from the command line.
#include <iomanip>
#include <iostream>

#include "core/reduce.hpp"
#include "io/datasets.hpp"
#include "io/keras_model.hpp"
#include "io/keras_model_io.hpp"
#include "nn/model_config.hpp"
#include "io/tensor_dump.hpp"
#include "tapegrad.hpp"
#include "tools/cli.hpp"

namespace tg::cli {
namespace {

std::string require_file(const Args& args, const char* cmd) {
  if (args.positional.size() != 1) throw UsageError(std::string(cmd) + " takes exactly one FILE");
  return args.positional[0];
}

// The test images shaped for the model's input ((28, 28), (784,) or (28, 28, 1)).
io::Split test_data(const Args& args, const nn::Model& model) {
  const std::string dataset = args.get("dataset", "mnist");
  if (dataset != "mnist" && dataset != "fashion-mnist") throw UsageError("--dataset must be mnist or fashion-mnist");
  const std::string fallback = dataset == "mnist" ? "/usr/share/datasets/mnist" : "/usr/share/datasets/fashion-mnist";
  const double scale = args.get_double("scale", 255);
  if (scale != 255 && scale != 1) throw UsageError("--scale must be 255 or 1");
  io::Split s = io::load_idx_split(args.get("data", fallback), "t10k", scale);
  const Shape in = model.input_shape();
  std::vector<std::int64_t> shape{s.x.shape()[0]};
  for (std::int64_t d : in) shape.push_back(d);
  if (in.numel() != 28 * 28)
    throw std::runtime_error("the model's input shape " + in.str() + " does not hold a 28x28 image");
  s.x = core::view(s.x, shape);
  return s;
}

// --isolated on|off: parse FILE in a child process with limits (io::read_keras_file_isolated);
// --memory-limit MB: the largest tensor or dataset accepted (default: the physical memory).
bool isolated(const Args& args, bool fallback) {
  if (args.has("memory-limit")) {
    const long long mb = args.get_int("memory-limit", 0);
    if (mb <= 0) throw UsageError("--memory-limit expects a positive number of MB");
    alloc::set_memory_limit(static_cast<std::size_t>(mb) << 20);
  }
  const std::string v = args.get("isolated", fallback ? "on" : "off");
  if (v != "on" && v != "off") throw UsageError("--isolated must be on or off, got '" + v + "'");
  return v == "on";
}

io::KerasModel read_file(const Args& args, const std::string& path, bool isolated_by_default = false) {
  return isolated(args, isolated_by_default) ? io::read_keras_file_isolated(path) : io::read_keras_file(path);
}

// The file's own model, or with --arch an architecture from another file and FILE's weights.
std::shared_ptr<nn::Model> model_for(const Args& args, const std::string& path, bool isolated_by_default = false) {
  const bool iso = isolated(args, isolated_by_default);
  if (!args.has("arch")) return load_model(path, LoadModelOptions{.compile = false, .isolated = iso});
  std::shared_ptr<nn::Model> model = load_architecture(args.get("arch", ""));
  load_weights(*model, path, {.isolated = iso});
  return model;
}

// Zeros of the model's input shapes, batch 1 (an unknown dimension, as a sequence length, is 1).
std::vector<Tensor> zeros_for(const nn::Model& model) {
  std::vector<Tensor> xs;
  for (const Shape& s : model.input_shapes()) {
    Shape full{1};
    for (std::int64_t d : s) full.push_back(d < 0 ? 1 : d);
    xs.push_back(Tensor::zeros(full, model.dtype()));
  }
  return xs;
}

}  // namespace

int cmd_summary(const Args& args) {
  const std::string path = require_file(args, "summary");
  const io::KerasModel km = read_file(args, path);
  std::cout << "File: " << path << "\nFormat: " << km.format
            << "\nKeras version: " << (km.keras_version.empty() ? "(not recorded)" : km.keras_version)
            << "\nBackend: " << (km.backend.empty() ? "(not recorded)" : km.backend) << "\n";
  bool architecture = false;
  for (const auto& l : km.layers) architecture = architecture || !l.class_name.empty();
  if (architecture) {
    try {
      std::cout << model_from_keras(km, path)->summary();
      return 0;
    } catch (const std::exception& e) {
      std::cout << "(not loadable by tapegrad: " << e.what() << ")\n";
    }
  }
  // Weights only, or layers tapegrad cannot build: the file's own layers and weight shapes.
  std::cout << std::left << std::setw(29) << " Layer (type)" << std::setw(36) << "Weights" << "Param #\n"
            << std::string(72, '=') << "\n";
  for (const auto& l : km.layers) {
    std::string shapes;
    std::int64_t n = 0;
    for (const auto& w : l.weights) {
      shapes += (shapes.empty() ? "" : " ") + Shape(w.shape).str();
      n += w.numel();
    }
    std::cout << std::setw(29) << " " + l.name + (l.class_name.empty() ? "" : " (" + l.class_name + ")") << std::setw(36)
              << (shapes.empty() ? "-" : shapes) << n << "\n";
  }
  std::cout << std::string(72, '=') << "\nTotal params: " << nn::with_commas(km.param_count()) << "\n";
  return 0;
}

int cmd_evaluate(const Args& args) {
  const std::string path = require_file(args, "evaluate");
  std::shared_ptr<nn::Model> model = model_for(args, path);
  const io::Split data = test_data(args, *model);
  if (data.x.shape()[0] == 0) throw std::runtime_error("the test set in " + args.get("data", "(default)") + " has no samples");
  const Tensor probs = model->predict(data.x, args.get_int("batch-size", 256));
  const Tensor loss = sparse_categorical_crossentropy(data.y, probs, /*from_logits=*/false);
  const auto pred = core::argmax(probs, -1).to_vector<std::int64_t>(), labels = data.y.to_vector<std::int64_t>();
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += pred[i] == labels[i];
  std::cout << std::fixed << std::setprecision(4) << "test loss: " << loss.item() << "\n"
            << "test accuracy: " << static_cast<double>(hits) / static_cast<double>(pred.size()) << "\n";
  return 0;
}

int cmd_predict(const Args& args) {
  const std::string path = require_file(args, "predict");
  if (!args.has("input") || !args.has("output")) throw UsageError("predict needs --input IN.h5 and --output OUT.h5");
  std::shared_ptr<nn::Model> model = model_for(args, path);
  const auto in = load_tensors(args.get("input", ""));
  auto it = in.find("x");
  if (it == in.end()) throw std::runtime_error(args.get("input", "") + " has no dataset 'x'");
  const Tensor y = model->predict(core::convert(it->second, model->dtype()), args.get_int("batch-size", 256));
  save_tensors({{"y", y}}, args.get("output", ""));
  std::cout << "wrote y " << y.shape() << " to " << args.get("output", "") << "\n";
  return 0;
}

namespace {
// Where each trainable weight of `l` sits in the file: legacy files through the layer's group
// (legacy order: trainable weights first), native files through Keras 3's object paths.
void weight_paths(const nn::Layer& l, const io::KerasModel& km, const std::string& native_path,
                  std::vector<std::pair<Variable, std::string>>& out) {
  auto strip = [](std::string p) {
    for (const std::string prefix : {"/model_weights/", "/"})
      if (p.rfind(prefix, 0) == 0) return p.substr(prefix.size());
    return p;
  };
  if (km.format.rfind("legacy", 0) == 0) {
    const io::KerasLayer* file = km.find_layer(l.name());
    const auto vars = l.trainable_weights();
    for (std::size_t i = 0; file && i < vars.size() && i < file->weights.size(); ++i)
      out.emplace_back(vars[i], strip(file->weights[i].h5_path));
    return;
  }
  const auto& own = l.own_variables();
  for (std::size_t i = 0; i < own.size(); ++i)
    if (own[i].trainable()) out.emplace_back(own[i], native_path + "/vars/" + std::to_string(i));
  for (const auto& [key, sub] : l.sublayers())
    weight_paths(*sub, km, native_path + (l.is_model() ? "/layers/" : "/") + key, out);
}
}  // namespace

int cmd_grads(const Args& args) {
  const std::string path = require_file(args, "grads");
  if (!args.has("out") && !args.has("logdir")) throw UsageError("grads needs --out GRADS.h5 or --logdir DIR (or both)");
  const io::KerasModel km = read_file(args, path);
  std::shared_ptr<nn::Model> model = model_from_keras(km, path);
  io::Split data;
  if (args.has("input")) {  // models without a dataset here (CIFAR, 224x224 images): x and labels y from a file
    const auto in = load_tensors(args.get("input", ""));
    if (!in.count("x") || !in.count("y")) throw std::runtime_error(args.get("input", "") + " needs datasets 'x' and 'y' (labels)");
    data = {core::convert(in.at("x"), model->dtype()), core::convert(in.at("y"), DType::int64)};
    if (data.x.rank() < 1 || data.y.rank() != 1 || data.x.dim(0) != data.y.dim(0))
      throw std::runtime_error(args.get("input", "") + ": x " + data.x.shape().str() + " and y " + data.y.shape().str() +
                               " must hold the same number of samples, y one label each");
  } else {
    data = test_data(args, *model);
  }
  const std::int64_t n = std::min<std::int64_t>(args.get_int("batch", 32), data.x.shape()[0]);
  if (n < 1) throw UsageError("--batch must be at least 1");
  std::vector<std::pair<Variable, std::string>> paths;
  if (km.format.rfind("legacy", 0) == 0) {
    for (const auto& l : model->layers()) weight_paths(*l, km, "", paths);
  } else {
    weight_paths(*model, km, "", paths);
    for (auto& [v, p] : paths) p = p.substr(1);
  }
  std::vector<Variable> vars;
  for (const auto& [v, p] : paths) vars.push_back(v);
  GradientTape tape;
  // Through the logits when the model ends in a softmax activation, as Keras' loss does.
  const Tensor loss = nn::SparseCategoricalCrossentropy()(core::rows_view(data.y, 0, n), (*model)(core::rows_view(data.x, 0, n)));
  const auto grads = tape.gradient(loss, vars);
  std::vector<std::pair<std::string, Tensor>> named;
  for (std::size_t k = 0; k < grads.size(); ++k)
    if (grads[k].defined()) named.emplace_back(paths[k].second, grads[k]);
  std::cout << std::setprecision(6) << "loss: " << loss.item() << " on " << n << " samples";
  if (args.has("out")) {
    save_tensors(named, args.get("out", ""));
    std::cout << "; wrote " << named.size() << " gradients to " << args.get("out", "");
  }
  if (args.has("logdir")) {  // the tags nn::TensorBoard writes, at step 0 (see summary::gradients)
    summary::Writer writer(args.get("logdir", ""));
    writer.scalar("loss", loss.item(), 0);
    summary::gradients(writer, vars, grads, 0);
    writer.close();
    std::cout << "; wrote TensorBoard logs to " << writer.path();
  }
  std::cout << "\n";
  return 0;
}

int cmd_check(const Args& args) {
  const std::string path = require_file(args, "check");
  (void)isolated(args, true);  // a bad --isolated or --memory-limit is a usage error, not a verdict on FILE
  std::shared_ptr<nn::Model> model;
  try {
    model = model_for(args, path, /*isolated_by_default=*/true);
    const std::vector<Tensor> out = (*model)(zeros_for(*model));
    std::cout << path << ": OK, " << model->class_name() << " '" << model->name() << "' with " << model->layers().size()
              << " layers, " << nn::with_commas(model->count_params()) << " parameters; output shape";
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::string s = "(None";
      for (int d = 1; d < out[i].rank(); ++d) s += ", " + std::to_string(out[i].shape()[d]);
      std::cout << (i ? ", " : " ") << s << (out[i].rank() == 1 ? ",)" : ")");
    }
    std::cout << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cout << path << ": NOT LOADABLE: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tg::cli
