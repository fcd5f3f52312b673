#include "io/datasets.hpp"

#include <filesystem>
#include <optional>
#include <vector>

namespace tg::io {

namespace {

// The first existing file among the spellings in use for one IDX member of a split.
std::optional<std::string> find_member(const std::string& dir, const std::string& split, const char* kind,
                                       const char* idx, std::vector<std::string>& tried) {
  const std::filesystem::path base(dir);
  for (const char* sep : {"-", "."})
    for (const char* ext : {".gz", ""}) {
      const std::string name = split + "-" + kind + sep + idx + "-ubyte" + ext;
      const std::string p = (base / name).string();
      tried.push_back(p);
      if (std::filesystem::is_regular_file(p)) return p;
    }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "'" : ", '") + x + "'";
  return s;
}

}  // namespace

Split load_idx_split(const std::string& dir, const std::string& split, double divisor) {
  std::vector<std::string> tried_x, tried_y;
  const auto xp = find_member(dir, split, "images", "idx3", tried_x);
  const auto yp = find_member(dir, split, "labels", "idx1", tried_y);
  if (!xp) tg::fail<DataError>("load_idx_split: no ", split, " images in '", dir, "' (tried ", join(tried_x), ")");
  if (!yp) tg::fail<DataError>("load_idx_split: no ", split, " labels in '", dir, "' (tried ", join(tried_y), ")");
  Split s{read_idx_images(*xp, divisor), read_idx_labels(*yp)};
  if (s.x.dim(0) != s.y.dim(0))
    tg::fail<DataError>("load_idx_split: '", *xp, "' holds ", s.x.dim(0), " images but '", *yp, "' holds ",
                        s.y.dim(0), " labels");
  return s;
}

Dataset load_mnist(const std::string& dir, double divisor) {
  Dataset d;
  std::vector<std::string> tried;
  const bool has_train_x = find_member(dir, "train", "images", "idx3", tried).has_value();
  const bool has_train_y = find_member(dir, "train", "labels", "idx1", tried).has_value();
  if (has_train_x || has_train_y) {
    Split train = load_idx_split(dir, "train", divisor);  // throws naming the missing half
    d.x_train = train.x;
    d.y_train = train.y;
  }
  Split test = load_idx_split(dir, "t10k", divisor);
  d.x_test = test.x;
  d.y_test = test.y;
  return d;
}

Dataset load_fashion_mnist(const std::string& dir, double divisor) { return load_mnist(dir, divisor); }

}  // namespace tg::io
