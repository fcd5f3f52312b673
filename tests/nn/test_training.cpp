#include <cmath>
#include <fstream>
#include <sstream>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {
// Three Gaussian blobs in 2-D: a problem a small MLP learns to ~100% in a few epochs.
void blobs(std::int64_t n, std::uint64_t seed, Tensor& x, Tensor& y) {
  Generator g(seed);
  x = Tensor(Shape{n, 2});
  y = Tensor(Shape{n}, DType::int64);
  const double cx[] = {-2, 2, 0}, cy[] = {-2, -2, 2.5};
  for (std::int64_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(g.next_below(3));
    x.data<float>()[2 * i] = static_cast<float>(cx[c] + 0.5 * g.next_normal());
    x.data<float>()[2 * i + 1] = static_cast<float>(cy[c] + 0.5 * g.next_normal());
    y.data<std::int64_t>()[i] = static_cast<std::int64_t>(c);
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_training)

BOOST_AUTO_TEST_CASE(fit_learns_and_evaluate_predict_agree) {
  set_random_seed(1);
  Tensor x, y, xv, yv;
  blobs(600, 1, x, y);
  blobs(300, 2, xv, yv);
  Sequential model({Dense(16, "relu"), Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  FitOptions o;
  o.epochs = 8;
  o.verbose = 0;
  o.x_val = xv;
  o.y_val = yv;
  const History h = model.fit(x, y, o);
  BOOST_TEST(h.epoch.size() == 8u);
  BOOST_TEST(h.history.at("loss").back() < h.history.at("loss").front());
  BOOST_TEST(h.history.at("val_accuracy").back() > 0.95);
  const auto r = model.evaluate(xv, yv);
  BOOST_TEST(std::fabs(r.at("accuracy") - h.history.at("val_accuracy").back()) < 1e-12);
  const Tensor p = model.predict(xv, 7);  // a batch size that does not divide 300
  BOOST_TEST(p.shape() == (Shape{300, 3}));
  const auto pred = core::argmax(p, 1).to_vector<std::int64_t>(), labels = yv.to_vector<std::int64_t>();
  double hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += pred[i] == labels[i];
  BOOST_TEST(std::fabs(hits / 300 - r.at("accuracy")) < 1e-12);
  BOOST_TEST(model.optimizer()->iterations() == 8 * 19);  // ceil(600 / 32) steps per epoch
}

BOOST_AUTO_TEST_CASE(custom_loop_equals_train_on_batch) {
  // The same model trained by train_on_batch and by a GradientTape loop ends with the same weights.
  auto make = [] {
    clear_session();
    set_random_seed(3);
    Sequential m({Dense(8, "tanh"), Dense(3)});
    m.build(Shape{2});
    return m;
  };
  Tensor x, y;
  blobs(64, 4, x, y);
  Sequential a = make(), b = make();
  a.compile(std::make_shared<SGD>(0.1), std::make_shared<SparseCategoricalCrossentropy>(true));
  for (int i = 0; i < 5; ++i) a.train_on_batch(x, y);
  SGD opt(0.1);
  SparseCategoricalCrossentropy loss_fn(true);
  for (int i = 0; i < 5; ++i) {
    GradientTape tape;
    const Tensor loss = loss_fn(y, b(x, true));
    opt.apply_gradients(tape.gradient(loss, b.trainable_variables()), b.trainable_variables());
  }
  const auto wa = a.weights(), wb = b.weights();
  for (std::size_t i = 0; i < wa.size(); ++i)
    BOOST_TEST(wa[i].value().to_vector<float>() == wb[i].value().to_vector<float>(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(summary_in_keras_layout) {
  clear_session();
  Sequential model({Flatten(), Dense(128, "relu"), Dense(10, "softmax")});
  model.build(Shape{28, 28});
  const std::string want =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape              Param #   \n"
      "=================================================================\n"
      " flatten (Flatten)           (None, 784)               0         \n"
      "                                                                 \n"
      " dense (Dense)               (None, 128)               100480    \n"
      "                                                                 \n"
      " dense_1 (Dense)             (None, 10)                1290      \n"
      "                                                                 \n"
      "=================================================================\n"
      "Total params: 101,770\n"
      "Trainable params: 101,770\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  BOOST_TEST(model.summary() == want);
  BOOST_TEST(model.count_params() == 101770);
}

BOOST_AUTO_TEST_CASE(callbacks) {
  Tensor x, y;
  blobs(200, 5, x, y);
  set_random_seed(2);
  Sequential model({Dense(8, "relu"), Dense(3, "softmax")});
  model.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  // EarlyStopping on a metric that cannot improve stops after `patience` epochs.
  auto stop = std::make_shared<EarlyStopping>("loss", /*min_delta=*/100.0, /*patience=*/2);
  auto lambda = std::make_shared<LambdaCallback>();
  int epochs_seen = 0;
  std::int64_t batches_seen = 0;
  lambda->epoch_end = [&](int, const Logs& logs) { epochs_seen += logs.count("accuracy") ? 1 : 0; };
  lambda->batch_end = [&](std::int64_t, const Logs&) { ++batches_seen; };
  const std::string csv = test::scratch_dir() + "_log.csv";
  auto logger = std::make_shared<CSVLogger>(csv);
  FitOptions o;
  o.epochs = 10;
  o.verbose = 0;
  o.callbacks = {stop, lambda, logger};
  const History h = model.fit(x, y, o);
  BOOST_TEST(h.epoch.size() == 3u);  // epoch 0 sets the best; epochs 1 and 2 fail to beat it by 100
  BOOST_TEST(stop->stopped_epoch() == 2);
  BOOST_TEST(epochs_seen == 3);
  BOOST_TEST(batches_seen == 3 * 7);
  std::ifstream in(csv);
  std::string header, row;
  std::getline(in, header);
  // Keras 3: no validation data, so the val_ twins are columns of "NA"; csv.excel ends lines in \r\n.
  BOOST_TEST(header == "epoch,accuracy,loss,val_accuracy,val_loss\r");
  int rows = 0;
  while (std::getline(in, row)) ++rows;
  BOOST_TEST(rows == 3);

  // TerminateOnNaN stops within the first epoch when the loss overflows.
  Sequential bad({Dense(3, "linear", DenseOptions{.kernel_initializer = "ones"})});
  bad.compile(std::make_shared<SGD>(1e30), std::make_shared<MeanSquaredError>());
  auto nan = std::make_shared<TerminateOnNaN>();
  FitOptions o2;
  o2.epochs = 3;
  o2.verbose = 0;
  o2.callbacks = {nan};
  const History h2 = bad.fit(x, Tensor::ones(Shape{200, 3}), o2);
  BOOST_TEST(nan->terminated());
  BOOST_TEST(h2.epoch.size() == 1u);
}

BOOST_AUTO_TEST_CASE(model_checkpoint_saves_best_and_per_epoch) {
  Tensor x, y, xv, yv;
  blobs(120, 7, x, y);
  blobs(60, 8, xv, yv);
  set_random_seed(4);
  Sequential model({Dense(8, "relu"), Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  const std::string dir = test::scratch_dir();
  auto every = std::make_shared<ModelCheckpoint>(dir + "/ckpt_{epoch:02d}.weights.h5", "val_loss", false, true);
  auto best = std::make_shared<ModelCheckpoint>(dir + "/best.h5", "val_loss", true);
  FitOptions o;
  o.epochs = 3;
  o.verbose = 0;
  o.x_val = xv;
  o.y_val = yv;
  o.callbacks = {every, best};
  model.fit(x, y, o);
  BOOST_TEST(every->saved().size() == 3u);
  BOOST_TEST(every->saved().back() == dir + "/ckpt_03.weights.h5");
  BOOST_TEST(!best->saved().empty());
  // The last per-epoch checkpoint holds the final weights.
  Sequential twin({Dense(8, "relu"), Dense(3, "softmax")});
  twin.build(Shape{2});
  load_weights(twin, every->saved().back());
  const auto a = model.weights(), b = twin.weights();
  for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(a[i].value().to_vector<float>() == b[i].value().to_vector<float>());
}

BOOST_AUTO_TEST_CASE(progress_lines) {
  std::ostringstream os;
  {
    Progbar bar(os, 1, 5, 469, 1, /*interactive=*/0);
    bar.update(469, {{"loss", 0.5}});
    bar.finish({{"loss", 0.49823}, {"accuracy", 0.82541}});
  }
  const std::string line = os.str();
  BOOST_TEST(line.rfind("Epoch 1/5 - ", 0) == 0u, line);
  BOOST_TEST(line.find("s - loss: 0.4982 - accuracy: 0.8254\n") != std::string::npos, line);
  std::ostringstream tty;
  {
    Progbar bar(tty, 2, 5, 469, 1, /*interactive=*/1);
    bar.finish({{"loss", 0.49823}, {"accuracy", 0.82541}});
  }
  BOOST_TEST(tty.str().find("Epoch 2/5\n") == 0u);
  BOOST_TEST(tty.str().find("469/469 [==============================] - 0s ") != std::string::npos, tty.str());
  BOOST_TEST(tty.str().find("/step - loss: 0.4982 - accuracy: 0.8254\n") != std::string::npos, tty.str());
}

BOOST_AUTO_TEST_CASE(bad_input_leaves_weights_untouched) {
  Tensor x, y;
  blobs(40, 6, x, y);
  Sequential model({Dense(4, "relu"), Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.build(Shape{2});
  std::vector<std::vector<float>> before;
  for (const Variable& v : model.weights()) before.push_back(v.value().to_vector<float>());
  FitOptions o;
  o.verbose = 0;
  Tensor bad_labels = y.clone();
  bad_labels.data<std::int64_t>()[37] = 3;
  test::check_throws_with([&] { model.fit(x, bad_labels, o); }, {"label 3", "index 37", "[0, 3)"});
  test::check_throws_with([&] { model.fit(x, y.slice_rows(0, 30), o); }, {"40 samples", "30"});
  test::check_throws_with([&] { model.fit(Tensor::zeros(Shape{40, 5}), y, o); }, {"(None, 2)", "(40, 5)"});
  test::check_throws_with([&] { model.compile("adagrad", "mse"); }, {"adagrad"});
  test::check_throws_with([&] { Sequential().fit(x, y, o); }, {"compile"});
  const auto after = model.weights();
  for (std::size_t i = 0; i < after.size(); ++i) BOOST_TEST(after[i].value().to_vector<float>() == before[i]);
  BOOST_TEST(model.optimizer()->class_name() == "Adam");
}


// Issue 8, problem 6: fit on Dense(1) with labels of shape (N,) expands them to (N, 1) as Keras
// does, for binary_crossentropy (on a sigmoid output, computed on its logits) and mse. One SGD step
// over the whole batch against PyTorch's step.
BOOST_AUTO_TEST_CASE(rank1_labels_with_one_output) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("rank1_labels");
  const Tensor x = test::golden_tensor(c.at("x"), static_cast<int>(DType::float64));
  const Tensor y = test::golden_tensor(c.at("y"));
  BOOST_REQUIRE(y.rank() == 1);
  for (const std::string loss : {"binary_crossentropy", "mse"}) {
    BOOST_TEST_CONTEXT(loss) {
      Sequential model({Dense(1, loss == "mse" ? "linear" : "sigmoid", DenseOptions{.dtype = DType::float64})});
      model.build(Shape{3});
      model.weights()[0].assign(test::golden_tensor(c.at("kernel")));
      model.weights()[1].assign(test::golden_tensor(c.at("bias")));
      model.compile(std::make_shared<SGD>(c.at("learning_rate").get<double>()), get_loss(loss));
      const double before = model.evaluate(x, y, 6).at("loss");
      BOOST_TEST(std::fabs(before - c.at(loss).at("loss").get<double>()) < 1e-14);
      FitOptions o;
      o.batch_size = 6;
      o.shuffle = false;
      o.verbose = 0;
      model.fit(x, y, o);
      test::check_close(model.weights()[0].value(), test::golden_tensor(c.at(loss).at("kernel_after")).to_vector<double>(),
                        1e-14, 1e-15, "kernel");
      test::check_close(model.weights()[1].value(), test::golden_tensor(c.at(loss).at("bias_after")).to_vector<double>(),
                        1e-14, 1e-15, "bias");
    }
  }
}

// Issue 8, problem 8: with restore_best_weights, Keras 3 restores the best epoch's weights when
// training ends, also when it never stopped early.
BOOST_AUTO_TEST_CASE(early_stopping_restores_best_weights_without_stopping) {
  Tensor x, y, xv, yv;
  blobs(200, 5, x, y);
  blobs(60, 6, xv, yv);
  set_random_seed(4);
  // Validation labels shifted by one class: the better the model fits, the worse its val_loss.
  Tensor shifted(yv.shape(), DType::int64);
  for (std::int64_t i = 0; i < yv.numel(); ++i)
    shifted.data<std::int64_t>()[i] = (yv.data<std::int64_t>()[i] + 1) % 3;
  yv = shifted;
  Sequential model({Dense(8, "relu"), Dense(3, "softmax")});
  model.compile(std::make_shared<SGD>(0.05), std::make_shared<SparseCategoricalCrossentropy>());
  auto stop = std::make_shared<EarlyStopping>("val_loss", 0.0, /*patience=*/100, "min", /*restore_best_weights=*/true);
  std::vector<std::vector<Tensor>> at_epoch_end;
  std::vector<double> val_loss;
  auto record = std::make_shared<LambdaCallback>();
  record->epoch_end = [&](int, const Logs& logs) {
    val_loss.push_back(logs.at("val_loss"));
    std::vector<Tensor> ws;
    for (const Variable& v : model.weights()) ws.push_back(v.value().clone());
    at_epoch_end.push_back(ws);
  };
  FitOptions o;
  o.epochs = 8;
  o.verbose = 0;
  o.x_val = xv;
  o.y_val = yv;
  o.callbacks = {record, stop};
  model.fit(x, y, o);
  BOOST_REQUIRE_EQUAL(val_loss.size(), 8u);  // never stopped
  const auto best = static_cast<std::size_t>(std::min_element(val_loss.begin(), val_loss.end()) - val_loss.begin());
  for (double v : val_loss) BOOST_TEST_MESSAGE("val_loss " << v);
  BOOST_REQUIRE(best != 7);  // otherwise the test could not tell restoring from keeping the last epoch
  const auto ws = model.weights();
  for (std::size_t i = 0; i < ws.size(); ++i)
    test::check_close(ws[i].value(), at_epoch_end[best][i].to_vector<double>(), 0, 0, ws[i].name());
  BOOST_TEST(stop->stopped_epoch() == -1);
  BOOST_TEST(std::fabs(model.evaluate(xv, yv).at("loss") - val_loss[best]) < 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
