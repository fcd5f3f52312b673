// The tapegrad command-line tool: train the seed model, and inspect, evaluate and differentiate
// Keras files.
#include <cstdlib>
#include <iostream>
#include <string>

#include "tapegrad.hpp"
#include "tools/cli.hpp"

namespace tg::cli {

Args::Args(int argc, char** argv, int first, const std::vector<std::string>& known) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else {
        if (i + 1 >= argc) throw UsageError("option --" + name + " needs a value");
        value = argv[++i];
      }
      bool ok = false;
      for (const auto& k : known) ok = ok || k == name;
      if (!ok) throw UsageError("unknown option --" + name);
      options[name] = value;
    } else {
      positional.push_back(a);
    }
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

long long Args::get_int(const std::string& name, long long fallback) const {
  if (!has(name)) return fallback;
  const std::string v = options.at(name);
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end) throw UsageError("option --" + name + " expects an integer, got '" + v + "'");
  return x;
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string v = options.at(name);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end) throw UsageError("option --" + name + " expects a number, got '" + v + "'");
  return x;
}

}  // namespace tg::cli

namespace {
const char* usage =
    "usage: tapegrad <command> [options]\n"
    "  train     [--model mlp|convnet|lstm] [--epochs 5] [--batch-size 32] [--threads N] [--seed S] [--data DIR] [--save FILE]\n"
    "            [--logdir DIR]  (TensorBoard logs: DIR/train, with weight and gradient histograms)\n"
    "            train on Fashion-MNIST with Adam: mlp = Flatten, Dense(128, relu), Dense(10, softmax);\n"
    "            convnet = Keras' mnist_convnet (Conv2D 32, MaxPooling2D, Conv2D 64, MaxPooling2D, Flatten,\n"
    "            Dropout(0.5), Dense(10, softmax)); lstm = LSTM(128), Dense(10, softmax), each image\n"
    "            read as 28 rows of 28 pixels\n"
    "  check     FILE [--arch MODEL.json|MODEL.h5]   loads FILE as load_model does, runs it on zeros,\n"
    "            prints the output shape or the reason it cannot (exit 1)\n"
    "  summary   FILE          Keras-style summary of a .h5 / .weights.h5 / .keras file\n"
    "  evaluate  FILE [--data DIR] [--dataset mnist|fashion-mnist] [--scale 255|1] [--batch-size N]\n"
    "            [--arch MODEL.json|MODEL.h5]  (architecture for a weights-only FILE)\n"
    "  predict   FILE --input IN.h5 --output OUT.h5   (reads dataset x, writes dataset y)\n"
    "  grads     FILE [--out GRADS.h5] [--logdir DIR] [--batch N] [--data DIR] [--dataset ...] [--scale ...]\n"
    "            [--input IN.h5]  (samples x and int labels y instead of a dataset)\n"
    "  logs      DIR           one-screen digest of TensorBoard logs: scalars, trends, gradient norms\n"
    "  info      the SIMD instruction set and thread count in use\n"
    "Commands reading a Keras FILE also take --isolated on|off (parse FILE in a child process with\n"
    "memory and CPU limits, so a hostile file can crash only the child; on by default for check) and\n"
    "--memory-limit MB (the largest tensor or dataset accepted; default: the physical memory).\n";
}

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    using namespace tg::cli;
    if (cmd == "train")
      return cmd_train(Args(argc, argv, 2, {"epochs", "batch-size", "threads", "seed", "data", "save", "logdir", "model"}));
    if (cmd == "summary") return cmd_summary(Args(argc, argv, 2, {"isolated", "memory-limit"}));
    if (cmd == "check") return cmd_check(Args(argc, argv, 2, {"arch", "isolated", "memory-limit"}));
    if (cmd == "evaluate")
      return cmd_evaluate(
          Args(argc, argv, 2, {"data", "dataset", "scale", "batch-size", "arch", "isolated", "memory-limit"}));
    if (cmd == "predict")
      return cmd_predict(Args(argc, argv, 2, {"input", "output", "batch-size", "arch", "isolated", "memory-limit"}));
    if (cmd == "grads")
      return cmd_grads(
          Args(argc, argv, 2, {"out", "logdir", "batch", "data", "dataset", "scale", "input", "isolated", "memory-limit"}));
    if (cmd == "logs") return cmd_logs(Args(argc, argv, 2, {}));
    if (cmd == "info") {
      std::cout << "isa: " << tg::isa_name(tg::active_isa()) << "\nthreads: " << tg::num_threads() << "\n";
      return 0;
    }
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
      std::cout << usage;
      return 0;
    }
    std::cerr << (cmd.empty() ? "" : "tapegrad: unknown command '" + cmd + "'\n") << usage;
    return 2;
  } catch (const tg::cli::UsageError& e) {
    std::cerr << "tapegrad " << cmd << ": " << e.what() << "\n" << usage;
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "tapegrad " << cmd << ": error: out of memory (a size the checks let through, or a machine short of memory)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tapegrad " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}
