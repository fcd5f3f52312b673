#include <string>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

namespace {

using nlohmann::json;

enum class Kind { lstm, gru, gru_reset_before, simple_rnn };

RecurrentResult call(Kind kind, const std::vector<Tensor>& in, RecurrentOptions o) {
  // in: x, kernel, recurrent_kernel, bias, h0, c0 (undefined where absent).
  switch (kind) {
    case Kind::lstm: return lstm(in[0], in[1], in[2], in[3], in[4], in[5], o);
    case Kind::gru: o.reset_after = true; return gru(in[0], in[1], in[2], in[3], in[4], o);
    case Kind::gru_reset_before: o.reset_after = false; return gru(in[0], in[1], in[2], in[3], in[4], o);
    case Kind::simple_rnn: break;
  }
  return simple_rnn(in[0], in[1], in[2], in[3], in[4], o);
}

std::int64_t gates(Kind kind) { return kind == Kind::lstm ? 4 : kind == Kind::simple_rnn ? 1 : 3; }

// sum(outputs * w[0]) + sum(h * w[1]) (+ sum(c * w[2])): every result reaches the loss.
Tensor weighted_loss(const RecurrentResult& r, const std::vector<Tensor>& w) {
  Tensor loss = add(sum(mul(r.outputs, w[0])), sum(mul(r.h, w[1])));
  if (r.c.defined()) loss = add(loss, sum(mul(r.c, w[2])));
  return loss;
}

// ---- Golden cases (tests/golden/gen_torch_rnn.py, gen_keras_rnn.mjs) ------------------------------

RnnActivation golden_activation(const std::string& name) {
  // The golden files spell Keras 2's hard sigmoid "hard_sigmoid", Keras 3's "hard_sigmoid_keras3".
  if (name == "hard_sigmoid") return RnnActivation::hard_sigmoid;
  if (name == "hard_sigmoid_keras3") return RnnActivation::hard_sigmoid_keras3;
  return rnn_activation(name);
}

Tensor optional(const json& c, const char* key, DType dt) {
  return c.contains(key) ? test::golden_tensor(c.at(key), static_cast<int>(dt)) : Tensor();
}

std::vector<double> values(const json& t) { return t.at("data").get<std::vector<double>>(); }

void check_golden_case(const json& c, DType dt, double rtol, double atol) {
  const std::string name = c.at("name");
  BOOST_TEST_CONTEXT("case " << name << " (" << c.at("source").get<std::string>() << ")") {
    const std::string cell = c.at("cell");
    Kind kind = cell == "lstm" ? Kind::lstm : cell == "simple_rnn" ? Kind::simple_rnn : Kind::gru;
    if (kind == Kind::gru && !c.at("reset_after").get<bool>()) kind = Kind::gru_reset_before;
    const char* keys[] = {"x", "kernel", "recurrent_kernel", "bias", "h0", "c0"};
    std::vector<Tensor> in;
    for (const char* k : keys) in.push_back(optional(c, k, dt));
    RecurrentOptions o;
    o.activation = golden_activation(c.at("activation"));
    o.recurrent_activation = golden_activation(c.at("recurrent_activation"));
    o.go_backwards = c.at("go_backwards");
    o.return_sequences = c.at("return_sequences");
    o.zero_output_for_mask = c.at("zero_output_for_mask");
    o.mask = optional(c, "mask", dt);
    o.dropout_mask = optional(c, "dropout_mask", dt);
    o.recurrent_dropout_mask = optional(c, "recurrent_dropout_mask", dt);
    const std::vector<Tensor> w{optional(c, "w_outputs", dt), optional(c, "w_h", dt), optional(c, "w_c", dt)};

    GradientTape tape;
    std::vector<Tensor> sources;
    std::vector<std::string> source_names;
    for (std::size_t i = 0; i < in.size(); ++i)
      if (in[i].defined()) {
        tape.watch(in[i]);
        sources.push_back(in[i]);
        source_names.push_back(keys[i]);
      }
    const RecurrentResult r = call(kind, in, o);
    BOOST_TEST(r.outputs.dtype() == dt);
    test::check_close(r.outputs, values(c.at("outputs")), rtol, atol, "outputs");
    test::check_close(r.h, values(c.at("h")), rtol, atol, "h");
    if (kind == Kind::lstm) test::check_close(r.c, values(c.at("c")), rtol, atol, "c");
    if (!c.contains("grads")) return;  // tfjs cannot differentiate one-step RNNs
    const std::vector<Tensor> grads = tape.gradient(weighted_loss(r, w), sources);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (!c.at("grads").contains(source_names[i])) continue;
      BOOST_REQUIRE(grads[i].defined());
      test::check_close(grads[i], values(c.at("grads").at(source_names[i])), rtol, atol, "d loss / d " + source_names[i]);
    }
  }
}

