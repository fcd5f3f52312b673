// autograd/numerics.cpp: enable_check_numerics finds the first NaN or Inf and names the op.
#include "autograd/numerics.hpp"
#include "ops/record.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

// Runs fn, expecting a NumericsError; returns it (message and op) for the caller's checks.
template <class F>
NumericsError expect_numerics_error(F&& fn) {
  try {
    fn();
  } catch (const NumericsError& e) {
    return e;
  }
  BOOST_ERROR("no NumericsError thrown");
  return NumericsError("", false, "");
}

void check_has(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_numerics)

BOOST_AUTO_TEST_CASE(log_of_a_negative_number_names_log_and_the_chain_without_a_tape) {
  const Tensor x = Tensor::from_values({2, 1, 3}, {3});
  CheckNumericsScope on;
  const Tensor shifted = sub(mul(x, scalar_like(x, 2)), scalar_like(x, 3));  // [1, -1, 3]
  const NumericsError e = expect_numerics_error([&] { (void)log(shifted); });
  BOOST_TEST(e.op() == "log");
  BOOST_TEST(!e.in_backward());
  check_has(e.what(), {"check_numerics: 'log' produced 1 NaN and 0 Inf values in its float32 (3,) output (forward pass)",
                       "input 0: float32 (3,), finite; made by sub(mul(<float32 (3,)>, <float32 ()>), <float32 ()>)"});
  // log(0) is -Inf: counted as Inf.
  const NumericsError z = expect_numerics_error([&] { (void)log(sub(x, x)); });
  check_has(z.what(), {"0 NaN and 3 Inf values"});
}

