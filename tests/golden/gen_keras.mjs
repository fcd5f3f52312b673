// Keras-semantics golden numbers from TensorFlow.js (CPU backend, float32, as Keras computes).
// Run: cd tests/golden && npm ci && node gen_keras.mjs   (writes keras_*.json beside this file)
// See README.md for which tfjs function stands for which Keras function, and where they differ.
import * as tf from '@tensorflow/tfjs';
import { Lcg, Floats, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();
const here = new URL('.', import.meta.url).pathname;
const header = (what) => ({
  generator: 'tests/golden/gen_keras.mjs',
  what,
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  dtype: 'float32',
  epsilon: tf.backend().epsilon(),
});

const f32 = (shape, values) => tf.tensor(values, shape, 'float32');
const jsonOf = (t) => tensorJson(t.shape, t.dataSync(), t.dtype);
// tf.oneHot refuses depth 1; with one class every label is 0 and the one-hot matrix is all ones.
const oneHot = (labels, k) =>
  k === 1 ? tf.ones([labels.length, 1]) : tf.oneHot(tf.tensor1d(labels, 'int32'), k).toFloat();

// The loss functions Keras models use in tfjs-layers: LayersModel.compile resolves a loss name with
// tfjs-layers' losses.get() and keeps the function in model.lossFunctions (per-sample losses, the
// batch mean is taken by the training loop). That is the closest tfjs has to keras.losses.*.
function layersLoss(name) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  m.compile({ optimizer: 'sgd', loss: name });
  return (m.model ?? m).lossFunctions[0];  // a Sequential compiles its inner LayersModel
}
const layers = {
  sparse_categorical_crossentropy: layersLoss('sparseCategoricalCrossentropy'),
  categorical_crossentropy: layersLoss('categoricalCrossentropy'),
  binary_crossentropy: layersLoss('binaryCrossentropy'),
  mean_squared_error: layersLoss('meanSquaredError'),
};

// TF's sigmoid_cross_entropy_with_logits, elementwise, in TF's own formulation.
function sigmoidCe(z, x) {
  const pos = tf.greaterEqual(x, 0);
  const relu = tf.where(pos, x, tf.zerosLike(x));
  const negAbs = tf.where(pos, tf.neg(x), x);
  return tf.add(tf.sub(relu, tf.mul(x, z)), tf.log1p(tf.exp(negAbs)));
}

// ---------------------------------------------------------------------------------------------
// 2. Losses: per-sample values, their batch mean, and the gradient of the mean w.r.t. y_pred.
// ---------------------------------------------------------------------------------------------
function lossCase(name, keras, fromLogits, fnName, yTrueJson, yPred, perSample) {
  const mean = (p) => tf.mean(perSample(p));
  const per = perSample(yPred);
  const loss = mean(yPred);
  const grad = tf.grad(mean)(yPred);
  return {
    name, keras_loss: keras, from_logits: fromLogits, reduction: 'sum_over_batch_size',
    tfjs_function: fnName,
    y_true: yTrueJson, y_pred: jsonOf(yPred),
    per_sample: jsonOf(per), loss: loss.dataSync()[0],
    grad_y_pred: jsonOf(grad),
  };
}

