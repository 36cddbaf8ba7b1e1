// The exported page's backend: the models run in the browser with onnxruntime-web, from the files
// that `cvae-tf export --web` copied beside this page (models.json, models/*.onnx, runtime/).
// It answers what the served explorer asks the server, with the same rules: a condition vector
// from the named fields through the exported linear map, prior latents from a seed, sketches in
// greyscale with a light-on-dark drawing inverted, pictures as PNG blobs.

const folder = new URL("../", import.meta.url);
let ort = null;
const sessions = new Map();

async function session(model) {
  if (!ort) {
    ort = await import(new URL("runtime/ort.wasm.min.mjs", folder).href);
    ort.env.wasm.wasmPaths = new URL("runtime/", folder).href;
    ort.env.wasm.numThreads = 1;  // a static host is not cross-origin isolated: no shared memory for threads
  }
  if (!sessions.has(model.name)) {
    sessions.set(model.name, ort.InferenceSession.create(new URL(model.file, folder).href, { executionProviders: ["wasm"] }));
  }
  return sessions.get(model.name);
}

function random(seed) {  // mulberry32: a small seeded generator, then Box-Muller for N(0, 1)
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const latents = (model, n, seed) => {
  const normal = random(seed);
  return Array.from({ length: n }, () => Array.from({ length: model.latent_dim }, normal));
};

function conditionVector(model, values) {  // features (each class one-hot, each number as is) · weights + bias
  const features = model.conditions.flatMap((field) => {
    const value = values[field.name] ?? field.default;
    if (field.type !== "integer") return [value];
    return Array.from({ length: field.maximum - field.minimum + 1 }, (_, k) => (k + field.minimum === value ? 1 : 0));
  });
  const { weights, bias } = model.encoding;
  return bias.map((b, j) => features.reduce((sum, f, i) => sum + f * weights[i][j], b));
}

function picture(data, [n, height, width, channels], columns, scale) {  // (N, H, W, C) floats → a PNG grid
  columns = Math.max(1, Math.min(columns, n));
  const rows = Math.ceil(n / columns);
  const canvas = new OffscreenCanvas(columns * width, rows * height);
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    const left = (i % columns) * width, top = Math.floor(i / columns) * height;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const source = ((i * height + y) * width + x) * channels;
        const target = ((top + y) * canvas.width + left + x) * 4;
        for (let c = 0; c < 3; c++) {
          const value = scale(data[source + (channels === 1 ? 0 : c)]);
          image.data[target + c] = Math.round(Math.min(1, Math.max(0, value)) * 255);
        }
        image.data[target + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.convertToBlob({ type: "image/png" });
}

function sketchInput(canvas) {  // greyscale in [0, 1] as the server reads a sketch (Pillow's "L" weights)
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const grey = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = (data[4 * i] * 19595 + data[4 * i + 1] * 38470 + data[4 * i + 2] * 7471 + 0x8000) >> 16;
  }
  const light = grey.reduce((sum, v) => sum + v, 0) / grey.length > 127;
  return grey.map((v) => (light ? v : 255 - v) / 255);
}

export const webBackend = {
  apiLink: null,

  async models() {
    const response = await fetch(new URL("models.json", folder));
    if (!response.ok) throw new Error(`models.json: ${response.status}`);
    return response.json();
  },

  async latent(model, values, seed) {
    return latents(model, 1, seed)[0];
  },

  async generate(model, values, { z = null, n = 1, seed = 0, columns = 16 } = {}) {
    const runner = await session(model);
    const rows = z ? Array(n).fill(z) : latents(model, n, seed);
    const feeds = { z: new ort.Tensor("float32", Float32Array.from(rows.flat()), [n, model.latent_dim]) };
    if (model.conditional) {
      const vector = conditionVector(model, values);
      feeds.condition = new ort.Tensor("float32", Float32Array.from(Array(n).fill(vector).flat()), [n, vector.length]);
    }
    const output = (await runner.run(feeds))[runner.outputNames[0]];
    return picture(output.data, output.dims, columns, (v) => v);
  },

  async translate(model, canvas) {
    const runner = await session(model);
    const input = new ort.Tensor("float32", sketchInput(canvas), [1, canvas.height, canvas.width, 1]);
    const output = (await runner.run({ [model.input.name]: input }))[runner.outputNames[0]];
    return picture(output.data, output.dims, 1, (v) => (v + 1) / 2);
  },

  async reconstruct() {
    throw new Error("an exported page does not re-draw uploads");
  },
};