// ---- Central differences -------------------------------------------------------------------

struct Sizes {
  std::int64_t n, steps, features, units;
};

// Inputs of a cell in float64: x, kernel, recurrent_kernel, bias, h0, c0, and loss weights.
std::vector<Tensor> random_inputs(Kind kind, const Sizes& s, Generator& g, bool with_bias = true) {
  const std::int64_t gw = gates(kind) * s.units;
  std::vector<Tensor> in{test::random_tensor(Shape{s.n, s.steps, s.features}, g, DType::float64, -2, 2),
                         test::random_tensor(Shape{s.features, gw}, g, DType::float64, -0.5, 0.5),
                         test::random_tensor(Shape{s.units, gw}, g, DType::float64, -0.5, 0.5)};
  in.push_back(!with_bias ? Tensor()
               : kind == Kind::gru ? test::random_tensor(Shape{2, gw}, g, DType::float64, -0.5, 0.5)
                                   : test::random_tensor(Shape{gw}, g, DType::float64, -0.5, 0.5));
  in.push_back(test::random_tensor(Shape{s.n, s.units}, g, DType::float64, -1, 1));
  in.push_back(kind == Kind::lstm ? test::random_tensor(Shape{s.n, s.units}, g, DType::float64, -1, 1) : Tensor());
  return in;
}

std::vector<Tensor> loss_weights(const Sizes& s, bool sequences, Generator& g) {
  return {test::random_tensor(sequences ? Shape{s.n, s.steps, s.units} : Shape{s.n, s.units}, g, DType::float64, -1, 1),
          test::random_tensor(Shape{s.n, s.units}, g, DType::float64, -1, 1),
          test::random_tensor(Shape{s.n, s.units}, g, DType::float64, -1, 1)};
}

// A mask with leading, inner and trailing masked steps (and a row masked throughout when n >= 3).
Tensor sequence_mask(const Sizes& s) {
  std::vector<double> m(static_cast<std::size_t>(s.n * s.steps), 1.0);
  for (std::int64_t b = 0; b < s.n; ++b)
    for (std::int64_t t = 0; t < s.steps; ++t) {
      const bool masked = b % 3 == 0 ? t == 0 : b % 3 == 1 ? t % 2 == 1 : true;
      if (masked) m[static_cast<std::size_t>(b * s.steps + t)] = 0.0;
    }
  return Tensor::from_vector(m, Shape{s.n, s.steps}).to(DType::float64);
}

Tensor dropout_like(const Shape& shape, Generator& g) {
  Tensor m = Tensor::uniform(shape, 0, 1, g, DType::float64);
  double* p = m.data<double>();
  for (std::int64_t i = 0; i < m.numel(); ++i) p[i] = p[i] < 0.25 ? 0.0 : 4.0 / 3.0;
  return m;
}

void gradcheck(Kind kind, const Sizes& s, const RecurrentOptions& o, std::uint64_t seed, const std::string& what,
               bool with_bias = true) {
  Generator g(seed);
  const std::vector<Tensor> in = random_inputs(kind, s, g, with_bias);
  const std::vector<Tensor> w = loss_weights(s, o.return_sequences, g);
  std::vector<Tensor> defined;
  std::vector<int> slot;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i].defined()) {
      defined.push_back(in[i]);
      slot.push_back(static_cast<int>(i));
    }
  test::expect_gradients(
      [&](const std::vector<Tensor>& v) {
        std::vector<Tensor> args(6);
        for (std::size_t i = 0; i < v.size(); ++i) args[static_cast<std::size_t>(slot[i])] = v[i];
        return weighted_loss(call(kind, args, o), w);
      },
      defined, what, 1e-7, 1e-6);
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::lstm: return "lstm";
    case Kind::gru: return "gru";
    case Kind::gru_reset_before: return "gru(reset_after=false)";
    case Kind::simple_rnn: break;
  }
  return "simple_rnn";
}

