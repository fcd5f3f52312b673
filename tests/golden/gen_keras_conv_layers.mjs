// Keras layers of the convolutional family as TensorFlow.js builds them from a Keras config
// (tfjs-layers is Google's independent implementation of Keras' layers), with fixed weights and
// inputs: the C++ test builds the same layer from `keras_config` through tapegrad's registry,
// sets `weights` in Keras' order and compares the output (inference mode unless `training`).
// Run: cd tests/golden && node gen_keras_conv_layers.mjs   (writes keras_conv_layers.json)
import * as tf from '@tensorflow/tfjs';
import { Lcg, tensorJson, writeJson } from './common.mjs';

await tf.setBackend('cpu');
await tf.ready();

const jsonOf = (t) => tensorJson(t.shape, t.dataSync(), t.dtype);
const prod = (s) => s.reduce((a, b) => a * b, 1);
const g = new Lcg(1010);
const rand = (shape, lo = -2, hi = 2) => tf.tensor(g.uniform(prod(shape), lo, hi), shape, 'float32');

// [class, Keras config (snake_case, as a file holds it), tfjs factory and args, input shape, weight ranges]
const cases = [
  ['Conv2D', { filters: 3, kernel_size: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu' },
    () => tf.layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu' }), [2, 5, 6, 2]],
  ['Conv2D', { filters: 2, kernel_size: 3, dilation_rate: 2, data_format: 'channels_first', use_bias: true },
    () => tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, dataFormat: 'channelsFirst' }), [1, 2, 7, 6]],
  ['Conv2D', { filters: 4, kernel_size: [1, 1], use_bias: false, activation: 'tanh' },
    () => tf.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, activation: 'tanh' }), [2, 3, 3, 5]],
  ['Conv1D', { filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' },
    () => tf.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), [2, 7, 2]],
  ['Conv1D', { filters: 2, kernel_size: 2, dilation_rate: 2, padding: 'valid' },
    () => tf.layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 2, padding: 'valid' }), [1, 6, 3]],  // tfjs-layers has no causal Conv1D (keras_conv.json checks it through tfjs ops)
  ['DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same' },
    () => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }), [1, 5, 5, 3]],
  ['DepthwiseConv2D', { kernel_size: [2, 3], use_bias: false, activation: 'relu' },
    () => tf.layers.depthwiseConv2d({ kernelSize: [2, 3], useBias: false, activation: 'relu' }), [2, 4, 5, 2]],
  ['SeparableConv2D', { filters: 4, kernel_size: 3, depth_multiplier: 2, activation: 'relu' },
    () => tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, activation: 'relu' }), [1, 5, 6, 2]],
  ['SeparableConv2D', { filters: 3, kernel_size: 2, strides: 2, padding: 'same' },
    () => tf.layers.separableConv2d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same' }), [2, 5, 5, 3]],
  ['Conv2DTranspose', { filters: 3, kernel_size: 3, strides: 2, padding: 'same' },
    () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), [1, 3, 4, 2]],
  ['Conv2DTranspose', { filters: 2, kernel_size: [3, 2], strides: [2, 3], padding: 'valid', activation: 'sigmoid' },
    () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [2, 3], padding: 'valid', activation: 'sigmoid' }), [2, 2, 3, 3]],
  ['MaxPooling2D', { pool_size: [3, 2], strides: [2, 2], padding: 'same' },
    () => tf.layers.maxPooling2d({ poolSize: [3, 2], strides: [2, 2], padding: 'same' }), [2, 5, 6, 3]],
  ['MaxPooling2D', { pool_size: [2, 2], data_format: 'channels_first' },
    () => tf.layers.maxPooling2d({ poolSize: 2, dataFormat: 'channelsFirst' }), [1, 2, 5, 4]],
  ['AveragePooling2D', { pool_size: [3, 3], strides: [2, 2], padding: 'same' },
    () => tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), [1, 5, 6, 2]],
  ['AveragePooling2D', { pool_size: [8, 8], padding: 'valid' },
    () => tf.layers.averagePooling2d({ poolSize: 8, padding: 'valid' }), [1, 8, 8, 3]],
  ['MaxPooling1D', { pool_size: [3], strides: [2], padding: 'valid' },
    () => tf.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'valid' }), [2, 7, 2]],
  ['AveragePooling1D', { pool_size: 2, padding: 'same' },
    () => tf.layers.averagePooling1d({ poolSize: 2, padding: 'same' }), [1, 5, 3]],
  ['GlobalAveragePooling2D', {}, () => tf.layers.globalAveragePooling2d({}), [2, 3, 4, 5]],
  ['GlobalAveragePooling2D', { data_format: 'channels_first' },
    () => tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }), [2, 3, 4, 5]],
  ['GlobalMaxPooling2D', {}, () => tf.layers.globalMaxPooling2d({}), [2, 3, 4, 5]],
  ['GlobalAveragePooling1D', {}, () => tf.layers.globalAveragePooling1d({}), [2, 6, 3]],
  ['GlobalMaxPooling1D', {}, () => tf.layers.globalMaxPooling1d({}), [2, 6, 3]],
  ['BatchNormalization', { axis: -1, epsilon: 0.001, scale: false }, () => tf.layers.batchNormalization({ axis: -1, epsilon: 0.001, scale: false }), [2, 3, 3, 4]],
  // tfjs 4.22 broadcasts gamma wrongly for a middle axis of a 3-D input (test_conv_layers checks
  // axis 1 against the formula instead): the list form of the axis on the last one here.
  ['BatchNormalization', { axis: [2], epsilon: 0.01, center: false },
    () => tf.layers.batchNormalization({ axis: 2, epsilon: 0.01, center: false }), [3, 4, 2]],
  ['BatchNormalization', { axis: 3, momentum: 0.9 },  // tfjs cannot train with scale or center off
    () => tf.layers.batchNormalization({ axis: 3, momentum: 0.9 }), [4, 2, 3, 3], 'training'],
  ['Reshape', { target_shape: [3, -1] }, () => tf.layers.reshape({ targetShape: [3, -1] }), [2, 2, 6]],
  ['ZeroPadding2D', { padding: [[1, 0], [2, 1]] }, () => tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), [1, 3, 2, 2]],
  ['ZeroPadding2D', { padding: 1, data_format: 'channels_first' },
    () => tf.layers.zeroPadding2d({ padding: 1, dataFormat: 'channelsFirst' }), [1, 2, 3, 2]],
  ['Cropping2D', { cropping: [[1, 0], [0, 2]] }, () => tf.layers.cropping2D({ cropping: [[1, 0], [0, 2]] }), [2, 4, 5, 2]],
  ['UpSampling2D', { size: [2, 3] }, () => tf.layers.upSampling2d({ size: [2, 3] }), [1, 2, 3, 2]],
  // tfjs-layers' bilinear UpSampling2D and Resizing resize without half-pixel centres; Keras calls
  // tf.image.resize, which uses them: tf.image.resizeBilinear(x, size, false, true) is Keras' layer.
  ['UpSampling2D', { size: [2, 2], interpolation: 'bilinear' },
    () => ({ apply: (x) => tf.image.resizeBilinear(x, [x.shape[1] * 2, x.shape[2] * 2], false, true), getWeights: () => [],
      setWeights: () => {} }), [1, 3, 2, 2]],
  ['Rescaling', { scale: 0.00392156862745098, offset: -0.5 }, () => tf.layers.rescaling({ scale: 1 / 255, offset: -0.5 }), [2, 3, 2]],
  ['Resizing', { height: 5, width: 3, interpolation: 'bilinear' },
    () => ({ apply: (x) => tf.image.resizeBilinear(x, [5, 3], false, true), getWeights: () => [], setWeights: () => {} }),
    [2, 3, 4, 2]],
];

