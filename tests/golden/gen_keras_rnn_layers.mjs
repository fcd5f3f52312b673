// Keras-semantics golden numbers for the recurrent *layers* (nn/recurrent_layers.hpp,
// nn/bidirectional.hpp, nn/embedding.hpp, nn/sequence_layers.hpp) from TensorFlow.js layers
// (CPU backend, float32): Embedding(mask_zero) and Masking feeding LSTM / GRU / SimpleRNN,
// Keras 2's hard_sigmoid, go_backwards, return_state, Bidirectional in every merge mode,
// TimeDistributed and RepeatVector.
// Run: cd tests/golden && npm ci && node gen_keras_rnn_layers.mjs   (writes keras_rnn_layers.json)
//
// Each case is a stack of layers given twice: as Keras 2 layer configs (what the C++ test builds
// through the registry, reading "hard_sigmoid" as a Keras 2 file means it) and as the tfjs calls
// here, joined into a tfjs model (masks flow only inside models). Weights are drawn here and set in Keras' order; the outputs of the last layer (all of
// them with return_state) are recorded, and the gradients of loss = sum_i sum(out_i * w_i) with
// respect to every weight (and to x when x is float).
// tfjs repeats the previous state at a masked step and never zeroes masked outputs, where Keras'
// Bidirectional with return_sequences outputs zeros there (it forces zero_output_for_mask): for
// such a case `compare_mask` marks the steps where the two must agree (the C++ test checks the
// others are zero, as Keras' source says). Initial states are zeros, where tfjs and TensorFlow's
// Keras agree on masked steps.
import * as tf from '@tensorflow/tfjs';
import { Lcg, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();
const here = new URL('.', import.meta.url).pathname;

const f32 = (shape, values) => tf.tensor(values, shape, 'float32');
const jsonOf = (t) => tensorJson(t.shape, t.dataSync(), 'float32');
const prod = (shape) => shape.reduce((a, b) => a * b, 1);

// Keras 2 configs (snake_case) for the C++ side.
const kLstm = (units, kw = {}) => ({ class_name: 'LSTM', config: { units, ...kw } });
const kGru = (units, kw = {}) => ({ class_name: 'GRU', config: { units, reset_after: false, ...kw } });
const kRnn = (units, kw = {}) => ({ class_name: 'SimpleRNN', config: { units, ...kw } });
const kBi = (layer, mergeMode) => ({ class_name: 'Bidirectional', config: { layer, merge_mode: mergeMode } });

// tfjs' LSTM and GRU default to Keras 2.1's recurrent activation hard_sigmoid; the Keras configs
// here (and TF 2's Keras) default to sigmoid, so tfjs is told.
const tLstm = (o) => tf.layers.lstm({ recurrentActivation: 'sigmoid', ...o });
const tGru = (o) => tf.layers.gru({ recurrentActivation: 'sigmoid', ...o });

function runCase(name, g, { x, ids = false, keras, build, compareMask = null }) {
  const layers = build();
  // A symbolic graph: tfjs propagates masks between layers only inside a model, not between
  // eager layer calls.
  const input = tf.input({ shape: x.shape.slice(1) });
  let h = input;
  for (const l of layers) h = l.apply(h);
  const model = tf.model({ inputs: input, outputs: h });
  const weights = [];
  for (const l of layers) {
    const ws = l.getWeights().map((w) => f32(w.shape, g.uniform(prod(w.shape), -1, 1).map((v) => v * 0.6)));
    l.setWeights(ws);
    weights.push(...ws);
  }
  const forward = (xx) => {
    const y = model.apply(xx);
    return Array.isArray(y) ? y : [y];
  };
  const outs = forward(x);
  const w = outs.map((o) => f32(o.shape, g.uniform(prod(o.shape), -1, 1)));
  // Where tfjs and Keras differ (masked steps), the loss weights are zero: the gradients agree.
  if (compareMask) w[0] = tf.mul(w[0], f32([outs[0].shape[0], outs[0].shape[1], 1], compareMask));
  const lossOf = (xx) => outs.length && forward(xx).reduce((acc, o, i) => tf.add(acc, tf.sum(tf.mul(o, w[i]))), tf.scalar(0));
  const vars = layers.flatMap((l) => l.trainableWeights.map((v) => v.read()));
  const { grads } = tf.variableGrads(() => lossOf(x));
  const weightGrads = layers.flatMap((l) => l.trainableWeights.map((v) => jsonOf(grads[v.originalName ?? v.name])));
  if (weightGrads.length !== vars.length) throw new Error(`${name}: a weight got no gradient`);
  const out = {
    name, layers: keras, x: ids ? tensorJson(x.shape, x.dataSync(), 'int64') : jsonOf(x),
    weights: weights.map(jsonOf), w_outputs: w.map(jsonOf), outputs: outs.map(jsonOf), grads: { weights: weightGrads },
  };
  // tfjs has no gradient for Masking's `any`: x gets gradients only without Masking.
  if (!ids && keras[0].class_name !== 'Masking') out.grads.x = jsonOf(tf.grad((xx) => lossOf(xx))(x));
  if (compareMask) out.compare_mask = tensorJson([compareMask.length], compareMask, 'float32');
  return out;
}

const g = new Lcg(2311);
const floats = (shape, zeroSteps = null) => {
  let x = f32(shape, g.uniform(prod(shape), -2, 2));
  if (zeroSteps) x = tf.mul(x, f32([shape[0], shape[1], 1], zeroSteps.map((z) => 1 - z)));
  return x;
};
// Step masks: 1 = zeroed (masked). Rows: trailing padding, leading padding, holes.
const post = [0, 0, 0, 1, 1];
const pre = [1, 1, 0, 0, 0];
const holes = [0, 1, 0, 1, 0];
const cases = [];

// Embedding(mask_zero) -> LSTM with Keras 2's hard_sigmoid, sequences out.
{
  const ids = f32([3, 5], [4, 2, 5, 0, 0, 0, 0, 1, 3, 5, 2, 0, 4, 0, 1]);
  cases.push(runCase('embedding_mask_zero_lstm_hard_sigmoid_seq', g, {
    x: ids, ids: true,
    keras: [{ class_name: 'Embedding', config: { input_dim: 6, output_dim: 3, mask_zero: true } },
      kLstm(4, { recurrent_activation: 'hard_sigmoid', return_sequences: true })],
    build: () => [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }),
      tLstm({ units: 4, recurrentActivation: 'hardSigmoid', returnSequences: true })],
  }));
}
// Masking -> SimpleRNN with return_state.
cases.push(runCase('masking_simple_rnn_return_state', g, {
  x: floats([3, 5, 2], [...post, ...pre, ...holes]),
  keras: [{ class_name: 'Masking', config: { mask_value: 0 } }, kRnn(5, { return_state: true })],
  build: () => [tf.layers.masking({ maskValue: 0 }), tf.layers.simpleRNN({ units: 5, returnState: true })],
}));
// Masking -> GRU (reset_after=False, tfjs' only form), backwards, sequences and state.
cases.push(runCase('masking_gru_reset_before_backwards_seq_state', g, {
  x: floats([3, 5, 2], [...holes, ...post, ...pre]),
  keras: [{ class_name: 'Masking', config: { mask_value: 0 } },
    kGru(3, { go_backwards: true, return_sequences: true, return_state: true })],
  build: () => [tf.layers.masking({ maskValue: 0 }),
    tGru({ units: 3, resetAfter: false, goBackwards: true, returnSequences: true, returnState: true })],
}));
// LSTM with return_state and go_backwards (both states out).
cases.push(runCase('lstm_backwards_return_state', g, {
  x: floats([2, 4, 3]),
  keras: [kLstm(3, { go_backwards: true, return_state: true })],
  build: () => [tLstm({ units: 3, goBackwards: true, returnState: true })],
}));
// Bidirectional LSTM, sequences, every merge mode.
for (const mode of ['concat', 'sum', 'mul', 'ave']) {
  cases.push(runCase(`bidirectional_lstm_seq_${mode}`, g, {
    x: floats([2, 4, 3]),
    keras: [kBi(kLstm(3, { return_sequences: true }), mode)],
    build: () => [tf.layers.bidirectional({ layer: tLstm({ units: 3, returnSequences: true }), mergeMode: mode })],
  }));
}
// Bidirectional GRU, merge None, with states: outputs y, y_rev, h_forward, h_backward.
cases.push(runCase('bidirectional_gru_none_return_state', g, {
  x: floats([2, 4, 3]),
  keras: [kBi(kGru(3, { return_state: true }), null)],
  build: () => [tf.layers.bidirectional({ layer: tGru({ units: 3, resetAfter: false, returnState: true }), mergeMode: null })],
}));
// Masked Bidirectional: the last output (exact), and sequences (compared where not masked).
cases.push(runCase('masking_bidirectional_simple_rnn_last_concat', g, {
  x: floats([3, 5, 2], [...pre, ...holes, ...post]),
  keras: [{ class_name: 'Masking', config: { mask_value: 0 } }, kBi(kRnn(4), 'concat')],
  build: () => [tf.layers.masking({ maskValue: 0 }), tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4 }), mergeMode: 'concat' })],
}));
{
  const steps = [...post, ...pre, ...holes];
  cases.push(runCase('masking_bidirectional_lstm_seq_concat', g, {
    x: floats([3, 5, 2], steps),
    keras: [{ class_name: 'Masking', config: { mask_value: 0 } }, kBi(kLstm(3, { return_sequences: true }), 'concat')],
    build: () => [tf.layers.masking({ maskValue: 0 }),
      tf.layers.bidirectional({ layer: tLstm({ units: 3, returnSequences: true }), mergeMode: 'concat' })],
    compareMask: steps.map((z) => 1 - z),
  }));
}
// RepeatVector -> TimeDistributed(Dense).
cases.push(runCase('repeat_vector_time_distributed_dense', g, {
  x: floats([2, 3]),
  keras: [{ class_name: 'RepeatVector', config: { n: 4 } },
    { class_name: 'TimeDistributed', config: { layer: { class_name: 'Dense', config: { units: 2, activation: 'tanh' } } } }],
  build: () => [tf.layers.repeatVector({ n: 4 }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'tanh' }) })],
}));

writeJson(`${here}keras_rnn_layers.json`, {
  generator: 'tests/golden/gen_keras_rnn_layers.mjs',
  what: 'tf.layers recurrent stacks: last layer outputs and loss gradients (weights, float x)',
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  dtype: 'float32',
  cases,
});
