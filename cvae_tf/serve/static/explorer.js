// The explorer page, built from GET /models: a button row for each whole-number condition field
// (a class such as the digit), a slider for each number field, sliders over the latent
// directions, and a drawing canvas for image-to-image models. Every change asks the server for
// a PNG (POST /generate, or POST /translate with the drawing) and shows it. A model whose
// condition is read from an upload (faces) also re-draws an uploaded picture under the sliders'
// values (POST /reconstruct with them as changes).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], model: null, values: {}, z: null, seed: 0, latest: 0, upload: null, latestUpload: 0 };

// Reconstructs uploads and has no class buttons: its condition is read from the upload and changed by name.
const redraws = (model) => model.routes.includes("reconstruct") && model.conditional
  && !model.conditions.some((field) => field.type === "integer");

async function post(path, body) {
  const options = body instanceof FormData ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response;
}

function show(img, blob) {
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}

async function request() {
  const model = state.model;
  if (model.input) {
    const form = new FormData();
    form.append("model", model.name);
    form.append("file", await new Promise((done) => $("sketch").toBlob(done, "image/png")), "sketch.png");
    return post("/translate", form);
  }
  return post("/generate", { model: model.name, ...state.values, z: state.z, format: "png" });
}

async function draw() {
  const ticket = ++state.latest;  // answers that arrive after a newer request are dropped
  const started = performance.now();
  try {
    const blob = await (await request()).blob();
    if (ticket !== state.latest) return;
    show($("digit-image"), blob);
    $("status").textContent = `drawn in ${Math.round(performance.now() - started)} ms`;
    document.body.dataset.draws = Number(document.body.dataset.draws) + 1;
  } catch (error) {
    $("status").textContent = `error ${error.message}`;
  }
}

async function redrawUpload() {  // the upload, its reconstruction, and the same picture under the sliders' values
  if (!state.upload || !redraws(state.model)) return;
  const ticket = ++state.latestUpload;
  const form = new FormData();
  form.append("model", state.model.name);
  form.append("file", state.upload);
  form.append("changes", JSON.stringify(state.values));
  try {
    const response = await post("/reconstruct", form);
    const blob = await response.blob();
    if (ticket !== state.latestUpload) return;
    show($("redrawn-image"), blob);
    $("redrawn-image").hidden = $("redrawn-title").hidden = false;
    $("upload-values").textContent = `read from it: ${response.headers.get("X-Conditions").replaceAll(",", ", ")}`;
    document.body.dataset.redraws = Number(document.body.dataset.redraws) + 1;
  } catch (error) {
    $("upload-values").textContent = `error ${error.message}`;
  }
}

async function drawSamples() {
  if (state.model.input) return;
  const body = { model: state.model.name, ...state.values, n: 8, seed: state.seed + 1, columns: 8 };
  show($("samples"), await (await post("/generate", body)).blob());
}

async function resample() {
  if (state.model.input) return draw();
  state.seed = Math.floor(Math.random() * 1e9);
  const body = { model: state.model.name, ...state.values, seed: state.seed, format: "json" };
  state.z = (await (await post("/generate", body)).json()).z[0];
  state.model.directions.forEach((index, i) => {
    $(`z${i}`).value = state.z[index].toFixed(2);
    $(`z${i}-value`).textContent = state.z[index].toFixed(2);
  });
  await Promise.all([draw(), drawSamples()]);
}

function buttonsFor(field) {  // a whole-number field: one button per value (ids like digit-7)
  const set = document.createElement("fieldset");
  set.innerHTML = `<legend>${field.name}</legend><div role="radiogroup" aria-label="${field.name}"></div>`;
  const group = set.querySelector("div");
  for (let value = field.minimum; value <= field.maximum; value++) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = value; button.id = `${field.name}-${value}`;
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", String(value === state.values[field.name]));
    button.addEventListener("click", () => {
      state.values[field.name] = value;
      group.querySelectorAll("button").forEach((b) => b.setAttribute("aria-checked", String(b === button)));
      draw(); drawSamples();
    });
    group.append(button);
  }
  return set;
}

