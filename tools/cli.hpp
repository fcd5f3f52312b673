#pragma once
// Shared by the tapegrad subcommands: argument parsing with clear errors.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tg::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --name value options and positional arguments, checked against the known option names.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  Args(int argc, char** argv, int first, const std::vector<std::string>& known);
  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback) const;
  long long get_int(const std::string& name, long long fallback) const;
  double get_double(const std::string& name, double fallback) const;
};

int cmd_train(const Args& args);
int cmd_summary(const Args& args);
int cmd_evaluate(const Args& args);
int cmd_predict(const Args& args);
int cmd_grads(const Args& args);
int cmd_check(const Args& args);
int cmd_logs(const Args& args);

}  // namespace tg::cli