const Kind all_kinds[] = {Kind::lstm, Kind::gru, Kind::gru_reset_before, Kind::simple_rnn};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_recurrent)

BOOST_AUTO_TEST_CASE(forward_and_gradients_match_torch_float64) {
  const json doc = test::load_golden("torch_rnn.json");
  BOOST_REQUIRE_GE(doc.at("cases").size(), 20u);
  test::for_each_isa([&](Isa) {
    for (const json& c : doc.at("cases")) check_golden_case(c, DType::float64, 1e-11, 1e-12);
  });
}

BOOST_AUTO_TEST_CASE(forward_and_gradients_match_tfjs_keras_float32) {
  const json doc = test::load_golden("keras_rnn.json");
  BOOST_REQUIRE_GE(doc.at("cases").size(), 10u);
  test::for_each_isa([&](Isa) {
    for (const json& c : doc.at("cases")) check_golden_case(c, DType::float32, 5e-6, 5e-6);
  });
}

BOOST_AUTO_TEST_CASE(central_differences_every_cell_and_input) {
  const Sizes sizes[] = {{1, 1, 2, 1}, {3, 5, 4, 3}, {1, 5, 2, 17}};
  std::uint64_t seed = 100;
  for (Kind kind : all_kinds)
    for (const Sizes& s : sizes) {
      RecurrentOptions o;
      o.return_sequences = s.steps > 1;
      gradcheck(kind, s, o, ++seed, std::string(kind_name(kind)) + " n" + std::to_string(s.n) + " t" +
                                        std::to_string(s.steps) + " u" + std::to_string(s.units));
    }
}

BOOST_AUTO_TEST_CASE(central_differences_with_masks_go_backwards_and_dropout_masks) {
  const Sizes s{3, 5, 3, 3};
  std::uint64_t seed = 200;
  for (Kind kind : all_kinds)
    for (int variant = 0; variant < 5; ++variant) {
      Generator g(++seed);
      RecurrentOptions o;
      o.mask = sequence_mask(s);
      o.go_backwards = variant % 2 == 1;
      o.return_sequences = variant < 3;
      o.zero_output_for_mask = variant == 2 || variant == 4;
      if (variant >= 2) {
        o.dropout_mask = dropout_like(Shape{s.n, s.features}, g);
        o.recurrent_dropout_mask = dropout_like(Shape{s.n, s.units}, g);
      }
      gradcheck(kind, s, o, ++seed, std::string(kind_name(kind)) + " mask variant " + std::to_string(variant),
                /*with_bias=*/variant != 1);
    }
}

BOOST_AUTO_TEST_CASE(central_differences_other_activations) {
  const Sizes s{3, 5, 2, 3};
  RecurrentOptions o;
  o.return_sequences = true;
  o.activation = RnnActivation::linear;
  o.recurrent_activation = RnnActivation::tanh;
  std::uint64_t seed = 300;
  for (Kind kind : all_kinds) gradcheck(kind, s, o, ++seed, std::string(kind_name(kind)) + " linear/tanh");
}

