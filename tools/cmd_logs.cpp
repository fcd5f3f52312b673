// tapegrad logs DIR: a one-screen digest of a TensorBoard log directory, for a terminal over ssh.
// tapegrad train/grads --logdir DIR write the logs (see cmd_train.cpp, cmd_files.cpp).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "summary/reader.hpp"
#include "tools/cli.hpp"

namespace tg::cli {
namespace {

struct Series {
  std::vector<std::pair<std::int64_t, double>> points;  // (step, value) in file order
};

struct RunDigest {
  std::string name;
  std::size_t files = 0, events = 0;
  std::map<std::string, Series> scalars;
  std::map<std::string, std::int64_t> histograms;  // tag -> latest step
  std::vector<std::string> notes;                  // cut or corrupt files
};

std::string fmt(double v) {
  std::ostringstream os;
  os << std::setprecision(4) << v;
  return os.str();
}

// The last `width` values as bars from the lowest (▁) to the highest (█) of them.
std::string sparkline(const Series& s, std::size_t width = 12) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const std::size_t n = s.points.size(), from = n > width ? n - width : 0;
  double lo = INFINITY, hi = -INFINITY;
  for (std::size_t i = from; i < n; ++i)
    if (std::isfinite(s.points[i].second)) lo = std::min(lo, s.points[i].second), hi = std::max(hi, s.points[i].second);
  std::string out;
  for (std::size_t i = from; i < n; ++i) {
    const double v = s.points[i].second;
    if (!std::isfinite(v)) out += "!";
    else out += bars[hi > lo ? static_cast<int>(std::lround((v - lo) / (hi - lo) * 7)) : 0];
  }
  return out;
}

std::string trend(const Series& s) {
  if (s.points.size() < 2) return "";
  const double a = s.points.front().second, b = s.points.back().second;
  std::string out = fmt(a) + " -> " + fmt(b);
  if (a != 0 && std::isfinite(a) && std::isfinite(b)) {
    std::ostringstream os;
    os << std::showpos << std::fixed << std::setprecision(1) << (b - a) / std::fabs(a) * 100 << "%";
    out += " (" + os.str() + ")";
  }
  return out;
}

bool gradient_tag(const std::string& tag) {
  auto ends = [&](const std::string& suffix) {
    return tag.size() > suffix.size() && tag.compare(tag.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends("/gradient_norm") || ends("/update_ratio") || tag == "gradients/global_norm";
}

RunDigest digest(const summary::Run& run) {
  RunDigest d;
  d.name = run.name;
  d.files = run.files.size();
  for (const std::string& path : run.files) {
    const summary::EventFile f = summary::read_event_file(path);
    d.events += f.events.size();
    if (f.truncated) d.notes.push_back(path + ": ends inside a record (a writer still running or killed); read " +
                                       std::to_string(f.events.size()) + " whole events");
    if (!f.error.empty()) d.notes.push_back(path + ": " + f.error);
    for (const summary::Event& e : f.events)
      for (const summary::Value& v : e.values) {
        if (v.kind == summary::Value::Kind::scalar) d.scalars[v.tag].points.emplace_back(e.step, v.scalar);
        else if (v.kind == summary::Value::Kind::histogram)
          d.histograms[v.tag] = std::max(d.histograms.count(v.tag) ? d.histograms[v.tag] : e.step, e.step);
      }
  }
  return d;
}

void print_gradients(const RunDigest& d) {
  // <layer>/<weight>/gradient_norm and update_ratio at their latest step, one row per weight.
  struct Row {
    double norm = NAN, ratio = NAN;
    std::int64_t step = 0;
  };
  std::map<std::string, Row> rows;
  for (const auto& [tag, s] : d.scalars) {
    if (!gradient_tag(tag) || tag == "gradients/global_norm") continue;
    const std::string weight = tag.substr(0, tag.rfind('/'));
    Row& r = rows[weight];
    r.step = std::max(r.step, s.points.back().first);
    (tag.size() > 13 && tag.compare(tag.size() - 13, 13, "/update_ratio") == 0 ? r.ratio : r.norm) = s.points.back().second;
  }
  if (rows.empty()) return;
  std::cout << "  gradients (latest step of each weight)\n"
            << "  " << std::left << std::setw(34) << "layer/weight" << std::right << std::setw(12) << "grad norm"
            << std::setw(14) << "update ratio" << std::setw(8) << "step" << "\n";
  for (const auto& [weight, r] : rows)
    std::cout << "  " << std::left << std::setw(34) << weight << std::right << std::setw(12)
              << (std::isnan(r.norm) ? "-" : fmt(r.norm)) << std::setw(14) << (std::isnan(r.ratio) ? "-" : fmt(r.ratio))
              << std::setw(8) << r.step << "\n";
  if (auto it = d.scalars.find("gradients/global_norm"); it != d.scalars.end())
    std::cout << "  global gradient norm " << fmt(it->second.points.back().second) << " at step "
              << it->second.points.back().first << "  " << sparkline(it->second) << "\n";
}

}  // namespace

int cmd_logs(const Args& args) {
  if (args.positional.size() != 1) throw UsageError("logs takes exactly one log directory");
  const std::string dir = args.positional[0];
  const std::vector<summary::Run> runs = summary::find_runs(dir);
  if (runs.empty()) throw std::runtime_error("no event files (*tfevents*) under '" + dir + "'");
  std::cout << "Log directory: " << dir << "\n";
  for (const summary::Run& run : runs) {
    const RunDigest d = digest(run);
    std::cout << "\nrun " << d.name << "  (" << d.files << (d.files == 1 ? " file, " : " files, ") << d.events << " events)\n";
    for (const std::string& n : d.notes) std::cout << "  note: " << n << "\n";
    bool header = false;
    for (const auto& [tag, s] : d.scalars) {
      if (gradient_tag(tag)) continue;
      if (!header) {
        std::cout << "  " << std::left << std::setw(34) << "scalar" << std::right << std::setw(12) << "last" << std::setw(8)
                  << "step" << "  trend\n";
        header = true;
      }
      std::cout << "  " << std::left << std::setw(34) << tag << std::right << std::setw(12) << fmt(s.points.back().second)
                << std::setw(8) << s.points.back().first << "  " << sparkline(s) << "  " << trend(s) << "\n";
    }
    print_gradients(d);
    if (!d.histograms.empty()) {
      std::int64_t latest = 0;
      for (const auto& [tag, step] : d.histograms) latest = std::max(latest, step);
      std::cout << "  " << d.histograms.size() << " histogram tags, latest at step " << latest << "\n";
    }
  }
  return 0;
}

}  // namespace tg::cli
