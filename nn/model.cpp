// The Functional model: its graph (Keras' order of layers and nodes), forward pass and config.
#include "nn/model.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "nn/layers.hpp"
#include "nn/registry.hpp"

namespace tg::nn {

namespace {

// Keras' _build_map and _map_graph_network (keras/src/ops/function.py), iteratively: nodes in
// topological order (inputs first), and the layers ordered by decreasing depth from the
// outputs, ties broken by the order a depth-first walk from the outputs first meets them.
struct GraphMap {
  std::vector<std::shared_ptr<Node>> nodes;  // post-order: every node after its inputs
  std::vector<std::shared_ptr<Layer>> layers;
};

GraphMap map_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs,
                   const std::string& where) {
  auto is_input = [&](const Node* n, int index) {
    for (const KerasTensor& t : inputs)
      if (t.node().get() == n && t.index() == index) return true;
    return false;
  };
  std::vector<std::shared_ptr<Node>> post;
  std::unordered_map<const Layer*, std::size_t> layer_index;
  std::vector<std::shared_ptr<Layer>> first_seen;
  std::unordered_set<const Node*> finished, in_progress;
  struct Frame {
    std::shared_ptr<Node> node;
    std::size_t next = 0;
    bool expand = true;
  };
  for (const KerasTensor& out : outputs) {
    if (!out.defined()) fail(where, ": an output is an undefined symbolic tensor");
    std::vector<Frame> stack;
    auto visit = [&](const KerasTensor& t) {
      const std::shared_ptr<Node>& n = t.node();
      if (finished.count(n.get())) return;
      if (in_progress.count(n.get())) fail(where, ": the graph has a cycle through layer '", n->layer->name(), "'");
      if (!layer_index.count(n->layer.get())) {
        layer_index.emplace(n->layer.get(), first_seen.size());
        first_seen.push_back(n->layer);
      }
      in_progress.insert(n.get());
      stack.push_back({n, 0, !is_input(n.get(), t.index())});
    };
    visit(out);
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.expand && f.next < f.node->inputs.size()) {
        const KerasTensor next = f.node->inputs[f.next++];
        visit(next);
        continue;
      }
      in_progress.erase(f.node.get());
      finished.insert(f.node.get());
      post.push_back(f.node);
      stack.pop_back();
    }
  }
  // Depths: outputs are 0, a node's inputs are at least one deeper; a layer takes its deepest node.
  std::unordered_map<const Node*, int> node_depth;
  std::unordered_map<const Layer*, int> layer_depth;
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    const Node* n = it->get();
    int depth = node_depth.emplace(n, 0).first->second;
    depth = std::max(depth, layer_depth[n->layer.get()]);
    layer_depth[n->layer.get()] = depth;
    node_depth[n] = depth;
    for (const KerasTensor& in : n->inputs) {
      int& d = node_depth.emplace(in.node().get(), 0).first->second;
      d = std::max(d, depth + 1);
    }
  }
  for (const KerasTensor& in : inputs)  // inputs not connected to an output still belong to the model
    if (!layer_depth.count(&in.layer())) {
      layer_depth[&in.layer()] = 0;
      layer_index.emplace(&in.layer(), first_seen.size());
      first_seen.push_back(in.node()->layer);
      post.insert(post.begin(), in.node());
    }
  GraphMap g;
  g.nodes = post;
  g.layers = first_seen;
  std::stable_sort(g.layers.begin(), g.layers.end(), [&](const auto& a, const auto& b) {
    const int da = layer_depth[a.get()], db = layer_depth[b.get()];
    return da != db ? da > db : layer_index[a.get()] < layer_index[b.get()];
  });
  // Every node's inputs must come from the model's inputs or from nodes before it.
  std::set<std::pair<const Node*, int>> computable;
  for (const KerasTensor& in : inputs) computable.insert({in.node().get(), in.index()});
  for (const auto& n : g.nodes) {
    bool provided = true;
    for (std::size_t i = 0; i < n->output_shapes.size(); ++i)
      provided = provided && computable.count({n.get(), static_cast<int>(i)});
    if (provided) continue;
    if (n->inputs.empty())
      fail(where, ": graph disconnected: the input '", n->layer->name(), "' is not among the model's inputs");
    for (const KerasTensor& in : n->inputs)
      if (!computable.count({in.node().get(), in.index()}))
        fail(where, ": graph disconnected: cannot compute ", in.str(), ", an input of layer '", n->layer->name(), "'");
    for (std::size_t i = 0; i < n->output_shapes.size(); ++i) computable.insert({n.get(), static_cast<int>(i)});
  }
  std::set<std::string> names;
  for (const auto& l : g.layers)
    if (!names.insert(l->name()).second)
      fail(where, ": the name '", shorten(l->name()), "' is used by two layers; layer names in a model must be unique");
  return g;
}

}  // namespace