BOOST_AUTO_TEST_CASE(masked_steps_carry_state_and_repeat_output) {
  // Independent of any reference: a masked step leaves h and c alone and its output repeats the
  // previous output (zeros before the first taken step); with zero_output_for_mask it is zero.
  Generator g(400);
  const Sizes s{2, 4, 3, 5};
  const std::vector<Tensor> in = random_inputs(Kind::lstm, s, g);
  RecurrentOptions o;
  o.return_sequences = true;
  o.mask = Tensor::from_values({0, 1, 0, 0, 1, 1, 1, 1}, Shape{2, 4}, DType::float64);
  const RecurrentResult r = lstm(in[0], in[1], in[2], in[3], in[4], in[5], o);
  // Row 0 takes only step 1: the same as running that one step from h0, c0.
  RecurrentOptions one;
  const RecurrentResult ref = lstm(slice(slice_rows(in[0], 0, 1), 1, 1, 2), in[1], in[2], in[3], slice_rows(in[4], 0, 1),
                                   slice_rows(in[5], 0, 1), one);
  const auto out = r.outputs.to_vector<double>();
  const auto want = ref.h.to_vector<double>();
  for (std::int64_t k = 0; k < s.units; ++k) {
    BOOST_TEST(out[static_cast<std::size_t>(k)] == 0.0);  // step 0 masked, before any taken step
    for (std::int64_t t = 1; t < 4; ++t)
      BOOST_TEST(std::abs(out[static_cast<std::size_t>(t * s.units + k)] - want[static_cast<std::size_t>(k)]) < 1e-14);
    BOOST_TEST(std::abs(r.h.at({0, k}) - want[static_cast<std::size_t>(k)]) < 1e-14);
    BOOST_TEST(std::abs(r.c.at({0, k}) - ref.c.at({0, k})) < 1e-14);
  }
  o.zero_output_for_mask = true;
  const RecurrentResult z = lstm(in[0], in[1], in[2], in[3], in[4], in[5], o);
  for (std::int64_t k = 0; k < s.units; ++k) {
    BOOST_TEST(z.outputs.at({0, 2, k}) == 0.0);
    BOOST_TEST(z.outputs.at({0, 1, k}) == r.outputs.at({0, 1, k}));
  }
}