function sliderFor(field) {  // a number field: a slider with its value (ids like white, white-value)
  const set = document.createElement("fieldset");
  const step = (field.maximum - field.minimum) / 40;
  set.innerHTML = `<legend>${field.name} <output id="${field.name}-value">${state.values[field.name].toFixed(2)}</output></legend>
    <div class="range"><input id="${field.name}" type="range" min="${field.minimum}" max="${field.maximum}" step="${step}"
      value="${state.values[field.name]}" aria-label="${field.name}" title="${field.description}"></div>`;
  const input = set.querySelector("input");
  input.addEventListener("input", () => {
    state.values[field.name] = Number(input.value);
    $(`${field.name}-value`).textContent = Number(input.value).toFixed(2);
    draw();
  });
  input.addEventListener("change", () => { drawSamples(); redrawUpload(); });
  return set;
}

function buildConditions() {
  const fields = state.model.conditions;
  state.values = Object.fromEntries(fields.map((f) => [f.name, f.default ?? Math.round(0.7 * (f.minimum + f.maximum))]));
  $("conditions").replaceChildren(...fields.map((f) => (f.type === "integer" && f.maximum - f.minimum < 20 ? buttonsFor : sliderFor)(f)));
}

function buildLatents() {
  const model = state.model;
  $("latents").replaceChildren(...model.directions.map((index, i) => {
    const row = document.createElement("div");
    row.className = "range";
    row.innerHTML = `<span>z[${index}]</span><input id="z${i}" type="range" min="-3" max="3" step="0.05" value="0"
      aria-label="latent coordinate ${index}"><output id="z${i}-value">0.00</output>`;
    row.querySelector("input").addEventListener("input", (event) => {
      state.z[index] = Number(event.target.value);
      row.querySelector("output").textContent = Number(event.target.value).toFixed(2);
      draw();
    });
    return row;
  }));
  $("latent-hint").textContent = model.latent_dim <= 2
    ? "the two coordinates of the 2-D latent"
    : `${model.directions.length} of ${model.latent_dim} coordinates: those that change the drawing most`;
}

function clearCanvas() {
  const context = $("sketch").getContext("2d");
  context.fillStyle = "white";
  context.fillRect(0, 0, $("sketch").width, $("sketch").height);
}

function setUpCanvas() {  // mouse or touch strokes, dark on white: the sketch convention of /translate
  const canvas = $("sketch");
  const context = canvas.getContext("2d");
  let drawing = false;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => { drawing = true; context.beginPath(); context.moveTo(...at(event)); });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...at(event)); context.strokeStyle = "black"; context.lineWidth = 3; context.lineCap = "round"; context.stroke();
  });
  const finish = () => { if (drawing) { drawing = false; draw(); } };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  $("clear").addEventListener("click", () => { clearCanvas(); draw(); });
  $("upload").addEventListener("change", async (event) => {
    const bitmap = await createImageBitmap(event.target.files[0]);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    draw();
  });
  clearCanvas();
}

async function selectModel(name) {
  state.model = state.models.find((m) => m.name === name);
  const model = state.model;
  const sketching = Boolean(model.input);
  $("model-info").textContent = sketching ? `${model.kind} · ${model.image_shape.join("×")}` : `${model.kind} · latent ${model.latent_dim}`;
  $("sketch-field").hidden = !sketching;
  $("latent-field").hidden = $("resample").hidden = $("samples").hidden = $("samples-title").hidden = sketching;
  $("upload-field").hidden = !redraws(model);
  $("redrawn-image").hidden = $("redrawn-title").hidden = true;
  state.upload = null;
  $("face-upload").value = $("upload-values").textContent = "";
  buildConditions();
  if (!sketching) buildLatents();
  await resample();
}

async function start() {
  state.models = await (await fetch("/models")).json();
  $("model").replaceChildren(...state.models.map((m) => new Option(m.name, m.name)));
  $("model").addEventListener("change", (event) => selectModel(event.target.value));
  $("resample").addEventListener("click", resample);
  $("face-upload").addEventListener("change", (event) => { state.upload = event.target.files[0]; redrawUpload(); });
  setUpCanvas();
  await selectModel(state.models[0].name);
}

start().catch((error) => { $("status").textContent = `error ${error.message}`; });