Model::Model(const std::string& name, const std::string& prefix) : LayerBase(name, prefix) {}

Model::Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, const std::string& name)
    : LayerBase(name, "functional"), inputs_(inputs), outputs_(outputs) {
  if (inputs.empty() || outputs.empty()) fail(where(), ": a model needs at least one input and one output");
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined()) fail(where(), ": input ", i, " is an undefined symbolic tensor");
  GraphMap g = map_graph(inputs, outputs, where());
  order_ = std::move(g.nodes);
  layers_ = std::move(g.layers);
  std::vector<Shape> shapes;
  for (const KerasTensor& t : inputs_) shapes.push_back(t.shape());
  build(shapes);
}

void Model::build_multi(const std::vector<Shape>& shapes) {
  if (inputs_.empty()) fail(where(), ": a model without inputs cannot be built");
  if (shapes.size() != inputs_.size()) fail(where(), ": expected ", inputs_.size(), " inputs, got ", shapes.size());
}

std::vector<Shape> Model::compute_output_shapes(const std::vector<Shape>& input_shapes) const {
  (void)input_shapes;  // a Functional model's output shapes are those its graph was built for
  std::vector<Shape> out;
  for (const KerasTensor& t : outputs_) out.push_back(t.shape());
  return out;
}

std::size_t Model::num_inputs() const { return inputs_.size(); }
std::size_t Model::num_outputs() const { return outputs_.size(); }

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> out;
  for (const KerasTensor& t : outputs_) out.push_back(t.layer().name());
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Layer>>> Model::sublayers() const {
  // Keyed as Keras 3 keys a list of layers in its files: snake_case class, numbered per class.
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> out;
  std::map<std::string, int> used;
  for (const auto& l : layers_) {
    const std::string base = keras_snake_case(l->class_name());
    const int n = used[base]++;
    out.emplace_back(n == 0 ? base : base + "_" + std::to_string(n), l);
  }
  return out;
}

std::shared_ptr<Layer> Model::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  fail(where(), ": no layer named '", shorten(name), "'; layers are: ", names);
}

std::vector<Tensor> Model::run_graph(const std::vector<Tensor>& xs, const CallArgs& args,
                                     std::map<std::string, Tensor>* by_layer) {
  if (xs.size() != inputs_.size()) fail(where(), ": expected ", inputs_.size(), " inputs, got ", xs.size());
  std::unordered_map<const Node*, std::vector<Tensor>> values;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    auto& slot = values[inputs_[i].node().get()];
    slot.resize(inputs_[i].node()->output_shapes.size());
    slot[static_cast<std::size_t>(inputs_[i].index())] = xs[i];
    if (i < args.masks.size() && args.masks[i].defined()) set_keras_mask(xs[i], args.masks[i]);
  }
  for (const auto& n : order_) {
    auto it = values.find(n.get());
    if (it != values.end()) {  // an input of the model
      if (by_layer) (*by_layer)[n->layer->name()] = it->second.front();
      continue;
    }
    std::vector<Tensor> in;
    for (const KerasTensor& t : n->inputs) in.push_back(values.at(t.node().get()).at(static_cast<std::size_t>(t.index())));
    CallArgs a;
    a.training = args.training;
    for (const Tensor& t : in) a.masks.push_back(keras_mask(t));
    std::vector<Tensor> out = n->layer->call_with_masks(in, a);
    if (out.size() != n->output_shapes.size())
      fail(where(), ": layer '", n->layer->name(), "' returned ", out.size(), " outputs, its node has ", n->output_shapes.size());
    if (by_layer) (*by_layer)[n->layer->name()] = out.front();
    values[n.get()] = std::move(out);
  }
  std::vector<Tensor> result;
  for (const KerasTensor& t : outputs_) result.push_back(values.at(t.node().get()).at(static_cast<std::size_t>(t.index())));
  return result;
}

