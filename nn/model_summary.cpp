// model.summary() in tf.keras 2.x's layout: Sequential's three columns, or the Functional four
// with "Connected to".
#include <set>
#include <sstream>

#include "nn/model.hpp"
#include "nn/sequential.hpp"

namespace tg::nn {

namespace {

std::string batch_shape(const Shape& s) {
  std::string out = "(None";
  for (std::int64_t d : s) out += ", " + (d < 0 ? std::string("None") : std::to_string(d));
  return out + (s.rank() == 0 ? ",)" : ")");
}

// Keras truncates a field to its column, leaving one space before the next.
std::string pad(const std::string& s, std::size_t w) {
  return s.size() >= w ? s.substr(0, w - 1) + " " : s + std::string(w - s.size(), ' ');
}

struct Totals {
  std::int64_t total = 0, trainable = 0;
};

void add_totals(Totals& t, const Layer& l) {
  t.total += l.count_params();
  for (const Variable& v : l.trainable_weights()) t.trainable += v.value().numel();
}

void footer(std::ostringstream& os, const Totals& t, std::size_t width) {
  os << std::string(width, '=') << "\n";
  os << "Total params: " << with_commas(t.total) << "\n";
  os << "Trainable params: " << with_commas(t.trainable) << "\n";
  os << "Non-trainable params: " << with_commas(t.total - t.trainable) << "\n" << std::string(width, '_') << "\n";
}

std::string output_shape_of(const Layer& l) {
  if (!l.built()) return "multiple";
  const auto shapes = l.compute_output_shapes(l.input_shapes());
  if (shapes.size() == 1) return batch_shape(shapes.front());
  std::string s = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + batch_shape(shapes[i]);
  return s + "]";
}

}  // namespace

std::string Sequential::summary() const {
  // tf.keras 2.x's layout: columns at 29, 55 and 65; rows separated by a line of spaces.
  std::ostringstream os;
  const std::size_t width = 65;
  auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
    os << pad(" " + a, 29) << pad(b, 26) << pad(c, 10) << "\n";
  };
  os << "Model: \"" << name() << "\"\n" << std::string(width, '_') << "\n";
  row("Layer (type)", "Output Shape", "Param #");
  os << std::string(width, '=') << "\n";
  Totals t;
  for (const auto& l : layers_) {
    row(l->name() + " (" + l->class_name() + ")", output_shape_of(*l), std::to_string(l->count_params()));
    os << std::string(width, ' ') << "\n";
    add_totals(t, *l);
  }
  footer(os, t, width);
  return os.str();
}

std::string Model::summary() const { return functional_summary(); }

std::string Model::functional_summary() const {
  // tf.keras 2.x's Functional layout: line length 98, columns at 32, 53, 65; the connections
  // "layer[node][tensor]" of each call, one per line when they do not fit.
  std::ostringstream os;
  const std::size_t width = 98;
  auto row = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
    os << pad(" " + a, 32) << pad(b, 21) << pad(c, 12) << d << std::string(d.size() < 33 ? 33 - d.size() : 0, ' ')
       << "\n";
  };
  os << "Model: \"" << name() << "\"\n" << std::string(width, '_') << "\n";
  row("Layer (type)", "Output Shape", "Param #", "Connected to");
  os << std::string(width, '=') << "\n";
  std::set<const Node*> mine;
  for (const auto& n : order_) mine.insert(n.get());
  Totals t;
  for (const auto& l : layers_) {
    std::vector<std::string> connections;
    for (const auto& n : l->inbound_nodes()) {
      if (!mine.count(n.get())) continue;
      for (const KerasTensor& in : n->inputs)
        connections.push_back("'" + in.layer().name() + "[" + std::to_string(in.node()->index) + "][" +
                              std::to_string(in.index()) + "]'");
    }
    std::string shape = output_shape_of(*l);
    if (l->class_name() == "InputLayer") shape = "[" + shape + "]";  // Keras prints an InputLayer's output as a list
    std::vector<std::string> lines;
    std::string cur = "[";
    for (std::size_t i = 0; i < connections.size(); ++i) {
      const std::string item = connections[i] + (i + 1 < connections.size() ? "," : "]");
      if (cur.size() > 1 && cur.size() + 1 + item.size() > 33) {
        lines.push_back(cur);
        cur = " ";
      }
      cur += (cur.size() > 1 ? " " : "") + item;
    }
    if (connections.empty()) cur = "[]";
    lines.push_back(cur);
    row(l->name() + " (" + l->class_name() + ")", shape, std::to_string(l->count_params()), lines.front());
    for (std::size_t i = 1; i < lines.size(); ++i) row("", "", "", lines[i]);
    os << std::string(width, ' ') << "\n";
    add_totals(t, *l);
  }
  footer(os, t, width);
  return os.str();
}

}  // namespace tg::nn
