#include "golden_util.hpp"
#include "ops/golden_ops_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_shape)

BOOST_AUTO_TEST_CASE(layout_op_gradients) {
  Generator g(51);
  Tensor x = test::random_tensor(Shape{2, 3, 4}, g, DType::float64);
  Tensor w24 = test::random_tensor(Shape{2, 12}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return flatten(v[0]) * w24; }, {x}, "flatten");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return reshape(v[0], {4, -1}) * reshape(w24, {4, 6}); }, {x},
                         "reshape");
  Tensor wt = test::random_tensor(Shape{4, 2, 3}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return transpose(v[0], {2, 0, 1}) * wt; }, {x}, "permute");
  Tensor y = test::random_tensor(Shape{2, 1, 4}, g, DType::float64);
  Tensor wc = test::random_tensor(Shape{2, 4, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return concat({v[0], v[1]}, 1) * wc; }, {x, y}, "concat");
  Tensor ws = test::random_tensor(Shape{2, 2, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return slice(v[0], 1, 1, 3) * ws; }, {x}, "slice");
  Tensor idx = Tensor::from_vector<std::int64_t>({1, 1, 0}, Shape{3});
  Tensor wg = test::random_tensor(Shape{3, 3, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return gather_rows(v[0], idx) * wg; }, {x}, "gather_rows");
}

BOOST_AUTO_TEST_CASE(reshape_is_a_view_and_flatten_is_keras) {
  Tensor x = Tensor::arange(0, 24).reshape({2, 3, 4});
  Tensor f = flatten(x);
  BOOST_TEST(f.shape() == (Shape{2, 12}));
  BOOST_TEST(f.shares_storage(x));
  BOOST_TEST(f.at({1, 0}) == 12);
  test::check_throws_with([&] { reshape(x, {5, -1}); }, {"reshape", "(2, 3, 4)"});
}

BOOST_AUTO_TEST_CASE(stack_split_squeeze_expand_tile_match_torch) {
  const std::map<std::string, test::GoldenOp> ops = {
      {"stack", [](const auto& v, const auto& p) { return std::vector<Tensor>{stack(v, p.at("axis").template get<std::int64_t>())}; }},
      {"split",
       [](const auto& v, const auto& p) {
         const std::int64_t axis = p.at("axis").template get<std::int64_t>();
         return p.contains("num") ? split(v[0], p.at("num").template get<std::int64_t>(), axis)
                                  : split(v[0], test::ints(p.at("sizes")), axis);
       }},
      {"squeeze", [](const auto& v, const auto& p) { return std::vector<Tensor>{squeeze(v[0], test::ints(p.at("axes")))}; }},
      {"expand_dims",
       [](const auto& v, const auto& p) { return std::vector<Tensor>{expand_dims(v[0], p.at("axis").template get<std::int64_t>())}; }},
      {"tile", [](const auto& v, const auto& p) { return std::vector<Tensor>{tile(v[0], test::ints(p.at("multiples")))}; }},
  };
  BOOST_TEST(test::run_golden_ops("shape", ops) == 16);
}

BOOST_AUTO_TEST_CASE(new_shape_op_gradients_at_odd_sizes) {
  Generator g(52);
  for (std::int64_t n : {1, 3, 17}) {
    const Tensor a = test::random_tensor(Shape{n, 2}, g, DType::float64);
    const Tensor b = test::random_tensor(Shape{n, 2}, g, DType::float64);
    const Tensor w3 = test::random_tensor(Shape{n, 2, 2}, g, DType::float64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return stack({v[0], v[1]}, 2) * w3; }, {a, b}, "stack");
    const Tensor x = test::random_tensor(Shape{2, 3 * n}, g, DType::float64);
    const Tensor w1 = test::random_tensor(Shape{2, n}, g, DType::float64);
    const Tensor w2 = test::random_tensor(Shape{2, 2 * n}, g, DType::float64);
    test::expect_gradients(
        [&](const std::vector<Tensor>& v) {
          const auto parts = split(v[0], {n, -1}, 1);
          return sum(parts[0] * w1) + sum(parts[1] * w2);
        },
        {x}, "split by sizes");
    test::expect_gradients(
        [&](const std::vector<Tensor>& v) {
          const auto parts = split(v[0], 3, 1);
          return sum(parts[0] * w1) + sum(parts[2] * w1 * 2.0);  // the middle part unused
        },
        {x}, "split in three");
    const Tensor t = test::random_tensor(Shape{1, n, 1}, g, DType::float64);
    const Tensor wt = test::random_tensor(Shape{2, 3 * n, 2}, g, DType::float64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return tile(v[0], {2, 3, 2}) * wt; }, {t}, "tile");
    const Tensor wn = test::random_tensor(Shape{n}, g, DType::float64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return squeeze(v[0]) * wn; }, {t}, "squeeze");
    const Tensor we = test::random_tensor(Shape{n, 2, 1}, g, DType::float64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return expand_dims(v[0], -1) * we; }, {a}, "expand_dims");
  }
}

