// Keras Functional semantics from TensorFlow.js (tfjs-layers implements Keras' Container: the
// same graph walk, layer order, node indexing and Keras-2 config form as tf.keras).
// Run: cd tests/golden && node gen_keras_functional.mjs   (writes keras_functional.json)
//
// The model has two inputs, two outputs, a residual Add, a Concatenate, a layer called twice
// (shared weights) and a nested Sequential, so the config exercises every node form:
//   a [N,4], b [N,3]
//   shared = Dense(4, tanh) ; h1 = shared(a) ; h2 = shared(Dense(4)(b))       (node 0 and node 1)
//   r = Add()([h1, a]) ; c = Concatenate()([r, h2])
//   inner = Sequential([Dense(5, relu), Dense(2)]) ; out1 = inner(c)
//   out2 = Dense(1, sigmoid)(Multiply()([h1, h2]))
import * as tf from '@tensorflow/tfjs';
import { Lcg, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();
const here = new URL('.', import.meta.url).pathname;
const g = new Lcg(901);

const a = tf.input({ shape: [4], name: 'a' });
const b = tf.input({ shape: [3], name: 'b' });
const shared = tf.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
const h1 = shared.apply(a);
const pb = tf.layers.dense({ units: 4, name: 'project_b' }).apply(b);
const h2 = shared.apply(pb);
const r = tf.layers.add({ name: 'residual' }).apply([h1, a]);
const c = tf.layers.concatenate({ name: 'concat' }).apply([r, h2]);
const inner = tf.sequential({
  name: 'inner',
  layers: [tf.layers.dense({ units: 5, activation: 'relu', inputShape: [8], name: 'inner_dense' }),
           tf.layers.dense({ units: 2, name: 'inner_out' })],
});
const out1 = inner.apply(c);
const m = tf.layers.multiply({ name: 'gate' }).apply([h1, h2]);
const out2 = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'score' }).apply(m);
const model = tf.model({ inputs: [a, b], outputs: [out1, out2], name: 'two_heads' });

// Weights from the LCG, in model.weights order (the order Keras' get_weights gives).
const weights = [];
for (const w of model.weights) {
  const n = w.shape.reduce((x, y) => x * y, 1);
  const v = tf.tensor(g.uniform(n, -1, 1), w.shape);
  w.write(v);
  weights.push({ name: w.name, ...tensorJson(w.shape, v.dataSync(), 'float32') });
}
const xa = tf.tensor(g.uniform(5 * 4, -2, 2), [5, 4]);
const xb = tf.tensor(g.uniform(5 * 3, -2, 2), [5, 3]);
const [y1, y2] = model.predict([xa, xb]);

writeJson(here + 'keras_functional.json', {
  generator: 'tests/golden/gen_keras_functional.mjs',
  what: 'A two-input, two-output Functional model (shared layer, Add, Concatenate, Multiply, nested Sequential)',
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  dtype: 'float32',
  layer_order: model.layers.map(l => l.name),
  model_config: model.toJSON(null, false),
  weights,
  x_a: tensorJson(xa.shape, xa.dataSync(), 'float32'),
  x_b: tensorJson(xb.shape, xb.dataSync(), 'float32'),
  y_1: tensorJson(y1.shape, y1.dataSync(), 'float32'),
  y_2: tensorJson(y2.shape, y2.dataSync(), 'float32'),
});
