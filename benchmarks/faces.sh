#!/usr/bin/env bash
# The face benchmark on CelebA (64x64, this 2-core CPU): the four condition models, the face C-VAE
# with and without its sharpness term, and the vanilla VAE baseline on the same faces and budget;
# then `cvae-tf evaluate` on each. Usage: bash benchmarks/faces.sh CELEBA_DIR OUT_DIR [EPOCHS]
set -euo pipefail
data=${1:?CelebA folder}; out=${2:?output folder}; epochs=${3:-15}
conditions="$out/face_conditions"
[ -f "$conditions/manifest.json" ] || cvae-tf train face_conditions --data "$data" --output "$conditions" --quiet
for sharpness in frequency none; do
  run="$out/face_cvae_$sharpness"
  [ -f "$run/manifest.json" ] || /usr/bin/time -f "%e s wall" cvae-tf train face_cvae --data "$data" --output "$run" \
    --epochs "$epochs" --set model.condition_models="$conditions" --set training.sharpness=$sharpness --quiet --resume
  cvae-tf evaluate "$run"
done
baseline="$out/face_vae"
[ -f "$baseline/manifest.json" ] || /usr/bin/time -f "%e s wall" cvae-tf train vae --data "$data" --output "$baseline" \
  --epochs "$epochs" --set data.format=celeba --set data.image_size="[64, 64]" --set data.channels=3 \
  --set model.latent_dim=64 --set model.filters="[32, 64, 128, 256]" --set model.dense_units=512 \
  --set model.side_branch=false --set training.batch_size=64 --set training.lr_schedule=cosine --no-grey --quiet --resume
cvae-tf evaluate "$baseline" --judge "$conditions"
