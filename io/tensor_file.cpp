#include "io/tensor_file.hpp"

#include <set>

#include "core/error.hpp"
#include "io/keras_internal.hpp"

namespace tg::io {

void save_arrays(const std::vector<NamedArray>& arrays, const std::string& path) {
  std::set<std::string> names;
  for (const auto& a : arrays) {
    if (a.name.empty() || a.name.front() == '/' || a.name.back() == '/' || a.name.find("//") != std::string::npos)
      fail<FileError>("save_arrays ", path, ": invalid array name '", a.name, "'");
    if (!names.insert(a.name).second) fail<FileError>("save_arrays ", path, ": duplicate array name '", a.name, "'");
    KerasWeight w;  // reuse the shape/value-count check
    w.name = a.name;
    w.shape = a.shape;
    w.values.resize(0);
    std::uint64_t n = 1;
    for (auto d : a.shape) n *= static_cast<std::uint64_t>(d < 0 ? 0 : d);
    bool negative = false;
    for (auto d : a.shape) negative |= d < 0;
    if (negative || n != a.values.size())
      fail<ShapeError>("save_arrays ", path, ": array '", a.name, "' has ", a.values.size(),
                       " values but its shape needs ", negative ? std::string("non-negative dims") : std::to_string(n));
  }
  for (const auto& n : names)  // "a" and "a/b" cannot both exist: "a" would be a group and a dataset
    if (auto it = names.lower_bound(n + "/"); it != names.end() && it->rfind(n + "/", 0) == 0)
      fail<FileError>("save_arrays ", path, ": '", n, "' is both an array and a group (of '", *it, "')");
  detail::save_atomically(path, "save_arrays", [&](const std::string& tmp) {
    h5::File f = h5::File::create(tmp);
    for (const auto& a : arrays)
      f.write_dataset(a.name, a.shape, a.values, a.float64 ? h5::NumType::float64 : h5::NumType::float32);
    f.close();
  });
}

namespace {
constexpr int kMaxDepth = 64;  // far beyond any name save_arrays writes

// `seen` holds every group visited: one reached twice is a hard- or soft-link cycle (endless
// recursion) or a diamond (exponential walk); save_arrays writes neither.
void collect(const h5::Group& g, const std::string& prefix, std::vector<NamedArray>& out, int depth,
             std::set<std::uint64_t>& seen) {
  if (depth > kMaxDepth) g.fail("groups nested deeper than " + std::to_string(kMaxDepth) + " levels");
  if (!seen.insert(g.address()).second) g.fail("group reached twice (a link cycle?)");
  for (const auto& child : g.children()) {
    const std::string name = prefix.empty() ? child : prefix + "/" + child;
    if (g.has_group(child)) {
      collect(g.group(child), name, out, depth + 1, seen);
    } else if (g.has_dataset(child)) {
      const h5::Dataset ds = g.dataset(child);
      NamedArray a;
      a.name = name;
      a.shape = ds.shape();
      const std::string dt = ds.dtype_name();
      a.float64 = !(dt == "float32" || dt == "float16");
      a.values = ds.read_double();
      if (!a.float64)  // round through float so values are exactly what a float32 reader sees
        for (auto& v : a.values) v = static_cast<double>(static_cast<float>(v));
      out.push_back(std::move(a));
    }
  }
}
}  // namespace

std::vector<NamedArray> load_arrays(const std::string& path) {
  const h5::File f = h5::File::open(path);
  std::vector<NamedArray> out;
  std::set<std::uint64_t> seen;
  collect(f, "", out, 0, seen);
  return out;
}

}  // namespace tg::io
