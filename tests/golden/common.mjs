// Shared by gen_keras.mjs: the deterministic inputs (the same LCG as gen_torch.py) and a JSON
// writer that prints every float with 17 significant digits, so a float32 or float64 value
// read back by the C++ tests is bit-identical to the one computed here.
import { writeFileSync } from 'node:fs';

// Numerical Recipes' 32-bit LCG. Values are quantised to multiples of 1/256 so that they are exact
// in float32 and float64 alike: both generators and the C++ tests see the very same inputs.
export class Lcg {
  constructor(seed) { this.state = seed >>> 0; }
  next() {
    this.state = (Math.imul(1664525, this.state) + 1013904223) >>> 0;
    return this.state;
  }
  // Uniform on the grid {lo + k/256} in [lo, hi), lo and hi integers.
  uniform(n, lo, hi) {
    const out = [];
    for (let i = 0; i < n; ++i) out.push(lo + Math.floor((this.next() / 4294967296) * (hi - lo) * 256) / 256);
    return out;
  }
  // Integers in [0, k).
  ints(n, k) {
    const out = [];
    for (let i = 0; i < n; ++i) out.push(Math.floor((this.next() / 4294967296) * k));
    return out;
  }
  // n rows of k probabilities, each a multiple of 1/256, every one >= 1/256, each row summing to 1.
  probs(n, k) {
    const out = [];
    for (let r = 0; r < n; ++r) {
      const w = this.ints(k, 64).map(v => v + 1);
      const total = w.reduce((a, b) => a + b, 0);
      const a = w.map(v => Math.max(1, Math.floor((v * 256) / total)));
      let rest = 256 - a.reduce((x, y) => x + y, 0);
      // Hand the rounding remainder to the largest entry (never below 1/256).
      const big = a.indexOf(Math.max(...a));
      a[big] += rest;
      if (a[big] < 1) throw new Error('probs: row cannot be normalised');
      out.push(...a.map(v => v / 256));
    }
    return out;
  }
}

// Marks an array as floating-point data (printed with 17 significant digits even when integral).
export class Floats {
  constructor(values) { this.values = Array.from(values, Number); }
}

export function tensorJson(shape, values, dtype) {
  return { shape, dtype, data: dtype.startsWith('int') ? Array.from(values, Number) : new Floats(values) };
}

function num(x, isFloat) {
  if (!Number.isFinite(x)) throw new Error(`non-finite value ${x} cannot go into JSON`);
  if (!isFloat && Number.isInteger(x)) return String(x);
  return x.toPrecision(17);
}

function dump(v, indent) {
  const pad = '  '.repeat(indent);
  const inner = '  '.repeat(indent + 1);
  if (v instanceof Floats) return '[' + v.values.map(x => num(x, true)).join(', ') + ']';
  if (typeof v === 'number') return num(v, false);
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.every(x => typeof x === 'number')) return '[' + v.map(x => num(x, false)).join(', ') + ']';
    return '[\n' + v.map(x => inner + dump(x, indent + 1)).join(',\n') + '\n' + pad + ']';
  }
  const keys = Object.keys(v).filter(k => v[k] !== undefined);
  return '{\n' + keys.map(k => inner + JSON.stringify(k) + ': ' + dump(v[k], indent + 1)).join(',\n') + '\n' + pad + '}';
}

export function writeJson(path, obj) {
  writeFileSync(path, dump(obj, 0) + '\n');
  console.log(`wrote ${path}`);
}