BOOST_AUTO_TEST_CASE(shape_op_results_by_hand) {
  const Tensor x = Tensor::arange(0, 6).reshape({2, 3});
  const Tensor s = stack({x, x * 10.0}, 1);
  BOOST_TEST(s.shape() == (Shape{2, 2, 3}));
  test::check_close(s, {0, 1, 2, 0, 10, 20, 3, 4, 5, 30, 40, 50}, 0, 0, "stack axis 1");
  const auto parts = split(x, {3}, 1);  // one part of size 3, not three parts
  BOOST_REQUIRE_EQUAL(parts.size(), 1u);
  BOOST_TEST(parts[0].shape() == x.shape());
  BOOST_TEST(split(x, 3, 1).size() == 3u);
  test::check_close(tile(Tensor::from_values({1, 2}, Shape{2}), {3}), {1, 2, 1, 2, 1, 2}, 0, 0, "tile 1-d");
  const Tensor y = Tensor::zeros(Shape{1, 3, 1});
  BOOST_TEST(squeeze(y).shape() == Shape{3});
  BOOST_TEST(squeeze(y, {0}).shape() == (Shape{3, 1}));
  BOOST_TEST(squeeze(y).shares_storage(y));  // a view
  BOOST_TEST(expand_dims(y, 3).shape() == (Shape{1, 3, 1, 1}));
  BOOST_TEST(expand_dims(Tensor::scalar(2), 0).shape() == Shape{1});
}

BOOST_AUTO_TEST_CASE(new_shape_ops_without_a_watched_input) {
  const Tensor x = Tensor::ones(Shape{2, 3}, DType::float64);
  Tensor w = Tensor::full(Shape{1}, 2, DType::float64);
  GradientTape tape;
  tape.watch(w);
  const Tensor y = sum(stack({x, x}) * w) + sum(tile(x, {2, 1})) + sum(split(x, 3, 1)[0]) + sum(squeeze(expand_dims(x, 0)));
  const auto grads = tape.gradient(y, {x, w});
  BOOST_TEST(!grads[0].defined());
  test::check_close(grads[1], {12}, 0, 0, "only the stack reaches w");
}

BOOST_AUTO_TEST_CASE(new_shape_op_errors_name_the_op_and_shapes) {
  const Tensor x = Tensor::zeros(Shape{2, 3});
  test::check_throws_with([&] { stack({x, Tensor::zeros(Shape{3, 2})}); }, {"stack", "tensor 1", "(3, 2)", "(2, 3)"});
  test::check_throws_with([&] { stack({x, x}, 3); }, {"stack", "axis 3", "rank 3"});
  test::check_throws_with([&] { stack({}); }, {"stack", "no tensors"});
  test::check_throws_with([&] { split(x, 2, 1); }, {"split", "(2, 3)", "2 equal parts"});
  test::check_throws_with([&] { split(x, {1, 1}, 1); }, {"split", "[1, 1]", "length 3"});
  test::check_throws_with([&] { split(x, {-1, -1}, 1); }, {"split", "one -1"});
  test::check_throws_with([&] { squeeze(x, {1}); }, {"squeeze", "axis 1", "(2, 3)", "length 3"});
  test::check_throws_with([&] { expand_dims(x, 3); }, {"expand_dims", "axis 3"});
  test::check_throws_with([&] { tile(x, {2}); }, {"tile", "1 multiples", "(2, 3)"});
  test::check_throws_with([&] { tile(x, {2, -1}); }, {"tile", "negative multiple -1"});
}

// Issue 8, problem 3: the Tensor methods reshape, slice_rows, clone and to record like the free
// functions (they used to cut the tape: undefined gradients, skipped weights). PyTorch's gradients.
BOOST_AUTO_TEST_CASE(tensor_methods_record_on_the_tape) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("tensor_methods");
  const Tensor c43 = test::golden_tensor(c.at("c43")), c24 = test::golden_tensor(c.at("c24"));
  const Tensor c34 = test::golden_tensor(c.at("c34"));
  auto grad = [&](const std::function<Tensor(const Tensor&)>& f) {
    Variable w(test::golden_tensor(c.at("w")), "w");
    GradientTape tape;
    const Tensor g = tape.gradient(f(w.value()), w.value());
    BOOST_REQUIRE(g.defined());
    return g;
  };
  auto want = [&](const char* key) { return test::golden_tensor(c.at(key)).to_vector<double>(); };
  test::check_close(grad([&](const Tensor& w) { return sum(w.reshape({4, 3}) * c43); }), want("grad_reshape"), 0, 0, "reshape");
  test::check_close(grad([&](const Tensor& w) { return sum(w.slice_rows(1, 3) * c24); }), want("grad_slice_rows_1_3"), 0,
                    0, "slice_rows");
  test::check_close(grad([&](const Tensor& w) { return sum(w.clone() * w); }), want("grad_clone_times_w"), 1e-15, 0,
                    "clone");
  test::check_close(grad([&](const Tensor& w) { return sum(w.to(DType::float32).to(DType::float64) * c34); }),
                    want("grad_to"), 0, 0, "to");
  // The gradient of a float32 -> float64 cast comes back in float32, as tf.cast's does.
  Variable w32(test::golden_tensor(c.at("w"), static_cast<int>(DType::float32)), "w32");
  GradientTape tape;
  const Tensor g32 = tape.gradient(sum(w32.value().to(DType::float64) * c34), w32.value());
  BOOST_TEST(g32.dtype() == DType::float32);
  test::check_close(g32, want("grad_to"), 1e-7, 0, "to float64 from float32");
  // A view stays a view: slice_rows shares storage, clone does not.
  Tensor x = Tensor::zeros(Shape{4, 2});
  BOOST_TEST(x.slice_rows(1, 2).shares_storage(x));
  BOOST_TEST(!x.clone().shares_storage(x));
  // Casting to an integer dtype is not differentiable: no gradient, no error.
  Variable wf(Tensor::from_values({1.5, 2.5}, Shape{2}, DType::float64), "wf");
  GradientTape tape2;
  const Tensor through_int = sum(wf.value().to(DType::int64).to(DType::float64) + wf.value());
  test::check_close(tape2.gradient(through_int, wf.value()), {1, 1}, 0, 0, "int cast blocks its branch only");
}

BOOST_AUTO_TEST_SUITE_END()
