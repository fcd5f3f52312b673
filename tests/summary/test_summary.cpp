// summary/summary.cpp: the default writer and the one-call gradient summary of a custom loop.
#include <filesystem>
#include <map>
#include <thread>

#include "summary/reader.hpp"
#include "summary/summary.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  const std::string dir = test::scratch_dir() + "/summary/" + name;
  fs::remove_all(dir);
  return dir;
}

// tag -> (step, value) for every scalar; tag -> histogram for the last histogram of each tag.
struct Logged {
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> scalars;
  std::map<std::string, summary::Histogram> histograms;
};

Logged read_all(const std::string& path) {
  Logged out;
  for (const auto& e : summary::read_event_file(path).events)
    for (const auto& v : e.values) {
      if (v.kind == summary::Value::Kind::scalar) out.scalars[v.tag].emplace_back(e.step, v.scalar);
      if (v.kind == summary::Value::Kind::histogram) out.histograms[v.tag] = v.histogram;
    }
  return out;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_summary)

BOOST_AUTO_TEST_CASE(no_default_writer_means_nothing_is_written) {
  BOOST_TEST(!summary::default_writer());
  BOOST_TEST(!summary::scalar("loss", 1, 0));
  BOOST_TEST(!summary::histogram("h", Tensor::ones({2}), 0));
  BOOST_TEST(!summary::text("t", "x", 0));
  BOOST_TEST(!summary::gradients({}, {}, 0));
}

BOOST_AUTO_TEST_CASE(default_writer_is_per_thread_and_scoped) {
  const std::string dir = fresh_dir("default");
  auto writer = std::make_shared<summary::Writer>(dir);
  {
    summary::DefaultWriter scope(writer);
    BOOST_TEST(summary::default_writer() == writer);
    BOOST_TEST(summary::scalar("loss", 0.5, 3));
    BOOST_TEST(summary::text("note", "*hi*", 3));
    bool other_thread_has_one = true;
    std::thread([&] { other_thread_has_one = summary::default_writer() != nullptr; }).join();
    BOOST_TEST(!other_thread_has_one);
  }
  BOOST_TEST(!summary::default_writer());
  writer->close();
  const Logged got = read_all(writer->path());
  BOOST_REQUIRE_EQUAL(got.scalars.at("loss").size(), 1u);
  BOOST_TEST(got.scalars.at("loss")[0].first == 3);
  BOOST_TEST(got.scalars.at("loss")[0].second == 0.5);
}

BOOST_AUTO_TEST_CASE(gradients_logs_norms_histograms_and_update_ratios_by_variable) {
  const Variable w(Tensor::from_values({3, 4, 0, 0}, {2, 2}), "dense/kernel");
  const Variable b(Tensor::zeros({2}), "dense/bias");
  const Variable unused(Tensor::ones({3}), "other/kernel:0");
  const Tensor gw = Tensor::from_values({1, 2, 2, 0}, {2, 2}), gb = Tensor::from_values({0.5, -0.5}, {2});
  const std::vector<Tensor> before{w.value().clone(), b.value().clone(), unused.value().clone()};
  w.assign(Tensor::from_values({3, 4, 0.3, 0.4}, {2, 2}));  // an update of norm 0.5 on a weight of norm 5
  b.assign(Tensor::from_values({0.1, 0}, {2}));
  const std::string dir = fresh_dir("grads");
  summary::Writer writer(dir);
  summary::gradients(writer, {w, b, unused}, {gw, gb, Tensor()}, 7, {.weights_before = before});
  writer.close();
  const Logged got = read_all(writer.path());
  BOOST_TEST(got.scalars.at("dense/kernel/gradient_norm").at(0).second == 3.0);  // sqrt(1 + 4 + 4)
  BOOST_TEST(got.scalars.at("dense/kernel/gradient_norm").at(0).first == 7);
  BOOST_TEST(got.scalars.at("dense/bias/gradient_norm").at(0).second == static_cast<float>(norm({0.5, -0.5})));
  BOOST_TEST(got.scalars.at("gradients/global_norm").at(0).second == static_cast<float>(std::sqrt(9.5)));
  const double u3 = 0.3f, u4 = 0.4f;  // the float32 update, read as double
  BOOST_TEST(got.scalars.at("dense/kernel/update_ratio").at(0).second == static_cast<float>(std::sqrt(u3 * u3 + u4 * u4) / 5));
  BOOST_TEST(got.scalars.count("dense/bias/update_ratio") == 0u);  // it was all zeros: no ratio
  BOOST_TEST(got.scalars.at("other/kernel_0/update_ratio").at(0).second == 0.0);
  BOOST_TEST(got.scalars.count("other/kernel_0/gradient_norm") == 0u);  // no gradient: skipped
  BOOST_TEST(got.histograms.at("dense/kernel/histogram").sum == 3.0 + 4.0 + u3 + u4);
  BOOST_TEST(got.histograms.at("dense/kernel/gradient_histogram").num == 4.0);
  BOOST_TEST(got.histograms.at("dense/kernel/gradient_histogram").sum == 5.0);
  BOOST_TEST(got.histograms.at("other/kernel_0/histogram").num == 3.0);
  BOOST_TEST(got.histograms.count("other/kernel_0/gradient_histogram") == 0u);
  BOOST_TEST(got.histograms.size() == 5u);
}

BOOST_AUTO_TEST_CASE(gradients_checks_its_arguments) {
  summary::Writer writer(fresh_dir("args"));
  const Variable w(Tensor::zeros({2, 2}), "w");
  test::check_throws_with([&] { summary::gradients(writer, {w}, {}, 0); }, {"1 variables but 0 gradients"});
  test::check_throws_with([&] { summary::gradients(writer, {w}, {Tensor::zeros({3})}, 0); },
                          {"gradient of 'w' has shape (3,)", "(2, 2)"});
  test::check_throws_with([&] { summary::gradients(writer, {w}, {Tensor::zeros({2, 2})}, 0, {.weights_before = {Tensor::zeros({1})}}); },
                          {"weights_before[0] has shape (1,)"});
}

BOOST_AUTO_TEST_CASE(clean_tag_follows_tensorflow) {
  BOOST_TEST(summary::clean_tag("dense/kernel:0") == "dense/kernel_0");
  BOOST_TEST(summary::clean_tag("//a b") == "a_b");
  BOOST_TEST(summary::clean_tag("ok/tag-1.x") == "ok/tag-1.x");
  BOOST_TEST(summary::clean_tag("") == "_");
}

BOOST_AUTO_TEST_SUITE_END()
