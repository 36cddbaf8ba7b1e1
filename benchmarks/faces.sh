#!/usr/bin/env bash
# The face benchmark on CelebA (64x64, this 2-core CPU): the four condition models, a second set
# trained apart (seed 1) that judges every run, dlib's descriptor judge (a judge of another kind), the
# face C-VAE's variants (the default; transposed-convolution upsampling; β = 0.5; the frequency
# sharpness term; no control term; and, only when named, noise on the training conditions, the
# condition at the decoder's input only, and condition maps up to 16 or 8 pixels) and the vanilla VAE
# baseline on the same faces and budget;
# then `cvae-tf evaluate` on each, by the seed-1 models and the descriptor judge.
# Usage: bash benchmarks/faces.sh CELEBA_DIR OUT_DIR [EPOCHS [VARIANT ...]]
set -euo pipefail
data=${1:?CelebA folder}; out=${2:?output folder}; epochs=${3:-10}; shift $(($# < 3 ? $# : 3))
timed() { /usr/bin/time -f "%e s wall, %U s CPU" "$@"; }
declare -A variants=(  # name: overrides, separated by ";"
  [face_cvae]=""
  [face_cvae_transpose]="model.upsampling=transpose"
  [face_cvae_beta05]="training.kl_weight=0.5"
  [face_cvae_frequency]="training.sharpness=frequency"
  [face_cvae_control0]="training.judge_weight=0"
  [face_cvae_noise015]="training.condition_noise=0.15"
  [face_cvae_nomaps]="model.condition_maps=false"
  [face_cvae_maps16]="model.condition_maps_largest=16"
  [face_cvae_maps8]="model.condition_maps_largest=8"
)
chosen=("$@")
[ ${#chosen[@]} -gt 0 ] || chosen=(face_cvae face_cvae_transpose face_cvae_beta05 face_cvae_frequency face_cvae_control0)
for models in face_conditions:0 face_judges:1; do
  run="$out/${models%:*}"
  [ -f "$run/manifest.json" ] || timed cvae-tf train face_conditions --data "$data" --output "$run" \
    --set training.seed="${models#*:}" --quiet
  cvae-tf evaluate "$run"
done
[ -f "$out/descriptor_judge/descriptor_judge.json" ] || python benchmarks/face_descriptor_judge.py --data "$data" \
  --output "$out/descriptor_judge"
for name in "${chosen[@]}"; do
  run="$out/$name"; sets=(--set model.condition_models="$out/face_conditions")
  IFS=';' read -ra overrides <<< "${variants[$name]}"
  for override in "${overrides[@]}"; do sets+=(--set "$override"); done
  [ -f "$run/manifest.json" ] || timed cvae-tf train face_cvae --data "$data" --output "$run" --epochs "$epochs" \
    "${sets[@]}" --quiet --resume
  cvae-tf evaluate "$run" --judge "$out/face_judges" --descriptor-judge "$out/descriptor_judge" \
    --output "$run/judged_apart"
done
baseline="$out/face_vae"
[ -f "$baseline/manifest.json" ] || timed cvae-tf train vae --data "$data" --output "$baseline" \
  --epochs "$epochs" --set data.format=celeba --set data.image_size="[64, 64]" --set data.channels=3 \
  --set model.latent_dim=64 --set model.filters="[32, 64, 128, 256]" --set model.dense_units=512 \
  --set model.side_branch=false --set model.refine=true --set training.batch_size=32 --set training.learning_rate=0.002 \
  --set training.lr_schedule=cosine --no-grey --quiet --resume
cvae-tf evaluate "$baseline" --judge "$out/face_judges"
