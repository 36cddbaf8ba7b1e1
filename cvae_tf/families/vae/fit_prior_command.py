"""``cvae-tf fit-prior``: a finished VAE run with its prior fitted to its codes, at any scale, without training.

The step that ``training.fit_prior`` runs at the end of training (``Family.after_training``) applied
to a saved run, written as a new run beside it: to try another ``training.prior_scale`` (wider or
tighter samples) on the same weights, or to fit the prior of a run trained without it.
"""

import dataclasses
import time
from pathlib import Path

from cvae_tf.core.saving import SavedRun, write_run


def refit_prior(run_path, output, source=None, scale: float = 1.0) -> dict:
    """Fit RUN's prior to the codes of its training images, widened ``scale`` times; save it as ``output``."""
    run = SavedRun.open(run_path)
    family, config = run.family, run.family.run_config(run)
    if not hasattr(config.training, "fit_prior"):
        raise ValueError(f"{run_path}: a {family.name} run has no latent prior to fit; expected a VAE or C-VAE run")
    if Path(output).resolve() == Path(run_path).resolve():
        raise ValueError(f"{output}: the output must be a new folder, not the run itself")
    config.training = dataclasses.replace(config.training, fit_prior=True, prior_scale=scale)  # checks the scale
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


def add_parser(commands) -> None:
    """The ``cvae-tf fit-prior`` subcommand (``commands`` is the CLI's subparsers object)."""
    parser = commands.add_parser(
        "fit-prior",
        help="re-fit a VAE run's prior to its codes (any prior_scale) as a new run",
        description="Fit a finished VAE run's prior to its training codes, widened --scale times, and save it as a "
        "new run: another training.prior_scale on the same weights, without training.",
    )
    parser.add_argument("run", type=Path, help="a VAE or C-VAE run folder written by 'cvae-tf train'")
    parser.add_argument("--output", required=True, type=Path, help="the new run folder")
    parser.add_argument("--scale", type=float, default=1.0, help="training.prior_scale: the Gaussian's widening")
    parser.add_argument("--data", help="where the run's training data lies now, if it moved")
    parser.set_defaults(handler=run_fit_prior)


def run_fit_prior(args) -> None:
    summary = refit_prior(args.run, args.output, args.data, args.scale)
    eigenvalues = f"{summary['variance_smallest']:.3g} to {summary['variance_largest']:.3g}"
    print(
        f"{args.output}: the prior fitted to {summary['codes']} codes (their covariance's eigenvalues {eigenvalues}), "
        f"drawn at scale {summary['scale']}, in {summary['seconds']} s"
    )
