// The explorer page, built from a list of model schemas (GET /models, or an exported page's
// models.json): a button row for each whole-number condition field (a class such as the digit),
// a slider for each number field, sliders over the latent directions, and a drawing canvas for
// image-to-image models. Every change asks the backend for a picture and shows it: the server
// (backend_server.js) or the models running in this browser (backend_web.js, an exported page).
// A model whose condition is read from an upload (faces, served) also re-draws an uploaded
// picture under the sliders' values.
//
// A model switch resets every part of the page: each part is shown only if the new schema calls
// for it, every picture and caption is cleared, and an answer for the previous model is dropped.
import { serverBackend } from "./backend_server.js";
import { webBackend } from "./backend_web.js";

const $ = (id) => document.getElementById(id);
const backend = document.body.dataset.backend === "web" ? webBackend : serverBackend;
const state = { models: [], model: null, values: {}, z: null, seed: 0, latest: 0, upload: null, latestUpload: 0, generation: 0 };
window.explorer = state;  // read by the page tests: the latent and values of the picture shown

// Reconstructs uploads and has no class buttons: its condition is read from the upload and changed by name.
const redraws = (model) => model.routes.includes("reconstruct") && model.conditional
  && !model.conditions.some((field) => field.type === "integer");

// The parts of the page each schema calls for; everything else is hidden on a switch.
const parts = (model) => ({
  "digit-image": true,
  "latent-field": !model.input,
  resample: !model.input,
  "samples-title": !model.input,
  samples: !model.input,
  "sketch-field": Boolean(model.input),
  "upload-field": redraws(model),
  "redrawn-title": false,  // until an upload is re-drawn
  "redrawn-image": false,
});
const PICTURES = ["digit-image", "samples", "redrawn-image"];
const CAPTIONS = ["status", "upload-values"];

function show(img, blob, generation) {  // a picture for the model still selected, else nothing
  if (generation !== state.generation) return false;
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  img.hidden = false;
  return true;
}

function reset(model) {
  state.generation++;
  for (const [id, visible] of Object.entries(parts(model))) $(id).hidden = !visible;
  for (const id of PICTURES) {
    const img = $(id);
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.removeAttribute("src");
    img.hidden = true;  // shown again by the first picture of the new model
  }
  for (const id of CAPTIONS) $(id).textContent = "";
  $("samples-title").textContent = model.conditional ? "Eight random samples with this condition" : "Eight random samples";
  state.upload = null;
  $("face-upload").value = "";
}

async function draw() {
  const ticket = ++state.latest;  // answers that arrive after a newer request are dropped
  const generation = state.generation;
  const started = performance.now();
  try {
    const model = state.model;
    const blob = model.input ? await backend.translate(model, $("sketch"))
      : await backend.generate(model, state.values, { z: state.z });
    if (ticket !== state.latest || !show($("digit-image"), blob, generation)) return;
    $("status").textContent = `drawn in ${Math.round(performance.now() - started)} ms`;
    Object.assign(document.body.dataset, { model: model.name, ticket, draws: Number(document.body.dataset.draws) + 1 });
    if (!performance.getEntriesByName("first-image").length) performance.mark("first-image");  // for the benchmark
    document.dispatchEvent(new CustomEvent("drawn", { detail: { ticket } }));
  } catch (error) {
    if (generation === state.generation) $("status").textContent = `error ${error.message}`;
  }
}

async function redrawUpload() {  // the upload, its reconstruction, and the same picture under the sliders' values
  if (!state.upload || !redraws(state.model)) return;
  const ticket = ++state.latestUpload;
  const generation = state.generation;
  try {
    const { blob, conditions } = await backend.reconstruct(state.model, state.upload, state.values);
    if (ticket !== state.latestUpload || !show($("redrawn-image"), blob, generation)) return;
    $("redrawn-title").hidden = false;
    $("upload-values").textContent = `read from it: ${conditions.replaceAll(",", ", ")}`;
    document.body.dataset.redraws = Number(document.body.dataset.redraws) + 1;
  } catch (error) {
    if (generation === state.generation) $("upload-values").textContent = `error ${error.message}`;
  }
}

async function drawSamples() {
  if (state.model.input) return;
  const generation = state.generation;
  const blob = await backend.generate(state.model, state.values, { n: 8, seed: state.seed + 1, columns: 8 });
  if (show($("samples"), blob, generation)) document.body.dataset.samples = Number(document.body.dataset.samples) + 1;
}

async function resample() {
  if (state.model.input) return draw();
  const generation = state.generation;
  state.seed = Math.floor(Math.random() * 1e9);
  const z = await backend.latent(state.model, state.values, state.seed);
  if (generation !== state.generation) return;
  state.z = z;
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
    context.lineTo(...at(event)); context.strokeStyle = "black"; context.lineCap = "round";
    context.lineWidth = Math.max(2, (3 * canvas.width) / 256); context.stroke();
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
}

async function selectModel(name) {
  state.model = state.models.find((m) => m.name === name);
  const model = state.model;
  reset(model);
  $("model-info").textContent = model.input ? `${model.kind} · ${model.image_shape.join("×")}` : `${model.kind} · latent ${model.latent_dim}`;
  buildConditions();
  if (model.input) {  // the canvas holds the model's input pixels, so both backends read the same picture
    [$("sketch").height, $("sketch").width] = model.image_shape;
    clearCanvas();
  } else {
    buildLatents();
  }
  await resample();
}

async function start() {
  $("api").hidden = !backend.apiLink;
  state.models = await backend.models();
  $("model").replaceChildren(...state.models.map((m) => new Option(m.name, m.name)));
  $("model").addEventListener("change", (event) => selectModel(event.target.value));
  $("resample").addEventListener("click", resample);
  $("face-upload").addEventListener("change", (event) => { state.upload = event.target.files[0]; redrawUpload(); });
  setUpCanvas();
  await selectModel(state.models[0].name);
}

start().catch((error) => { $("status").textContent = `error ${error.message}`; });
