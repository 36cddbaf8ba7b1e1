r"""A finished VAE run with its prior fitted to its codes, without training it again.

    python benchmarks/fit_prior.py runs/faces/face_cvae runs/faces/face_cvae_prior --data ../shared/data/celeba
    cvae-tf evaluate runs/faces/face_cvae_prior --data ../shared/data/celeba --judge runs/faces/face_judges \
        --descriptor-judge runs/descriptor_judge --output runs/faces/face_cvae_prior/judged_apart

Runs the step that ``training.fit_prior`` runs after training (``Family.after_training``: one pass
over the training batches, then the latent space re-based on their codes) on RUN's saved models,
and saves the result as a new run OUTPUT, so that the two can be judged side by side. ``--scale``
widens the fitted Gaussian (``training.prior_scale``):

    python benchmarks/fit_prior.py runs/faces/face_cvae runs/faces/face_cvae_prior16 --scale 1.6 \
        --data ../shared/data/celeba
"""

import argparse
import time

from cvae_tf.core.saving import SavedRun, write_run


def fit_prior(run_path, output, source=None, scale: float = 1.0) -> dict:
    run = SavedRun.open(run_path)
    family, config = run.family, run.family.run_config(run)
    config.training.fit_prior, config.training.prior_scale = True, scale
    started = time.perf_counter()
    prepared = family.prepare(config, family.run_data(run, source))
    full = run.model("full")
    models = {role: full.get_layer(run.manifest["models"][role]) for role in ("encoder", "decoder")}
    models["full"] = full
    entries = family.after_training(config, models, prepared)
    entries["latent_prior"]["seconds"] = round(time.perf_counter() - started, 1)
    manifest = {**run.manifest, "config": config.to_dict(), **entries}
    manifest.pop("models", None)
    log = {"training_log.csv": run.path / "training_log.csv"}
    write_run(output, models, manifest, condition=prepared.condition, copy=log)
    return entries["latent_prior"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("output")
    parser.add_argument("--data", help="where the run's training data lies now")
    parser.add_argument("--scale", type=float, default=1.0, help="training.prior_scale: the Gaussian's widening")
    options = parser.parse_args()
    print(fit_prior(options.run, options.output, options.data, options.scale))


if __name__ == "__main__":
    main()