std::vector<Tensor> Model::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  return run_graph(xs, args, nullptr);
}

std::map<std::string, Tensor> Model::layer_outputs(const std::vector<Tensor>& xs, bool training) {
  std::map<std::string, Tensor> out;
  if (!inputs_.empty()) {
    CallArgs a;
    a.training = training;
    for (const Tensor& x : xs) a.masks.push_back(keras_mask(x));
    run_graph(xs, a, &out);
    return out;
  }
  fail(where(), ": layer_outputs needs a Functional model or a Sequential");
}

// ---- Config -----------------------------------------------------------------------------------

namespace {

bool has_input_node(const Layer& l, KerasFormat format) {
  // Keras counts a nested model's own construction as its first node: always for Functional,
  // and for Sequential in tf.keras 2 (where Sequential is a Functional subclass).
  return l.is_model() && (l.class_name() != "Sequential" || format == KerasFormat::keras2);
}

Config tensor_ref(const KerasTensor& t, const std::map<const Node*, int>& node_ids) {
  return Config::array({t.layer().name(), node_ids.at(t.node().get()), t.index()});
}

Config keras3_tensor(const KerasTensor& t, const std::map<const Node*, int>& node_ids) {
  return {{"class_name", "__keras_tensor__"},
          {"config",
           {{"shape", batch_shape_config(t.shape())},
            {"dtype", dtype_name(t.dtype())},
            {"keras_history", tensor_ref(t, node_ids)}}}};
}

}  // namespace

Config Model::get_config(KerasFormat format) const {
  if (inputs_.empty()) fail(where(), ": only a Functional model has a Functional config");
  std::set<const Node*> mine;
  for (const auto& n : order_) mine.insert(n.get());
  std::map<const Node*, int> ids;  // node -> its index among its layer's nodes of this model
  for (const auto& l : layers_) {
    int kept = has_input_node(*l, format) ? 1 : 0;
    for (const auto& n : l->inbound_nodes())
      if (mine.count(n.get())) ids[n.get()] = kept++;
  }
  Config layers = Config::array();
  for (const auto& l : layers_) {
    Config nodes = Config::array();
    for (const auto& n : l->inbound_nodes()) {
      if (!mine.count(n.get()) || n->inputs.empty()) continue;
      if (format == KerasFormat::keras2) {
        Config refs = Config::array();
        for (const KerasTensor& t : n->inputs) {
          Config r = tensor_ref(t, ids);
          r.push_back(Config::object());
          refs.push_back(r);
        }
        nodes.push_back(refs);
      } else {
        Config args = Config::array();
        if (n->inputs.size() == 1) {
          args.push_back(keras3_tensor(n->inputs.front(), ids));
        } else {
          Config list = Config::array();
          for (const KerasTensor& t : n->inputs) list.push_back(keras3_tensor(t, ids));
          args.push_back(list);
        }
        nodes.push_back({{"args", args}, {"kwargs", Config::object()}});
      }
    }
    Config e = serialize_layer(*l, format);
    e.erase("build_config");
    e["name"] = l->name();
    e["inbound_nodes"] = nodes;
    layers.push_back(e);
  }
  Config ins = Config::array(), outs = Config::array();
  for (const KerasTensor& t : inputs_) ins.push_back(tensor_ref(t, ids));
  for (const KerasTensor& t : outputs_) outs.push_back(tensor_ref(t, ids));
  Config c = {{"name", name()}, {"trainable", trainable()}, {"layers", layers}};
  c["input_layers"] = ins;
  c["output_layers"] = outs;
  return c;
}