BOOST_AUTO_TEST_CASE(same_report_under_a_tape_and_nothing_recorded_in_a_no_record_scope) {
  const Tensor x = Tensor::from_values({-1, 4}, {2});
  CheckNumericsScope on;
  GradientTape tape;
  tape.watch(x);
  const NumericsError e = expect_numerics_error([&] { (void)sqrt(x); });
  BOOST_TEST(e.op() == "sqrt");
  check_has(e.what(), {"'sqrt' produced 1 NaN", "input 0: float32 (2,), finite"});
  BOOST_TEST(tape.size() == 0u);  // the failing op was not recorded
  const Tensor y = exp(x);
  BOOST_TEST(tape.size() == 1u);
  {
    NoRecordScope no;
    (void)exp(x);  // checked, not recorded
    BOOST_TEST(tape.size() == 1u);
    BOOST_CHECK_THROW((void)sqrt(x), NumericsError);
  }
  BOOST_TEST(tape.gradient(y, x).to_vector<double>() == y.to_vector<double>(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(zero_over_zero_in_a_backward_rule_names_the_forward_op) {
  // d sqrt(x)/dx = g / (2 sqrt(x)): at x = 0 with g = 0 the rule computes 0/0. The forward is finite.
  const Tensor x = Tensor::from_values({0, 4}, {2});
  const Tensor mask = Tensor::from_values({0, 1}, {2});
  CheckNumericsScope on;
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = sum(mul(sqrt(x), mask));
  const NumericsError e = expect_numerics_error([&] { (void)tape.gradient(loss, x); });
  BOOST_TEST(e.op() == "sqrt");
  BOOST_TEST(e.in_backward());
  check_has(e.what(), {"'div' inside the backward rule of 'sqrt' produced 1 NaN and 0 Inf values",
                       "(backward pass)", "input 1: float32 (2,), finite; made by mul(sqrt(<float32 (2,)>), <float32 ()>)"});
}

BOOST_AUTO_TEST_CASE(a_fused_backward_rule_is_checked_on_its_result) {
  // A rule that computes its gradient without ops (as fused kernels do) is checked when it returns.
  const Tensor x = Tensor::from_values({1, 2}, {2});
  CheckNumericsScope on;
  GradientTape tape;
  tape.watch(x);
  Tensor y = core::copy(x);
  autograd::record("my_fused_op", {x}, y, [](const Tensor& g, const autograd::Needs&) {
    Tensor out = core::copy(g);
    out.data<float>()[1] = INFINITY;
    return ops::detail::Grads{out};
  });
  const NumericsError e = expect_numerics_error([&] { (void)tape.gradient(sum(y), x); });
  BOOST_TEST(e.op() == "my_fused_op");
  check_has(e.what(), {"the backward rule of 'my_fused_op' produced 0 NaN and 1 Inf values in the gradient for its input 0 "
                       "(float32 (2,)); the incoming gradient (float32 (2,)) was finite",
                       "'my_fused_op' was recorded with:\n  input 0: float32 (2,)"});
}

BOOST_AUTO_TEST_CASE(a_nan_planted_in_a_weight_is_named_at_the_first_op_reading_it) {
  nn::Sequential model({nn::Dense(3, "relu", {.name = "hidden"}), nn::Dense(2, "", {.name = "out"})});
  model.build(Shape{4});
  const Tensor& kernel = model.get_layer("out")->weights()[0].value();
  Tensor k = kernel;
  k.data<float>()[4] = NAN;
  k.mark_modified();
  const Tensor x = Tensor::full({5, 4}, 0.5);
  CheckNumericsScope on;
  const NumericsError e = expect_numerics_error([&] { (void)model(x); });
  BOOST_TEST(e.op() == "dense");
  check_has(e.what(), {"'dense' produced 5 NaN and 0 Inf values in its float32 (5, 2) output",
                       "input 0: float32 (5, 3), finite; made by dense(<float32 (5, 4)>, variable 'hidden/kernel', "
                       "variable 'hidden/bias')",
                       "input 1: float32 (3, 2), variable 'out/kernel', ALREADY HELD 1 NaN and 0 Inf values (no op made it",
                       "input 2: float32 (2,), variable 'out/bias', finite"});
  // Inside fit the same op throws out of the training step, before the optimizer touches anything.
  model.compile("sgd", "mean_squared_error");
  const auto before = model.get_layer("hidden")->weights()[0].value().to_vector<float>();
  BOOST_CHECK_THROW(model.fit(x, Tensor::zeros({5, 2}), {.epochs = 1, .verbose = 0}), NumericsError);
  BOOST_TEST(model.get_layer("hidden")->weights()[0].value().to_vector<float>() == before, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_value_written_in_place_after_a_checked_op_says_so) {
  const Tensor x = Tensor::from_values({1, 2}, {2});
  CheckNumericsScope on;
  Tensor h = relu(x);
  h.fill(NAN);
  const NumericsError e = expect_numerics_error([&] { (void)exp(h); });
  check_has(e.what(), {"input 0: float32 (2,), ALREADY HELD 2 NaN and 0 Inf values (written in place after 'relu' made it: "
                       "version 0 -> 1)"});
}

BOOST_AUTO_TEST_CASE(long_chains_are_cut_and_reports_stay_short) {
  CheckNumericsScope on;
  Tensor t = Tensor::from_values({1}, {1});
  for (int i = 0; i < 200; ++i) t = add(t, scalar_like(t, 1));  // a chain of 200 adds
  const NumericsError e = expect_numerics_error([&] { (void)log(neg(t)); });
  const std::string msg = e.what();
  check_has(msg, {"made by neg(add(add(add(add(", "(...)"});
  BOOST_TEST(msg.size() < 600u, msg);
}

BOOST_AUTO_TEST_CASE(disabled_checks_change_nothing_and_enabled_ones_keep_every_value) {
  BOOST_TEST(!check_numerics_enabled());
  const Tensor x = Tensor::from_values({-1, 4}, {2});
  const auto quiet = log(x).to_vector<double>();  // NaN passes silently when disabled
  BOOST_TEST(std::isnan(quiet[0]));
  // Enabling must not change a single bit of a gradient, the fused cross-entropy's included.
  Generator gen(7);
  const Tensor logits = test::random_tensor({6, 5}, gen), labels = Tensor::from_values({0, 4, 2, 1, 3, 0}, {6}, DType::int64);
  auto grad = [&] {
    GradientTape tape;
    tape.watch(logits);
    return tape.gradient(sparse_softmax_cross_entropy_with_logits(labels, mul(logits, logits)), logits).to_vector<float>();
  };
  const auto off = grad();
  std::vector<float> on_values;
  {
    CheckNumericsScope on;
    BOOST_TEST(check_numerics_enabled());
    on_values = grad();
  }
  BOOST_TEST(!check_numerics_enabled());
  BOOST_TEST(off == on_values, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