function lossCases() {
  const g = new Lcg(2024);
  const cases = [];
  const shapes = [[4, 3], [5, 17], [3, 1]];

  // From logits: tfjs-core's tf.losses.softmaxCrossEntropy (log-sum-exp, TF's
  // softmax_cross_entropy_with_logits; what Keras 3's TF backend calls) with Reduction.MEAN.
  // tfjs-layers' own from_logits path clips the softmax to [eps, 1-eps] and, for the sparse loss,
  // clips the *logits* too, so it is not used for from_logits=true (README).
  const softmaxCe = 'tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.NONE)';
  for (const [n, k] of shapes) {
    const logits = f32([n, k], g.uniform(n * k, -4, 4));
    const labels = g.ints(n, k);
    const per = (p) => tf.losses.softmaxCrossEntropy(oneHot(labels, k), p, undefined, 0, tf.Reduction.NONE);
    cases.push(lossCase(`sparse_logits_${n}x${k}`, 'sparse_categorical_crossentropy', true, softmaxCe,
      tensorJson([n], labels, 'int64'), logits, per));
    cases.push(lossCase(`categorical_logits_${n}x${k}`, 'categorical_crossentropy', true, softmaxCe,
      jsonOf(oneHot(labels, k)), logits, per));
  }
  {
    // Large logits: finite, exact answers (2000 and 1000) only through log-sum-exp.
    const logits = f32([3, 3], [1000, 0, -1000, -1000, 0, 1000, 1000, 1000, -1000]);
    const labels = [2, 0, 1];
    const per = (p) => tf.losses.softmaxCrossEntropy(oneHot(labels, 3), p, undefined, 0, tf.Reduction.NONE);
    cases.push(lossCase('sparse_logits_large', 'sparse_categorical_crossentropy', true, softmaxCe,
      tensorJson([3], labels, 'int64'), logits, per));
    // Soft (non one-hot) targets.
    const soft = f32([3, 3], [0.25, 0.5, 0.25, 0, 0, 1, 0.125, 0.375, 0.5]);
    const logits2 = f32([3, 3], g.uniform(9, -3, 3));
    const per2 = (p) => tf.losses.softmaxCrossEntropy(soft, p, undefined, 0, tf.Reduction.NONE);
    cases.push(lossCase('categorical_logits_soft_targets', 'categorical_crossentropy', true, softmaxCe,
      jsonOf(soft), logits2, per2));
  }

  // From probabilities: tfjs-layers' Keras ports. categorical: p / sum(p), clip to [eps, 1-eps],
  // -sum(t log p). sparse: clip, then the categorical path (Keras 3 TF: clip, log, sparse softmax CE).
  for (const [n, k] of shapes.filter(([, k]) => k > 1)) {
    const probs = f32([n, k], g.probs(n, k));
    const labels = g.ints(n, k);
    cases.push(lossCase(`sparse_probs_${n}x${k}`, 'sparse_categorical_crossentropy', false,
      'tfjs-layers losses.sparseCategoricalCrossentropy (model.compile({loss: "sparseCategoricalCrossentropy"}))',
      tensorJson([n], labels, 'int64'), probs,
      (p) => layers.sparse_categorical_crossentropy(tf.tensor1d(labels, 'float32'), p)));
    cases.push(lossCase(`categorical_probs_${n}x${k}`, 'categorical_crossentropy', false,
      'tf.metrics.categoricalCrossentropy (tfjs-layers losses.categoricalCrossentropy, fromLogits=false)',
      jsonOf(oneHot(labels, k)), probs, (p) => tf.metrics.categoricalCrossentropy(oneHot(labels, k), p)));
  }
  {
    // Clipping and renormalisation: zeros, a one, and a row that does not sum to 1.
    const probs = f32([4, 3], [0, 1, 0, 0.5, 0.5, 0, 2, 1, 1, 0.25, 0.25, 0.25]);
    const labels = [0, 2, 0, 1];
    cases.push(lossCase('categorical_probs_clipped_unnormalised', 'categorical_crossentropy', false,
      'tf.metrics.categoricalCrossentropy (tfjs-layers losses.categoricalCrossentropy, fromLogits=false)',
      jsonOf(oneHot(labels, 3)), probs, (p) => tf.metrics.categoricalCrossentropy(oneHot(labels, 3), p)));
  }

  // Binary: from logits through TF's sigmoid_cross_entropy_with_logits written in tfjs ops exactly as
  // TF writes it (where(x >= 0, ...)), then the mean over the last axis as Keras does. Not
  // tf.losses.sigmoidCrossEntropy: its relu/abs form has gradient -z instead of sigmoid(0) - z at x = 0.
  // From probabilities through tfjs-layers' binaryCrossentropy (clip to [eps, 1-eps], then
  // log(p/(1-p)) into the logits formula).
  const sigmoidCeName = 'tf.mean(where(x >= 0, x, 0) - x*z + log1p(exp(where(x >= 0, -x, x))), -1) in tfjs ops ' +
    '(TF nn_impl.sigmoid_cross_entropy_with_logits)';
  for (const [n, k] of [[4, 1], [3, 5], [2, 17]]) {
    const targets = g.ints(n * k, 2);
    const yTrue = f32([n, k], targets);
    const logits = f32([n, k], g.uniform(n * k, -5, 5));
    cases.push(lossCase(`binary_logits_${n}x${k}`, 'binary_crossentropy', true,
      sigmoidCeName, jsonOf(yTrue), logits, (p) => tf.mean(sigmoidCe(yTrue, p), -1)));
    const probs = f32([n, k], g.uniform(n * k, 0, 1).map(v => v === 0 ? 1 / 256 : v));
    cases.push(lossCase(`binary_probs_${n}x${k}`, 'binary_crossentropy', false,
      'tf.metrics.binaryCrossentropy (tfjs-layers losses.binaryCrossentropy)', jsonOf(yTrue), probs,
      (p) => tf.metrics.binaryCrossentropy(yTrue, p)));
  }
  {
    const yTrue = f32([2, 3], [1, 0, 1, 0, 1, 0]);
    const logits = f32([2, 3], [100, -100, -100, 100, 0, -30]);
    cases.push(lossCase('binary_logits_large', 'binary_crossentropy', true,
      sigmoidCeName, jsonOf(yTrue), logits, (p) => tf.mean(sigmoidCe(yTrue, p), -1)));
    const probs = f32([2, 3], [1, 0, 0, 1, 0.5, 0.25]);
    cases.push(lossCase('binary_probs_clipped', 'binary_crossentropy', false,
      'tf.metrics.binaryCrossentropy (tfjs-layers losses.binaryCrossentropy)', jsonOf(yTrue), probs,
      (p) => tf.metrics.binaryCrossentropy(yTrue, p)));
  }

  for (const [n, k] of [[4, 3], [3, 17], [5, 1]]) {
    const yTrue = f32([n, k], g.uniform(n * k, -2, 2));
    const yPred = f32([n, k], g.uniform(n * k, -2, 2));
    cases.push(lossCase(`mse_${n}x${k}`, 'mean_squared_error', null,
      'tf.metrics.meanSquaredError (tfjs-layers losses.meanSquaredError: mean over the last axis)',
      jsonOf(yTrue), yPred, (p) => tf.metrics.meanSquaredError(yTrue, p)));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// 3. Optimizers: 5 steps on 7 parameters with given gradients.
// ---------------------------------------------------------------------------------------------
function optimizerInputs() {
  const g = new Lcg(7);
  const init = g.uniform(7, -1, 1);
  const grads = [];
  for (let s = 0; s < 5; ++s) grads.push(g.uniform(7, -2, 2));
  grads[2][3] = 0;  // a zero gradient in the middle of the run
  // Tiny gradients make Adam's epsilon placement visible (README).
  const tiny = grads.map(row => row.map(v => v * 1e-6));
  return { init, grads, tiny };
}

function runOptimizer(make, init, grads) {
  const v = tf.variable(tf.tensor1d(init, 'float32'), true, `param_${Math.random().toString(36).slice(2)}`);
  const opt = make();
  const after = [];
  for (const row of grads) {
    opt.applyGradients({ [v.name]: tf.tensor1d(row, 'float32') });
    after.push(Array.from(v.dataSync()));
  }
  return after;
}

function optimizerCases() {
  const { init, grads, tiny } = optimizerInputs();
  const cases = [];
  const add = (name, keras, config, tfjsCall, make, g = grads, matches = true, note = undefined) => {
    cases.push({
      name, keras_optimizer: keras, config, tfjs_function: tfjsCall,
      matches_keras3_formula: matches, note,
      init: new Floats(Float32Array.from(init)), grads: g.map(r => new Floats(Float32Array.from(r))),
      params_after_step: runOptimizer(make, init, g).map(r => new Floats(r)),
    });
  };
  add('sgd', 'SGD', { learning_rate: 0.1, momentum: 0, nesterov: false }, 'tf.train.sgd(0.1)',
    () => tf.train.sgd(0.1));
  const momNote = 'tfjs keeps accum = momentum*accum + g and applies var -= lr*accum (nesterov: ' +
    'var -= lr*(g + momentum*accum)); Keras 3 keeps m = momentum*m - lr*g and applies var += m (nesterov: ' +
    'var += momentum*m - lr*g). With a constant learning rate m = -lr*accum, so the two are the same ' +
    'formula; float32 rounding differs in the last bits.';
  add('momentum', 'SGD', { learning_rate: 0.1, momentum: 0.9, nesterov: false }, 'tf.train.momentum(0.1, 0.9, false)',
    () => tf.train.momentum(0.1, 0.9, false), grads, true, momNote);
  add('nesterov', 'SGD', { learning_rate: 0.1, momentum: 0.9, nesterov: true }, 'tf.train.momentum(0.1, 0.9, true)',
    () => tf.train.momentum(0.1, 0.9, true), grads, true, momNote);
  const adamNote = 'tfjs: var -= lr * mhat / (sqrt(vhat) + eps) with mhat = m/(1-b1^t), vhat = v/(1-b2^t). ' +
    'Keras 3: var -= alpha * m / (sqrt(v) + eps), alpha = lr*sqrt(1-b2^t)/(1-b1^t), i.e. the same with ' +
    'eps scaled by sqrt(1-b2^t). Equal when |g| >> eps; use torch_optimizers.json for Keras 3 numbers.';
  const adamCfg = { learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false };
  add('adam', 'Adam', adamCfg, 'tf.train.adam(0.01, 0.9, 0.999, 1e-7)',
    () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), grads, false, adamNote);
  add('adam_tiny_grads', 'Adam', adamCfg, 'tf.train.adam(0.01, 0.9, 0.999, 1e-7)',
    () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), tiny, false, adamNote);
  const rmsCfg = { learning_rate: 0.01, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false };
  const rmsNote = 'Both tfjs and Keras 3 (keras/src/optimizers/rmsprop.py) compute v = rho*v + (1-rho)*g^2; ' +
    'var -= lr*g / sqrt(v + eps): epsilon INSIDE the square root.';
  add('rmsprop', 'RMSprop', rmsCfg, 'tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false)',
    () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false), grads, true, rmsNote);
  add('rmsprop_tiny_grads', 'RMSprop', rmsCfg, 'tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false)',
    () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false), tiny, true, rmsNote);
  return cases;
}