namespace {

// A [layer_name, node_index, tensor_index] reference, from Keras 2 lists or Keras 3 keras_history.
struct Ref {
  std::string layer;
  int node = 0, tensor = 0;
};

Ref parse_ref(const Config& j, const std::string& where) {
  const Config* h = &j;
  if (j.is_object()) {
    if (j.contains("config") && j["config"].is_object() && j["config"].contains("keras_history"))
      h = &j["config"]["keras_history"];
    else
      fail(where, ": a node input is neither a [layer, node, tensor] list nor a __keras_tensor__: ", shorten(j.dump()));
  }
  if (!h->is_array() || h->size() < 3 || !(*h)[0].is_string() || !(*h)[1].is_number_integer() ||
      !(*h)[2].is_number_integer())
    fail(where, ": a tensor reference must be [layer_name, node_index, tensor_index], got ", shorten(h->dump()));
  return {(*h)[0].get<std::string>(), (*h)[1].get<int>(), (*h)[2].get<int>()};
}

// The tensor references of one inbound node: Keras 2 [[name, node, tensor, kwargs], ...] or
// Keras 3 {"args": [tensor or [tensors]], "kwargs": {...}}.
std::vector<Ref> node_refs(const Config& node, const std::string& where) {
  std::vector<Ref> refs;
  if (node.is_array()) {
    for (const Config& e : node) refs.push_back(parse_ref(e, where));
    return refs;
  }
  if (!node.is_object() || !node.contains("args") || !node["args"].is_array())
    fail(where, ": an inbound node is neither a list nor {args, kwargs}: ", shorten(node.dump()));
  for (const Config& a : node["args"]) {
    if (a.is_array() && !a.empty() && !a[0].is_string()) {
      for (const Config& e : a) refs.push_back(parse_ref(e, where));
    } else if (a.is_object() || a.is_array()) {
      refs.push_back(parse_ref(a, where));
    }
  }
  return refs;
}

// input_layers / output_layers: one [name, node, tensor] triple, or a list of them.
std::vector<Ref> io_refs(const Config& j, const std::string& where) {
  std::vector<Ref> out;
  if (j.is_array() && j.size() == 3 && j[0].is_string()) {
    out.push_back(parse_ref(j, where));
  } else if (j.is_array()) {
    for (const Config& e : j) out.push_back(parse_ref(e, where));
  } else if (j.is_object()) {  // {"name": [...]}: a dict of inputs, in key order
    for (const auto& [k, v] : j.items()) out.push_back(parse_ref(v, where));
  } else {
    fail(where, ": input_layers / output_layers must be a list, got ", shorten(j.dump()));
  }
  return out;
}

}  // namespace

