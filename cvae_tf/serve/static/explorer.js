// The explorer page: every control change asks POST /generate for a PNG and shows it.
// The style is a latent vector z: "New random sample" fetches a fresh one (JSON format),
// the sliders move its most influential coordinates (as GET /models lists them).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], model: null, digit: 7, z: null, seed: 0, latest: 0 };

async function post(body) {
  const response = await fetch("/generate", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response;
}

function condition() {
  return state.model.conditional ? { digit: state.digit, white: Number($("white").value) } : {};
}

function show(img, blob) {
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}

async function draw() {
  const request = ++state.latest;  // answers that arrive after a newer request are dropped
  const started = performance.now();
  try {
    const blob = await (await post({ model: state.model.name, ...condition(), z: state.z, format: "png" })).blob();
    if (request !== state.latest) return;
    show($("digit-image"), blob);
    $("status").textContent = `drawn in ${Math.round(performance.now() - started)} ms`;
    document.body.dataset.draws = Number(document.body.dataset.draws) + 1;
  } catch (error) {
    $("status").textContent = `error ${error.message}`;
  }
}

async function drawSamples() {
  const blob = await (await post({ model: state.model.name, ...condition(), n: 8, seed: state.seed + 1, columns: 8 })).blob();
  show($("samples"), blob);
}

async function resample() {
  state.seed = Math.floor(Math.random() * 1e9);
  const answer = await (await post({ model: state.model.name, ...condition(), seed: state.seed, format: "json" })).json();
  state.z = answer.z[0];
  state.model.directions.forEach((index, i) => {
    $(`z${i}`).value = state.z[index].toFixed(2);
    $(`z${i}-value`).textContent = state.z[index].toFixed(2);
  });
  await Promise.all([draw(), drawSamples()]);
}

function buildDigits() {
  $("digits").replaceChildren(...Array.from({ length: 10 }, (_, d) => {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = d; button.id = `digit-${d}`;
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", String(d === state.digit));
    button.addEventListener("click", () => {
      state.digit = d;
      document.querySelectorAll("#digits button").forEach((b) => b.setAttribute("aria-checked", String(b === button)));
      draw(); drawSamples();
    });
    return button;
  }));
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

async function selectModel(name) {
  state.model = state.models.find((m) => m.name === name);
  const model = state.model;
  $("model-info").textContent = `${model.kind} · latent ${model.latent_dim}`;
  for (const id of ["digit-field", "white-field"]) $(id).hidden = !model.conditional;
  buildLatents();
  await resample();
}

async function start() {
  state.models = await (await fetch("/models")).json();
  $("model").replaceChildren(...state.models.map((m) => new Option(m.name, m.name)));
  $("model").addEventListener("change", (event) => selectModel(event.target.value));
  $("white").addEventListener("input", (event) => {
    $("white-value").textContent = Number(event.target.value).toFixed(2);
    draw();
  });
  $("white").addEventListener("change", drawSamples);
  $("resample").addEventListener("click", resample);
  buildDigits();
  await selectModel(state.models[0].name);
}

start().catch((error) => { $("status").textContent = `error ${error.message}`; });
