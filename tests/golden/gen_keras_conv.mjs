// Keras semantics of convolution, pooling, batch normalization and image layers from
// TensorFlow.js (CPU backend, float32): TensorFlow's "same" padding split, average pooling that
// leaves padding out, Keras' Conv2DTranspose output size, bilinear resize with half-pixel
// centres, and the BatchNormalization moving update.
// Run: cd tests/golden && node gen_keras_conv.mjs   (writes keras_conv.json beside this file)
import * as tf from '@tensorflow/tfjs';
import { Lcg, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();

const jsonOf = (t) => tensorJson(t.shape, t.dataSync(), t.dtype);
const prod = (s) => s.reduce((a, b) => a * b, 1);
const g = new Lcg(505);
const rand = (shape, lo = -2, hi = 2) => tf.tensor(g.uniform(prod(shape), lo, hi), shape, 'float32');
const ints = (shape, k, shift) => tf.tensor(g.ints(prod(shape), k).map((v) => v - shift), shape, 'float32');

// Output of f and the gradient of sum(f(inputs) * dy) for each input.
function vjp(f, inputs) {
  const y = f(...inputs);
  const dy = rand(y.shape, -1, 1);
  const grads = tf.grads((...xs) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
  return { y, dy, grads };
}

// A Keras layer with the given weights, as a function of its input.
function layerFn(layer, inputShape, weights) {
  layer.apply(tf.zeros(inputShape));  // builds it
  if (weights) layer.setWeights(weights);
  return (x) => layer.apply(x);
}

const out = {
  generator: 'tests/golden/gen_keras_conv.mjs',
  what: 'Keras conv/pooling/batch-norm/image semantics as TensorFlow.js computes them (float32); gradients of sum(y * dy)',
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  dtype: 'float32',
};

// Conv2D "same" with stride 2: TF puts the odd padding pixel at the bottom/right.
out.conv2d = [];
for (const [name, xs, ks, strides, dil] of [
  ['same_stride2_even_3x3', [1, 6, 6, 2], [3, 3, 2, 3], [2, 2], [1, 1]],
  ['same_stride2_odd_2x4', [2, 5, 7, 3], [2, 4, 3, 2], [2, 2], [1, 1]],
  ['same_dilation2', [1, 5, 6, 2], [3, 3, 2, 2], [1, 1], [2, 2]],
]) {
  const x = rand(xs), k = rand(ks, -1, 1), b = rand([ks[3]], -1, 1);
  const f = (x, k, b) => tf.add(tf.conv2d(x, k, strides, 'same', 'NHWC', dil), b);
  const c = { name, strides, padding: 'same', dilation_rate: dil, tfjs_function: "tf.conv2d(x, k, strides, 'same', 'NHWC', dil) + b",
    x: jsonOf(x), kernel: jsonOf(k), bias: jsonOf(b) };
  if (dil[0] > 1) {
    // tfjs has no gradient for dilated convolutions: the forward values only.
    out.conv2d.push({ ...c, y: jsonOf(f(x, k, b)) });
    continue;
  }
  const { y, dy, grads } = vjp(f, [x, k, b]);
  out.conv2d.push({ ...c, dy: jsonOf(dy), y: jsonOf(y), dx: jsonOf(grads[0]), dkernel: jsonOf(grads[1]), dbias: jsonOf(grads[2]) });
}

// DepthwiseConv2D (multiplier 2, "same", stride 2): channel order c * m + j.
out.depthwise_conv2d = [];
{
  const x = rand([1, 5, 6, 3]), k = rand([3, 3, 3, 2], -1, 1), b = rand([6], -1, 1);
  const layer = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' });
  const f = layerFn(layer, [1, 5, 6, 3], [k, b]);
  const { y, dy, grads } = vjp(f, [x]);
  out.depthwise_conv2d.push({ name: 'same_m2_stride2', strides: [2, 2], padding: 'same', dilation_rate: [1, 1],
    tfjs_function: "tf.layers.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same'})",
    x: jsonOf(x), kernel: jsonOf(k), bias: jsonOf(b), dy: jsonOf(dy), y: jsonOf(y), dx: jsonOf(grads[0]) });
}

// Conv1D "causal" as Keras implements it (keras/src/layers/convolutional/base_conv.py pads the
// start with dilation * (kernel - 1) steps, then runs a "valid" convolution); tfjs-layers has no
// causal mode, so the same two steps in tfjs ops.
out.conv1d = [];
{
  const x = rand([2, 6, 2]), k = rand([3, 2, 3], -1, 1), b = rand([3], -1, 1);
  const f = (x) => tf.add(tf.conv1d(tf.pad(x, [[0, 0], [2, 0], [0, 0]]), k, 1, 'valid'), b);
  const { y, dy, grads } = vjp(f, [x]);
  out.conv1d.push({ name: 'causal_k3', strides: 1, padding: 'causal', dilation_rate: 1,
    tfjs_function: "tf.conv1d(tf.pad(x, [[0, 0], [2, 0], [0, 0]]), k, 1, 'valid') + b",
    x: jsonOf(x), kernel: jsonOf(k), bias: jsonOf(b), dy: jsonOf(dy), y: jsonOf(y), dx: jsonOf(grads[0]) });
}

// Conv2DTranspose: Keras' output size (in * stride [+ max(kernel - stride, 0) for "valid"]).
out.conv2d_transpose = [];
for (const [name, xs, ks, strides, padding] of [
  ['valid_stride2_k3', [1, 3, 2, 2], [3, 3, 3, 2], [2, 2], 'valid'],
  ['same_stride2_k3', [2, 3, 3, 2], [3, 3, 2, 2], [2, 2], 'same'],
  ['valid_stride3_k2', [1, 2, 3, 1], [2, 2, 2, 1], [3, 3], 'valid'],
]) {
  const x = rand(xs), k = rand(ks, -1, 1), b = rand([ks[2]], -1, 1);
  const layer = tf.layers.conv2dTranspose({ filters: ks[2], kernelSize: [ks[0], ks[1]], strides, padding });
  const f = layerFn(layer, xs, [k, b]);
  const { y, dy, grads } = vjp(f, [x]);
  out.conv2d_transpose.push({ name, strides, padding, dilation_rate: [1, 1],
    tfjs_function: `tf.layers.conv2dTranspose({filters: ${ks[2]}, kernelSize: [${ks[0]}, ${ks[1]}], strides: [${strides}], padding: '${padding}'})`,
    x: jsonOf(x), kernel: jsonOf(k), bias: jsonOf(b), dy: jsonOf(dy), y: jsonOf(y), dx: jsonOf(grads[0]) });
}

// Pooling with "same" padding: average over the taps inside the input; max gradient to the first maximum.
out.pooling = [];
for (const [name, xs, pool, strides, padding] of [
  ['same_3x3_stride2', [1, 5, 6, 2], [3, 3], [2, 2], 'same'],
  ['same_2x2_stride1', [2, 3, 4, 1], [2, 2], [1, 1], 'same'],
  ['valid_2x3_stride_2x1', [1, 5, 5, 3], [2, 3], [2, 1], 'valid'],
]) {
  const x = ints(xs, 5, 2);  // integers: windows hold ties
  const m = vjp((x) => tf.maxPool(x, pool, strides, padding), [x]);
  const a = vjp((x) => tf.avgPool(x, pool, strides, padding), [x]);
  out.pooling.push({ name, pool_size: pool, strides, padding, tfjs_function: 'tf.maxPool / tf.avgPool(x, pool, strides, padding)',
    x: jsonOf(x), max: { dy: jsonOf(m.dy), y: jsonOf(m.y), dx: jsonOf(m.grads[0]) },
    // tfjs 4.22's AvgPoolGrad divides by the full window even where its forward pass left the
    // padding out (TensorFlow divides by the taps inside), so its "same" gradient is not Keras':
    // kept for "valid" only (torch_pooling.json has the "same" gradients).
    avg: padding === 'valid' ? { dy: jsonOf(a.dy), y: jsonOf(a.y), dx: jsonOf(a.grads[0]) } : { y: jsonOf(a.y) } });
}

// Bilinear resize as Keras' Resizing layer: tf.image.resize(..., "bilinear") = ResizeBilinear
// with half_pixel_centers=True, align_corners=False.
out.resize_bilinear = [];
for (const [name, xs, size] of [['up_3x4_to_5x7', [1, 3, 4, 2], [5, 7]], ['down_7x5_to_3x2', [2, 7, 5, 1], [3, 2]]]) {
  // Forward only: tfjs 4.22's ResizeBilinear gradient returns a transposed shape for non-square
  // images (torch_image.json has the gradient).
  const x = rand(xs);
  out.resize_bilinear.push({ name, size, tfjs_function: 'tf.image.resizeBilinear(x, size, alignCorners=false, halfPixelCenters=true)',
    x: jsonOf(x), y: jsonOf(tf.image.resizeBilinear(x, size, false, true)) });
}

// UpSampling2D and ZeroPadding2D layers.
{
  const x = rand([1, 2, 3, 2]);
  const up = layerFn(tf.layers.upSampling2d({ size: [2, 3] }), [1, 2, 3, 2]);
  const pad = layerFn(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), [1, 2, 3, 2]);
  out.upsampling2d = { size: [2, 3], tfjs_function: 'tf.layers.upSampling2d({size: [2, 3]})', x: jsonOf(x), y: jsonOf(up(x)) };
  out.zero_padding2d = { padding: [[1, 2], [0, 3]], tfjs_function: 'tf.layers.zeroPadding2d({padding: [[1, 2], [0, 3]]})',
    x: jsonOf(x), y: jsonOf(pad(x)) };
}

// BatchNormalization: one training call (batch statistics, moving update), then inference.
{
  const x = rand([4, 2, 3, 5], 1, 5), gamma = rand([5], 0.5, 2), beta = rand([5], -1, 1);
  const mm = rand([5], -1, 1), mv = rand([5], 1, 3);
  const layer = tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 });
  layer.apply(tf.zeros([4, 2, 3, 5]));
  layer.setWeights([gamma, beta, mm, mv]);
  const train = layer.apply(x, { training: true });
  const [, , mmAfter, mvAfter] = layer.getWeights();
  const infer = layer.apply(x, { training: false });  // with the updated moving statistics
  out.batch_norm = { axis: -1, momentum: 0.99, epsilon: 1e-3,
    tfjs_function: 'tf.layers.batchNormalization({axis: -1, momentum: 0.99, epsilon: 1e-3}), apply(x, {training: true}) then {training: false}',
    moving_update: 'tfjs: moving - (moving - batch) * (1 - momentum); Keras 3: moving * momentum + batch * (1 - momentum); batch variance biased in both',
    x: jsonOf(x), gamma: jsonOf(gamma), beta: jsonOf(beta), moving_mean: jsonOf(mm), moving_variance: jsonOf(mv),
    training_y: jsonOf(train), moving_mean_after: jsonOf(mmAfter), moving_variance_after: jsonOf(mvAfter),
    inference_y_after: jsonOf(infer) };
}

writeJson(new URL('keras_conv.json', import.meta.url).pathname, out);
