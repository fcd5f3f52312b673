#include "ops/golden_ops_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;
using namespace tg::indexing;

namespace {

std::optional<std::int64_t> bound(const nlohmann::json& j) {
  return j.is_null() ? std::nullopt : std::optional<std::int64_t>(j.get<std::int64_t>());
}

// The JSON form of an index list (tests/golden/README.md) -> TensorIndex entries.
std::vector<TensorIndex> entries_of(const nlohmann::json& list) {
  std::vector<TensorIndex> out;
  for (const auto& e : list) {
    if (e.is_number_integer()) out.emplace_back(e.get<std::int64_t>());
    else if (e == "...") out.emplace_back(Ellipsis);
    else if (e == "newaxis") out.emplace_back(NewAxis);
    else if (e.contains("slice")) out.emplace_back(Slice(bound(e["slice"][0]), bound(e["slice"][1]), e["slice"][2].is_null() ? 1 : e["slice"][2].get<std::int64_t>()));
    else out.emplace_back(test::golden_tensor(e.at("tensor")));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_indexing)

BOOST_AUTO_TEST_CASE(indexing_ops_match_torch_and_numpy) {
  const std::map<std::string, test::GoldenOp> ops = {
      {"slice",
       [](const auto& v, const auto& p) {
         return std::vector<Tensor>{slice(v[0], p.at("axis").template get<std::int64_t>(), p.contains("start") ? bound(p["start"]) : None,
                                          p.contains("stop") ? bound(p["stop"]) : None, p.at("step").template get<std::int64_t>())};
       }},
      {"index", [](const auto& v, const auto& p) { return std::vector<Tensor>{index(v[0], entries_of(p.at("entries")))}; }},
      {"gather",
       [](const auto& v, const auto& p) {
         return std::vector<Tensor>{gather(v[0], test::golden_tensor(p.at("indices")), p.at("axis").template get<std::int64_t>())};
       }},
      {"pad",
       [](const auto& v, const auto& p) {
         std::vector<std::pair<std::int64_t, std::int64_t>> pads;
         for (const auto& q : p.at("paddings")) pads.emplace_back(q[0].template get<std::int64_t>(), q[1].template get<std::int64_t>());
         const std::string mode = p.at("mode");
         const PadMode m = mode == "constant" ? PadMode::constant : mode == "reflect" ? PadMode::reflect : PadMode::symmetric;
         return std::vector<Tensor>{pad(v[0], pads, m, p.value("constant_value", 0.0))};
       }},
      {"one_hot",
       [](const auto&, const auto& p) {
         return std::vector<Tensor>{one_hot(test::golden_tensor(p.at("indices")), p.at("depth").template get<std::int64_t>())};
       }},
  };
  BOOST_TEST(test::run_golden_ops("indexing", ops) == 30);
}

BOOST_AUTO_TEST_CASE(python_slice_rules_by_hand) {
  const Tensor x = Tensor::arange(0, 5, 1, DType::float64);  // [0 1 2 3 4]
  test::check_close(slice(x, 0, None, None, -1), {4, 3, 2, 1, 0}, 0, 0, "x[::-1]");
  test::check_close(slice(x, 0, -2, None), {3, 4}, 0, 0, "x[-2:]");
  test::check_close(slice(x, 0, None, -2), {0, 1, 2}, 0, 0, "x[:-2]");
  test::check_close(slice(x, 0, 1, 100, 3), {1, 4}, 0, 0, "x[1:100:3]");
  test::check_close(slice(x, 0, 3, 0, -1), {3, 2, 1}, 0, 0, "x[3:0:-1]");
  test::check_close(slice(x, 0, -100, 100, -1), {}, 0, 0, "x[-100:100:-1]");
  BOOST_TEST(slice(x, 0, 10, 20).shape() == Shape{0});
  BOOST_TEST(x.slice(0, 1, 4, 2).shape() == Shape{2});
  // Index lists: x[1::2, 3, None, ...] on (5, 6, 2)
  const Tensor y = Tensor::arange(0, 60, 1, DType::float64).reshape({5, 6, 2});
  const Tensor z = y.index({Slice(1, None, 2), 3, NewAxis, Ellipsis});
  BOOST_TEST(z.shape() == (Shape{2, 1, 2}));
  test::check_close(z, {18, 19, 42, 43}, 0, 0, "y[1::2, 3, None, ...]");
  BOOST_TEST(y.index({-1, -1, -1}).item() == 59);
  BOOST_TEST(y.index({None, Ellipsis}).shares_storage(y));  // nothing picked: a view
  BOOST_TEST(y.index({Ellipsis, 1}).shape() == (Shape{5, 6}));
  const Tensor picks = Tensor::from_values({4, 0}, Shape{2}, DType::int32);
  test::check_close(y.index({picks, 0, 1}), {49, 1}, 0, 0, "y[[4, 0], 0, 1]");
}

BOOST_AUTO_TEST_CASE(gradients_at_odd_sizes_and_second_order) {
  Generator g(61);
  for (std::int64_t n : {1, 3, 17}) {
    const Tensor x = test::random_tensor(Shape{n, 5}, g, DType::float64);
    auto weighted = [&](const Tensor& y) { return test::random_tensor(y.shape(), g, DType::float64); };
    const Tensor w1 = weighted(slice(x, 1, 4, None, -2));
    test::expect_gradients([&](const std::vector<Tensor>& v) { return slice(v[0], 1, 4, None, -2) * w1; }, {x}, "slice -2");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return v[0].slice(1, 4, None, -2) * w1; }, {x},
                           "slice method");
    const Tensor w2 = weighted(x.index({Slice(None, None, -1), NewAxis, Slice(1, -1)}));
    test::expect_gradients(
        [&](const std::vector<Tensor>& v) { return v[0].index({Slice(None, None, -1), NewAxis, Slice(1, -1)}) * w2; }, {x},
        "index method");
    const Tensor idx = Tensor::from_values({4, 0, 4, 2}, Shape{2, 2}, DType::int64);  // repeats add up
    const Tensor w3 = weighted(gather(x, idx, 1));
    test::expect_gradients([&](const std::vector<Tensor>& v) { return gather(v[0], idx, 1) * w3; }, {x}, "gather");
    const Tensor w4 = weighted(index(x, {Ellipsis, idx}));
    test::expect_gradients([&](const std::vector<Tensor>& v) { return index(v[0], {Ellipsis, idx}) * w4; }, {x},
                           "index with a tensor");
    for (PadMode mode : {PadMode::constant, PadMode::reflect, PadMode::symmetric}) {
      const std::vector<std::pair<std::int64_t, std::int64_t>> pads = {{0, mode == PadMode::reflect ? n - 1 : n}, {2, 4}};
      const Tensor w5 = weighted(pad(x, pads, mode, 1.5));
      test::expect_gradients([&](const std::vector<Tensor>& v) { return pad(v[0], pads, mode, 1.5) * w5; }, {x}, "pad");
    }
    // The gradient rules are ops too: differentiate the gradient of a cubic through each.
    const Tensor w6 = weighted(x);
    for (const auto& [name, f] : std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>>{
             {"slice", [](const Tensor& t) { return slice(t, 1, None, None, -3); }},
             {"gather", [&](const Tensor& t) { return gather(t, idx, 1); }},
             {"pad reflect", [](const Tensor& t) { return pad(t, {{0, 0}, {3, 1}}, PadMode::reflect); }}})
      test::expect_gradients(
          [&, f = f](const std::vector<Tensor>& v) {
            GradientTape inner;
            inner.watch(v[0]);
            const Tensor y = f(v[0]);
            return inner.gradient(sum(y * y * y), v[0]) * w6;
          },
          {x}, name + " second order", 1e-5, 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(gather_one_hot_and_pad_by_hand) {
  const Tensor x = Tensor::arange(0, 6, 1, DType::float64).reshape({2, 3});
  const Tensor i32 = Tensor::from_values({2, 2, 0}, Shape{3}, DType::int32);
  test::check_close(gather(x, i32, 1), {2, 2, 0, 5, 5, 3}, 0, 0, "int32 indices on axis 1");
  BOOST_TEST(gather(x, Tensor::scalar(1, DType::int64), 0).shape() == Shape{3});
  BOOST_TEST(gather(x, Tensor::zeros(Shape{0}, DType::int64), 1).shape() == (Shape{2, 0}));
  // tf.one_hot: an index outside [0, depth) gives a row of off_value.
  const Tensor oh = one_hot(Tensor::from_values({1, -1, 3}, Shape{3}, DType::int32), 3, DType::float64, 5, -1);
  BOOST_TEST(oh.shape() == (Shape{3, 3}));
  test::check_close(oh, {-1, 5, -1, -1, -1, -1, -1, -1, -1}, 0, 0, "one_hot");
  BOOST_TEST(one_hot(Tensor::from_values({0}, Shape{1}, DType::int64), 2).dtype() == DType::float32);
  const Tensor r = Tensor::from_values({1, 2, 3}, Shape{3}, DType::float64);
  test::check_close(pad(r, {{2, 1}}, PadMode::reflect), {3, 2, 1, 2, 3, 2}, 0, 0, "reflect");
  test::check_close(pad(r, {{2, 1}}, PadMode::symmetric), {2, 1, 1, 2, 3, 3}, 0, 0, "symmetric");
  test::check_close(pad(r, {{1, 0}}, PadMode::constant, -7), {-7, 1, 2, 3}, 0, 0, "constant");
}

BOOST_AUTO_TEST_CASE(no_gradient_path) {
  const Tensor x = Tensor::arange(0, 6, 1, DType::float64).reshape({2, 3});
  Tensor w = Tensor::ones(Shape{2, 1}, DType::float64);
  GradientTape tape;
  tape.watch(w);
  const Tensor y = sum(slice(x, 1, None, None, -1) * w + gather(x, Tensor::scalar(0, DType::int64), 1).reshape({2, 1}));
  const auto grads = tape.gradient(y, {x, w});
  BOOST_TEST(!grads[0].defined());
  test::check_close(grads[1], {3, 12}, 0, 0, "row sums of x reach w");
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  const Tensor x = Tensor::zeros(Shape{2, 3});
  test::check_throws_with([&] { slice(x, 1, 0, 2, 0); }, {"slice", "step cannot be zero", "(2, 3)"});
  test::check_throws_with([&] { slice(x, 2, 0, 1); }, {"slice", "axis 2", "rank 2"});
  test::check_throws_with([&] { x.index({0, 1, 2}); }, {"index", "3 indices", "(2, 3)"});
  test::check_throws_with([&] { x.index({0, 3}); }, {"index", "index 3", "axis 1", "(2, 3)"});
  test::check_throws_with([&] { x.index({Ellipsis, Ellipsis}); }, {"index", "more than one Ellipsis"});
  const Tensor i = Tensor::from_values({0}, Shape{1}, DType::int64);
  test::check_throws_with([&] { x.index({i, i}); }, {"index", "at most one tensor"});
  test::check_throws_with([&] { x.index({Tensor::zeros(Shape{1})}); }, {"index", "int32 or int64", "float32"});
  test::check_throws_with([&] { gather(x, Tensor::from_values({0, 3}, Shape{2}, DType::int64), 1); },
                          {"gather", "index 3", "[0, 3)", "axis 1", "(2, 3)"});
  test::check_throws_with([&] { gather(x, Tensor::from_values({-1}, Shape{1}, DType::int64), 0); }, {"gather", "index -1"});
  test::check_throws_with([&] { gather(x, Tensor::zeros(Shape{1}), 0); }, {"gather", "int32 or int64", "float32"});
  test::check_throws_with([&] { pad(x, {{1, 1}}); }, {"pad", "1 (before, after) pairs", "(2, 3)"});
  test::check_throws_with([&] { pad(x, {{0, 0}, {3, 0}}, PadMode::reflect); }, {"pad", "reflect", "axis 1", "at most 2"});
  test::check_throws_with([&] { pad(x, {{0, -1}, {0, 0}}); }, {"pad", "negative padding"});
  test::check_throws_with([&] { one_hot(x, 3); }, {"one_hot", "int32 or int64", "float32"});
}

BOOST_AUTO_TEST_SUITE_END()
