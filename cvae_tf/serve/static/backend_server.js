// The served explorer's backend: every picture comes from `cvae-tf serve` over HTTP (GET /models,
// POST /generate, /translate, /reconstruct), as PNG blobs.

async function post(path, body) {
  const options = body instanceof FormData ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response;
}

const png = (canvas) => new Promise((done) => canvas.toBlob(done, "image/png"));

export const serverBackend = {
  apiLink: "/docs",

  async models() {
    const response = await fetch("/models");
    if (!response.ok) throw new Error(`GET /models: ${response.status}`);
    return response.json();
  },

  async latent(model, values, seed) {  // the prior latent that the server draws for this seed
    const body = { model: model.name, ...values, seed, format: "json" };
    return (await (await post("/generate", body)).json()).z[0];
  },

  async generate(model, values, { z = null, n = 1, seed = 0, columns = 16 } = {}) {
    return (await post("/generate", { model: model.name, ...values, z, n, seed, columns, format: "png" })).blob();
  },

  async translate(model, canvas) {
    const form = new FormData();
    form.append("model", model.name);
    form.append("file", await png(canvas), "sketch.png");
    return (await post("/translate", form)).blob();
  },

  async reconstruct(model, file, changes) {  // the upload, its reconstruction, and re-drawn under `changes`
    const form = new FormData();
    form.append("model", model.name);
    form.append("file", file);
    form.append("changes", JSON.stringify(changes));
    const response = await post("/reconstruct", form);
    return { blob: await response.blob(), conditions: response.headers.get("X-Conditions") };
  },
};
