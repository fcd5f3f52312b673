// Keras-semantics golden numbers for the recurrent ops from TensorFlow.js (CPU backend, float32).
// Run: cd tests/golden && npm ci && node gen_keras_rnn.mjs   (writes keras_rnn.json; see README.md)
//
// Each case builds tf.layers.lstm / gru / simpleRNN with returnState, sets its weights, and calls it
// on x with the initial state and the mask given as call arguments. Masks come from
// tf.layers.masking({maskValue: 0}).computeMask(x): masked steps are rows of zeros in x. Gradients
// are those of loss = sum(outputs * w_outputs) + sum(h * w_h) (+ sum(c * w_c) for LSTM), by tf.grads
// for x, h0, c0 and tf.variableGrads for the layer's weights.
// tfjs' GRU has no reset_after=True (it throws), so only reset_after=False is here; its
// hardSigmoid is Keras 2's, clip(0.2 x + 0.5, 0, 1). tfjs repeats the previous state at a masked
// step where TensorFlow's Keras repeats the previous output (zeros before the first taken step):
// the masked cases here start from a zero state, where the two agree.
import * as tf from '@tensorflow/tfjs';
import { Lcg, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();
const here = new URL('.', import.meta.url).pathname;

const f32 = (shape, values) => tf.tensor(values, shape, 'float32');
const jsonOf = (t) => tensorJson(t.shape, t.dataSync(), 'float32');
const prod = (shape) => shape.reduce((a, b) => a * b, 1);
const gateWidth = (cell, u) => ({ lstm: 4 * u, gru: 3 * u, simple_rnn: u })[cell];
const tfjsActivation = { sigmoid: 'sigmoid', tanh: 'tanh', hard_sigmoid: 'hardSigmoid', relu: 'relu', linear: 'linear' };

function makeLayer(c, u) {
  const common = {
    units: u, returnSequences: c.return_sequences, returnState: true, goBackwards: c.go_backwards,
    activation: tfjsActivation[c.activation], useBias: c.use_bias,
  };
  if (c.cell === 'lstm') return tf.layers.lstm({ ...common, recurrentActivation: tfjsActivation[c.recurrent_activation] });
  if (c.cell === 'gru') return tf.layers.gru({ ...common, recurrentActivation: tfjsActivation[c.recurrent_activation], resetAfter: false });
  return tf.layers.simpleRNN(common);
}

function runCase(c, g, [n, steps, f, u], { zeroSteps = null, initialState = true } = {}) {
  const gw = gateWidth(c.cell, u);
  const uni = (shape, lo, hi, scale = 1) => f32(shape, g.uniform(prod(shape), lo, hi).map((v) => v * scale));
  let x = uni([n, steps, f], -2, 2);
  if (zeroSteps) {
    // zeroSteps[b * steps + t] = 1 zeroes that time step: tf.layers.masking masks it.
    x = tf.mul(x, f32([n, steps, 1], zeroSteps.map((z) => 1 - z)));
  }
  const kernel = uni([f, gw], -1, 1, 0.5);
  const recurrentKernel = uni([u, gw], -1, 1, 0.5);
  const bias = c.use_bias ? uni([gw], -1, 1, 0.5) : null;
  const h0 = initialState ? uni([n, u], -1, 1) : tf.zeros([n, u]);
  const c0 = c.cell === 'lstm' ? (initialState ? uni([n, u], -1, 1) : tf.zeros([n, u])) : null;
  const outShape = c.return_sequences ? [n, steps, u] : [n, u];
  const wOut = uni(outShape, -1, 1);
  const wH = uni([n, u], -1, 1);
  const wC = c.cell === 'lstm' ? uni([n, u], -1, 1) : null;
  const mask = zeroSteps ? tf.layers.masking({ maskValue: 0 }).computeMask(x) : null;

  const layer = makeLayer(c, u);
  layer.build([n, steps, f]);
  layer.setWeights(bias ? [kernel, recurrentKernel, bias] : [kernel, recurrentKernel]);
  const states = (h, cc) => (c.cell === 'lstm' ? [h, cc] : [h]);
  const lossOf = (xx, h, cc) => {
    const res = layer.call(xx, { initialState: states(h, cc), mask });
    let loss = tf.add(tf.sum(tf.mul(res[0], wOut)), tf.sum(tf.mul(res[1], wH)));
    if (c.cell === 'lstm') loss = tf.add(loss, tf.sum(tf.mul(res[2], wC)));
    return { res, loss };
  };
  const { res } = lossOf(x, h0, c0);
  // tfjs 4.22 cannot differentiate a one-step RNN (the gradient of its unstack throws): such
  // cases keep forward values only.
  const withGrads = steps > 1;
  const inputs = c.cell === 'lstm' ? [x, h0, c0] : [x, h0];
  const inputGrads = withGrads ? tf.grads((...a) => lossOf(a[0], a[1], a[2]).loss)(inputs) : null;
  const weights = layer.trainableWeights.map((w) => w.read());
  const wg = withGrads ? Object.values(tf.variableGrads(() => lossOf(x, h0, c0).loss, weights).grads) : null;
  if (withGrads && wg.length !== weights.length) throw new Error(`${c.name}: a weight got no gradient`);

  const out = { ...c, source: `tfjs ${tf.layers[c.cell === 'simple_rnn' ? 'simpleRNN' : c.cell].name}` };
  delete out.use_bias;
  Object.assign(out, { x: jsonOf(x), kernel: jsonOf(kernel), recurrent_kernel: jsonOf(recurrentKernel) });
  if (bias) out.bias = jsonOf(bias);
  if (initialState) {
    out.h0 = jsonOf(h0);
    if (c0) out.c0 = jsonOf(c0);
  }
  if (mask) out.mask = tensorJson([n, steps], mask.cast('float32').dataSync(), 'float32');
  out.w_outputs = jsonOf(wOut);
  out.w_h = jsonOf(wH);
  if (wC) out.w_c = jsonOf(wC);
  out.outputs = jsonOf(res[0]);
  out.h = jsonOf(res[1]);
  if (c.cell === 'lstm') out.c = jsonOf(res[2]);
  if (!withGrads) return out;
  out.grads = { x: jsonOf(inputGrads[0]), kernel: jsonOf(wg[0]), recurrent_kernel: jsonOf(wg[1]) };
  if (bias) out.grads.bias = jsonOf(wg[2]);
  if (initialState) {
    out.grads.h0 = jsonOf(inputGrads[1]);
    if (c.cell === 'lstm') out.grads.c0 = jsonOf(inputGrads[2]);
  }
  return out;
}

const base = (name, cell, kw = {}) => ({
  name, cell, activation: 'tanh', recurrent_activation: 'sigmoid', go_backwards: false, return_sequences: false,
  zero_output_for_mask: false, ...(cell === 'gru' ? { reset_after: false } : {}), use_bias: true, ...kw,
});

const g = new Lcg(1107);
const pre = [1, 1, 0, 0, 0]; // 1 = zeroed (masked): leading masked steps
const post = [0, 0, 0, 1, 1];
const holes = [0, 1, 0, 1, 0];
const all = [1, 1, 1, 1, 1];
const cases = [
  runCase(base('lstm_seq_3x5x4_u3', 'lstm', { return_sequences: true }), g, [3, 5, 4, 3]),
  runCase(base('lstm_hard_sigmoid_backwards_1x5x2_u17', 'lstm', { recurrent_activation: 'hard_sigmoid', go_backwards: true }), g, [1, 5, 2, 17]),
  runCase(base('lstm_last_1x1x3_u1', 'lstm'), g, [1, 1, 3, 1]),
  runCase(base('lstm_masked_seq_3x5x3_u3', 'lstm', { return_sequences: true }), g, [3, 5, 3, 3],
    { zeroSteps: [...pre, ...holes, ...all], initialState: false }),
  runCase(base('lstm_masked_last_backwards_3x5x3_u1', 'lstm', { go_backwards: true }), g, [3, 5, 3, 1],
    { zeroSteps: [...post, ...pre, ...holes], initialState: false }),
  runCase(base('gru_reset_before_seq_3x5x4_u3', 'gru', { return_sequences: true }), g, [3, 5, 4, 3]),
  runCase(base('gru_reset_before_hard_sigmoid_masked_backwards_3x5x2_u17', 'gru',
    { recurrent_activation: 'hard_sigmoid', go_backwards: true, return_sequences: true }), g, [3, 5, 2, 17],
  { zeroSteps: [...holes, ...pre, ...post], initialState: false }),
  runCase(base('gru_reset_before_nobias_1x1x2_u1', 'gru', { use_bias: false }), g, [1, 1, 2, 1]),
  runCase(base('simple_rnn_seq_3x5x4_u3', 'simple_rnn', { return_sequences: true }), g, [3, 5, 4, 3]),
  runCase(base('simple_rnn_masked_backwards_3x5x3_u17', 'simple_rnn', { go_backwards: true }), g, [3, 5, 3, 17],
    { zeroSteps: [...pre, ...post, ...holes], initialState: false }),
  runCase(base('simple_rnn_relu_last_1x5x2_u3', 'simple_rnn', { activation: 'relu' }), g, [1, 5, 2, 3]),
];

writeJson(`${here}keras_rnn.json`, {
  generator: 'tests/golden/gen_keras_rnn.mjs',
  what: 'tf.layers.lstm/gru/simpleRNN outputs, final states and loss gradients',
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  dtype: 'float32',
  cases,
});