std::shared_ptr<Model> Model::from_config(const Config& config) {
  const ConfigReader r(config, "Functional '" + ConfigReader(config, "Functional").get_string("name", "") + "'");
  const Config& entries = r.raw("layers");
  if (!entries.is_array()) r.fail("layers", "must be a list of layer entries");
  const KerasFormat format = load_context().keras_major >= 3 ? KerasFormat::keras3 : KerasFormat::keras2;
  std::map<std::string, std::shared_ptr<Layer>> created;
  std::vector<std::pair<std::shared_ptr<Layer>, std::vector<Config>>> pending;  // config order
  std::vector<KerasTensor> keep;  // layers refer to their nodes weakly: hold every node until the model does
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Config& e = entries[i];
    if (!e.is_object() || !e.contains("class_name") || !e["class_name"].is_string())
      fail(r.where(), ": layer entry ", i, " has no class_name");
    const std::string cls = e["class_name"].get<std::string>();
    std::shared_ptr<Layer> layer = deserialize_layer(e, r.where() + " layer " + std::to_string(i));
    const std::string name = e.contains("name") && e["name"].is_string() ? e["name"].get<std::string>() : layer->name();
    if (created.count(name)) fail(r.where(), ": two layers are named '", shorten(name), "'");
    if (cls == "InputLayer") keep.push_back(input_node(layer));
    created[name] = layer;
    std::vector<Config> nodes;
    if (e.contains("inbound_nodes") && e["inbound_nodes"].is_array())
      for (const Config& n : e["inbound_nodes"]) nodes.push_back(n);
    pending.emplace_back(layer, std::move(nodes));
  }
  auto resolve = [&](const Ref& ref, bool& missing) -> KerasTensor {
    auto it = created.find(ref.layer);
    if (it == created.end()) fail(r.where(), ": a node refers to layer '", shorten(ref.layer), "', which is not in the model");
    const auto nodes = it->second->inbound_nodes();
    const int index = ref.node - (has_input_node(*it->second, format) ? 1 : 0);
    if (index < 0 || index >= static_cast<int>(nodes.size())) {
      missing = true;
      return {};
    }
    const auto& n = nodes[static_cast<std::size_t>(index)];
    if (ref.tensor < 0 || ref.tensor >= static_cast<int>(n->output_shapes.size()))
      fail(r.where(), ": layer '", shorten(ref.layer), "' node ", ref.node, " has no output ", ref.tensor);
    return KerasTensor(n, ref.tensor);
  };
  // Keras processes nodes in passes over the layers until every node found its inputs.
  std::vector<std::size_t> next(pending.size(), 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      auto& [layer, nodes] = pending[i];
      while (next[i] < nodes.size()) {
        const std::vector<Ref> refs = node_refs(nodes[next[i]], r.where() + " layer '" + layer->name() + "'");
        bool missing = false;
        std::vector<KerasTensor> ins;
        for (const Ref& ref : refs) ins.push_back(resolve(ref, missing));
        if (missing) break;
        if (ins.empty()) fail(r.where(), ": layer '", layer->name(), "' has an inbound node without inputs");
        for (const KerasTensor& t : (*layer)(ins)) keep.push_back(t);
        ++next[i];
        progress = true;
      }
    }
  }
  for (std::size_t i = 0; i < pending.size(); ++i)
    if (next[i] < pending[i].second.size())
      fail(r.where(), ": the inputs of layer '", pending[i].first->name(), "' node ", next[i],
           " never become available (a missing or circular reference)");
  std::vector<KerasTensor> ins, outs;
  bool missing = false;
  for (const Ref& ref : io_refs(r.raw("input_layers"), r.where())) ins.push_back(resolve(ref, missing));
  for (const Ref& ref : io_refs(r.raw("output_layers"), r.where())) outs.push_back(resolve(ref, missing));
  if (missing) fail(r.where(), ": input_layers or output_layers refer to a node that does not exist");
  auto model = std::make_shared<Model>(ins, outs, r.get_string("name", ""));
  apply_base_config(*model, r);
  return model;
}

std::shared_ptr<Model> model_from_config(const Config& mc, const std::string& where) {
  LoadContext c;
  c.source_format = KerasFormat::keras2;
  if (mc.is_object()) {
    if (mc.contains("module")) c.source_format = KerasFormat::keras3;
    const std::string v = mc.contains("keras_version") && mc["keras_version"].is_string() ? mc["keras_version"].get<std::string>() : "";
    c.keras_major = !v.empty() && v[0] == '3' ? 3 : (c.source_format == KerasFormat::keras3 ? 3 : 2);
  }
  LoadContextScope scope(c);
  auto model = std::dynamic_pointer_cast<Model>(deserialize_layer(mc, where));
  if (!model) fail(where, ": the config describes a layer, not a model");
  return model;
}

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace tg::nn