// ---------------------------------------------------------------------------------------------
// 4. Dense forward and the gradient of a 2-layer MLP's mean sparse categorical crossentropy.
// ---------------------------------------------------------------------------------------------
export function denseInputs() {
  const g = new Lcg(99);
  const x = g.uniform(4 * 5, -2, 2), w = g.uniform(5 * 3, -1, 1), b = g.uniform(3, -1, 1);
  const x2 = g.uniform(1 * 17, -2, 2), w2 = g.uniform(17 * 3, -1, 1), b2 = g.uniform(3, -1, 1);
  const m = {
    x: g.uniform(4 * 5, -2, 2), W1: g.uniform(5 * 3, -1, 1), b1: g.uniform(3, -0.5, 0.5),
    W2: g.uniform(3 * 4, -1, 1), b2: g.uniform(4, -0.5, 0.5), labels: g.ints(4, 4),
  };
  return { dense: [{ n: 4, i: 5, o: 3, x, w, b }, { n: 1, i: 17, o: 3, x: x2, w: w2, b: b2 }], mlp: m };
}

function denseCases() {
  const { dense, mlp } = denseInputs();
  const out = { dense: [], mlp: null };
  const acts = { linear: (z) => z, relu: tf.relu, softmax: (z) => tf.softmax(z, -1), sigmoid: tf.sigmoid, tanh: tf.tanh };
  for (const d of dense) {
    const x = f32([d.n, d.i], d.x), w = f32([d.i, d.o], d.w), b = f32([d.o], d.b);
    const outputs = {};
    for (const [name, fn] of Object.entries(acts)) {
      // tf.layers.dense with the kernel and bias set is Keras' Dense; checked against x @ W + b.
      const layer = tf.layers.dense({ units: d.o, activation: name, inputShape: [d.i] });
      layer.build([null, d.i]);
      layer.setWeights([w, b]);
      const y = layer.apply(x);
      const ref = fn(tf.add(tf.matMul(x, w), b));
      const diff = tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0];
      if (diff > 1e-6) throw new Error(`dense ${name}: layer and x@W+b differ by ${diff}`);
      outputs[name] = jsonOf(y);
    }
    out.dense.push({
      name: `dense_${d.n}x${d.i}_to_${d.o}`, tfjs_function: 'tf.layers.dense({units, activation}).apply(x)',
      x: jsonOf(x), kernel: jsonOf(w), bias: jsonOf(b), outputs,
    });
  }
  const x = f32([4, 5], mlp.x);
  const params = [f32([5, 3], mlp.W1), f32([3], mlp.b1), f32([3, 4], mlp.W2), f32([4], mlp.b2)];
  const z1 = tf.add(tf.matMul(x, params[0]), params[1]).dataSync();
  for (const v of z1) if (Math.abs(v) < 1e-3) throw new Error('mlp: a hidden pre-activation sits at the relu kink');
  const labels = tf.tensor1d(mlp.labels, 'float32');
  const lossOf = (W1, b1, W2, b2) => {
    const h = tf.relu(tf.add(tf.matMul(x, W1), b1));
    const p = tf.softmax(tf.add(tf.matMul(h, W2), b2), -1);
    return tf.mean(layers.sparse_categorical_crossentropy(labels, p));
  };
  const loss = lossOf(...params).dataSync()[0];
  const grads = tf.grads(lossOf)(params);
  const names = ['W1', 'b1', 'W2', 'b2'];
  out.mlp = {
    name: 'mlp_relu_softmax_sparse_cce',
    model: 'h = relu(x @ W1 + b1); p = softmax(h @ W2 + b2); loss = mean_i sparse_categorical_crossentropy(labels_i, p_i)',
    tfjs_function: 'tf.grads over tf.relu/tf.softmax/tf.matMul and tfjs-layers losses.sparseCategoricalCrossentropy',
    x: jsonOf(x), labels: tensorJson([4], mlp.labels, 'int64'),
    params: Object.fromEntries(names.map((n, i) => [n, jsonOf(params[i])])),
    loss,
    grads: Object.fromEntries(names.map((n, i) => [n, jsonOf(grads[i])])),
  };
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Initializer limits for a (784, 128) kernel (formulas; tfjs samples only checked against them).
// ---------------------------------------------------------------------------------------------
function initializerCases() {
  const fanIn = 784, fanOut = 128;
  const trunc = 0.87962566103423978;  // std of a unit normal truncated to [-2, 2]
  const rows = [
    { name: 'glorot_uniform', distribution: 'uniform', formula: 'limit = sqrt(6 / (fan_in + fan_out))',
      limit: Math.sqrt(6 / (fanIn + fanOut)), tfjs: () => tf.initializers.glorotUniform({ seed: 1 }) },
    { name: 'he_uniform', distribution: 'uniform', formula: 'limit = sqrt(6 / fan_in)',
      limit: Math.sqrt(6 / fanIn), tfjs: () => tf.initializers.heUniform({ seed: 1 }) },
    { name: 'glorot_normal', distribution: 'truncated_normal',
      formula: 'stddev = sqrt(2 / (fan_in + fan_out)) / 0.87962566103423978, truncated at 2 stddev (Keras 3)',
      stddev: Math.sqrt(2 / (fanIn + fanOut)) / trunc, tfjs: () => tf.initializers.glorotNormal({ seed: 1 }),
      tfjs_stddev: Math.sqrt(2 / (fanIn + fanOut)) },
    { name: 'he_normal', distribution: 'truncated_normal',
      formula: 'stddev = sqrt(2 / fan_in) / 0.87962566103423978, truncated at 2 stddev (Keras 3)',
      stddev: Math.sqrt(2 / fanIn) / trunc, tfjs: () => tf.initializers.heNormal({ seed: 1 }),
      tfjs_stddev: Math.sqrt(2 / fanIn) },
  ];
  return rows.map(r => {
    const w = r.tfjs().apply([fanIn, fanOut], 'float32');
    const maxAbs = tf.max(tf.abs(w)).dataSync()[0];
    const bound = r.limit ?? 2 * (r.tfjs_stddev ?? r.stddev);
    if (maxAbs > bound * (1 + 1e-6)) throw new Error(`${r.name}: tfjs sample ${maxAbs} exceeds ${bound}`);
    const out = { name: r.name, shape: [fanIn, fanOut], fan_in: fanIn, fan_out: fanOut,
      distribution: r.distribution, formula: r.formula };
    if (r.limit !== undefined) out.limit = r.limit;
    if (r.stddev !== undefined) {
      out.stddev = r.stddev;
      out.truncation_bound = 2 * r.stddev;
      out.tfjs_stddev_without_truncation_correction = r.tfjs_stddev;
    }
    out.tfjs_sample_max_abs = maxAbs;
    return out;
  });
}

writeJson(here + 'keras_losses.json', { ...header('Keras losses, mean over the batch, and d(mean loss)/d(y_pred)'),
  cases: lossCases() });
writeJson(here + 'keras_optimizers.json', { ...header('Keras optimizers: parameters after each of 5 steps'),
  cases: optimizerCases() });
writeJson(here + 'keras_dense.json', { ...header('Dense forward and a 2-layer MLP gradient'), ...denseCases() });
writeJson(here + 'keras_initializers.json', { ...header('Initializer limits for a (784, 128) kernel'),
  cases: initializerCases() });