const out = {
  generator: 'tests/golden/gen_keras_conv_layers.mjs',
  what: 'Keras layers built by TensorFlow.js layers from the given config with the given weights (Keras order); float32',
  tfjs_version: tf.version.tfjs,
  backend: tf.getBackend(),
  cases: [],
};

for (const [cls, config, make, inShape, mode] of cases) {
  const layer = make();
  const x = cls === 'Rescaling' ? rand(inShape, 0, 255) : rand(inShape);
  layer.apply(tf.zeros(inShape));  // builds the weights
  const weights = layer.getWeights().map((w, i) => {
    // BatchNormalization's moving variance (its last weight) must stay positive.
    const bnVariance = cls === 'BatchNormalization' && i === layer.getWeights().length - 1;
    return rand(w.shape, bnVariance ? 0.5 : -1, bnVariance ? 2 : 1);
  });
  layer.setWeights(weights);
  const training = mode === 'training';
  const y = layer.apply(x, { training });
  const c = { class_name: cls, keras_config: config, training, x: jsonOf(x), weights: weights.map(jsonOf), y: jsonOf(y) };
  if (training) c.weights_after = layer.getWeights().map(jsonOf);  // BatchNormalization's moving statistics moved
  out.cases.push(c);
}

writeJson(new URL('keras_conv_layers.json', import.meta.url).pathname, out);