BOOST_AUTO_TEST_CASE(second_order_gradients_through_nested_tapes) {
  // d/dv of sum(d loss / dx * r): the outer tape records the inner gradient through the unrolled
  // differentiable cell; central differences run the fused first-order kernels.
  const Sizes s{2, 3, 2, 2};
  for (Kind kind : all_kinds) {
    Generator g(500 + static_cast<int>(kind));
    const std::vector<Tensor> in = random_inputs(kind, s, g);
    const std::vector<Tensor> w = loss_weights(s, true, g);
    const Tensor probe = test::random_tensor(Shape{s.n, s.steps, s.features}, g, DType::float64, -1, 1);
    RecurrentOptions o;
    o.return_sequences = true;
    o.mask = Tensor::from_values({1, 0, 1, 1, 1, 0}, Shape{2, 3}, DType::float64);
    test::expect_gradients(
        [&](const std::vector<Tensor>& v) {
          std::vector<Tensor> args = in;
          args[0] = v[0];
          args[2] = v[1];
          GradientTape inner;
          inner.watch(args[0]);
          const Tensor loss = weighted_loss(call(kind, args, o), w);
          return sum(mul(inner.gradient(loss, args[0]), probe));
        },
        {in[0], in[2]}, std::string(kind_name(kind)) + " second order", 1e-7, 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(one_node_for_the_whole_sequence_and_repeatable_backward) {
  Generator g(600);
  const Sizes s{3, 50, 4, 3};
  const std::vector<Tensor> in = random_inputs(Kind::lstm, s, g);
  GradientTape tape(/*persistent=*/true);
  tape.watch(in[0]);
  RecurrentOptions o;
  o.return_sequences = true;
  const RecurrentResult r = lstm(in[0], in[1], in[2], in[3], in[4], in[5], o);
  // The op, then slice_rows for outputs, h and c, and the reshape of the outputs: not 50 steps' worth.
  BOOST_TEST(tape.size() <= 5u);
  const Tensor loss = sum(r.outputs);
  const Tensor g1 = tape.gradient(loss, in[0]);
  const Tensor g2 = tape.gradient(loss, in[0]);  // the saved gates survive the first backward pass
  BOOST_TEST(g1.to_vector<double>() == g2.to_vector<double>());
  // No tape: nothing recorded, same values.
  const RecurrentResult plain = lstm(in[0], in[1], in[2], in[3], in[4], in[5], o);
  BOOST_TEST(plain.outputs.to_vector<double>() == r.outputs.to_vector<double>());
}

BOOST_AUTO_TEST_CASE(allocations_do_not_grow_with_the_sequence_length) {
  // Every buffer is sized for the whole sequence up front: 5 steps and 40 steps make the same
  // number of tensor allocations, forward and backward.
  for (Kind kind : all_kinds) {
    auto allocations = [&](std::int64_t steps) {
      Generator g(650);
      const Sizes s{3, steps, 4, 5};
      const std::vector<Tensor> in = random_inputs(kind, s, g);
      RecurrentOptions o;
      o.return_sequences = true;
      o.mask = sequence_mask(s);
      o.recurrent_dropout_mask = dropout_like(Shape{s.n, s.units}, g);
      const alloc::Stats before = alloc::stats();
      {
        GradientTape tape;
        tape.watch(in[1]);
        const Tensor loss = sum(call(kind, in, o).outputs);
        tape.gradient(loss, in[1]);
      }
      const alloc::Stats after = alloc::stats();
      return (after.system_allocations + after.cache_hits) - (before.system_allocations + before.cache_hits);
    };
    allocations(40);  // warm-up: thread-local GEMM scratch
    BOOST_TEST(allocations(5) == allocations(40), kind_name(kind));
  }
}

BOOST_AUTO_TEST_CASE(fused_and_unrolled_paths_agree_in_float32_on_every_isa) {
  // The same loss differentiated by the fused kernels (one tape) and by the unrolled ops (a
  // second tape recording the first's backward pass forces that path), per ISA.
  Generator g(700);
  const Sizes s{3, 5, 17, 17};
  for (Kind kind : all_kinds) {
    std::vector<Tensor> in = random_inputs(kind, s, g);
    for (Tensor& t : in)
      if (t.defined()) t = t.to(DType::float32);
    std::vector<Tensor> w = loss_weights(s, true, g);
    for (Tensor& t : w) t = t.to(DType::float32);
    RecurrentOptions o;
    o.return_sequences = true;
    o.mask = sequence_mask(s);
    test::for_each_isa([&](Isa) {
      GradientTape fused;
      fused.watch(in[1]);
      const Tensor a = fused.gradient(weighted_loss(call(kind, in, o), w), in[1]);
      GradientTape outer, inner;
      outer.watch(in[1]);
      inner.watch(in[1]);
      const Tensor b = inner.gradient(weighted_loss(call(kind, in, o), w), in[1]);
      test::check_close(a, b.to_vector<double>(), 1e-4, 1e-5, kind_name(kind));
    });
  }
}

BOOST_AUTO_TEST_CASE(fused_and_unrolled_paths_agree_with_padded_gate_rows) {
  // Gate widths of 2 KB multiples (LSTM(64), GRU(256), SimpleRNN(256) in float64) take the padded
  // gradient buffer of core/recurrent.cpp; the unrolled ops (the second-order path) are the
  // reference here, with masks, dropout masks and go_backwards.
  const std::pair<Kind, std::int64_t> cases[] = {{Kind::lstm, 64}, {Kind::gru, 256}, {Kind::gru_reset_before, 256},
                                                 {Kind::simple_rnn, 256}};
  for (const auto& [kind, units] : cases) {
    Generator g(750 + units);
    const Sizes s{2, 3, 3, units};
    const std::vector<Tensor> in = random_inputs(kind, s, g);
    const std::vector<Tensor> w = loss_weights(s, true, g);
    RecurrentOptions o;
    o.return_sequences = true;
    o.go_backwards = units == 256;
    o.mask = Tensor::from_values({1, 0, 1, 1, 1, 1}, Shape{2, 3}, DType::float64);
    o.dropout_mask = dropout_like(Shape{s.n, s.features}, g);
    o.recurrent_dropout_mask = dropout_like(Shape{s.n, s.units}, g);
    std::vector<Tensor> sources;
    for (const Tensor& t : in)
      if (t.defined()) sources.push_back(t);
    GradientTape fused;
    for (const Tensor& t : sources) fused.watch(t);
    const std::vector<Tensor> a = fused.gradient(weighted_loss(call(kind, in, o), w), sources);
    GradientTape outer, inner;
    for (const Tensor& t : sources) {
      outer.watch(t);
      inner.watch(t);
    }
    const std::vector<Tensor> b = inner.gradient(weighted_loss(call(kind, in, o), w), sources);
    for (std::size_t i = 0; i < a.size(); ++i)
      test::check_close(a[i], b[i].to_vector<double>(), 1e-10, 1e-12,
                        std::string(kind_name(kind)) + " input " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(activation_names) {
  BOOST_TEST(static_cast<int>(rnn_activation("hard_sigmoid", 2)) == static_cast<int>(RnnActivation::hard_sigmoid));
  BOOST_TEST(static_cast<int>(rnn_activation("hard_sigmoid")) == static_cast<int>(RnnActivation::hard_sigmoid_keras3));
  BOOST_TEST(static_cast<int>(rnn_activation("")) == static_cast<int>(RnnActivation::linear));
  BOOST_TEST(std::string(rnn_activation_name(RnnActivation::hard_sigmoid_keras3)) == "hard_sigmoid");
  test::check_throws_with([] { rnn_activation("softplus"); }, {"softplus", "tanh, sigmoid, hard_sigmoid"});
}

BOOST_AUTO_TEST_CASE(hard_sigmoids_are_keras2_and_keras3) {
  // One unit, one step, zero state: h = o * tanh(i * tanh(g)) with every gate's pre-activation = x.
  for (double x : {-4.0, -2.75, -1.0, 0.5, 2.75, 4.0}) {
    const Tensor in = Tensor::from_values({x}, Shape{1, 1, 1}, DType::float64);
    const Tensor k = Tensor::from_values({1, 1, 1, 1}, Shape{1, 4}, DType::float64);
    const Tensor rk = Tensor::zeros(Shape{1, 4}, DType::float64);
    RecurrentOptions o;
    o.recurrent_activation = RnnActivation::hard_sigmoid;
    const double s2 = std::min(std::max(0.2 * x + 0.5, 0.0), 1.0);
    BOOST_TEST(std::abs(lstm(in, k, rk, Tensor(), Tensor(), Tensor(), o).h.item() - s2 * std::tanh(s2 * std::tanh(x))) < 1e-15);
    o.recurrent_activation = RnnActivation::hard_sigmoid_keras3;
    const double s3 = std::min(std::max(x + 3, 0.0), 6.0) / 6;
    BOOST_TEST(std::abs(lstm(in, k, rk, Tensor(), Tensor(), Tensor(), o).h.item() - s3 * std::tanh(s3 * std::tanh(x))) < 1e-15);
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  Generator g(800);
  const std::vector<Tensor> in = random_inputs(Kind::lstm, {2, 3, 4, 5}, g);
  test::check_throws_with([&] { lstm(in[0], in[2], in[2], in[3], in[4], in[5]); },
                          {"lstm", "kernel", "(5, 20)", "expected (4, 20)"});
  test::check_throws_with([&] { lstm(in[0], in[1], in[2], Tensor::zeros(Shape{2, 20}, DType::float64), in[4], in[5]); },
                          {"lstm", "bias", "(2, 20)", "expected (20,)"});
  test::check_throws_with([&] { lstm(reshape(in[0], {6, 4}), in[1], in[2], in[3], in[4], in[5]); },
                          {"lstm", "[batch, timesteps, features]", "(6, 4)"});
  RecurrentOptions o;
  o.mask = Tensor::ones(Shape{2, 4});
  test::check_throws_with([&] { lstm(in[0], in[1], in[2], in[3], in[4], in[5], o); }, {"lstm", "mask", "(2, 4)", "(2, 3)"});
  const Tensor gk = test::random_tensor(Shape{4, 15}, g, DType::float64);
  const Tensor grk = test::random_tensor(Shape{5, 15}, g, DType::float64);
  test::check_throws_with([&] { gru(in[0], gk, grk, Tensor::zeros(Shape{15}, DType::float64), Tensor()); },
                          {"gru", "bias", "(15,)", "expected (2, 15)"});
  RecurrentOptions before;
  before.reset_after = false;
  test::check_throws_with([&] { gru(in[0], gk, grk, Tensor::zeros(Shape{2, 15}, DType::float64), Tensor(), before); },
                          {"gru(reset_after=false)", "bias", "expected (15,)"});
  const Tensor sk = test::random_tensor(Shape{4, 5}, g, DType::float64);
  const Tensor srk = test::random_tensor(Shape{5, 5}, g, DType::float64);
  test::check_throws_with([&] { simple_rnn(in[0].to(DType::float32), sk, srk, Tensor(), Tensor()); },
                          {"simple_rnn", "kernel", "float64", "float32"});
}

BOOST_AUTO_TEST_SUITE_END()
