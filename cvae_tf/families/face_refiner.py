"""``face_refiner``: a pix2pix generator that redraws a face C-VAE's blurry faces as sharp ones.

A VAE's decoder averages what its latent cannot pin down, so its faces are blurry; a critic on
the decoder itself sharpened them only by breaking faces (benchmarks/RESULTS.md). The refiner
leaves the C-VAE as it is and learns, as pix2pix does (LSGAN + λ·L1 against a PatchGAN), to turn
the C-VAE's reconstruction of a face back into the photograph. Applied after the decoder, it
redraws every face the C-VAE draws: generation, sampling, the server and evaluation all go
through ``LatentGenerator``, which refines what it decodes. An experiment: on CelebA it has not
yet made better faces (blotches; benchmarks/RESULTS.md, eighth session).

``cvae-tf train face_refiner --data CELEBA --set model.cvae_run=RUN --output DIR``: the new run
holds the C-VAE's encoder, decoder and condition (with its four models) beside the refiner, so it
generates on its own. The refiner's input is named ``sketch``, as every pix2pix generator's.
"""

from __future__ import annotations

from dataclasses import dataclass

from cvae_tf.config import ModelSection, choice
from cvae_tf.families.base import Family, Prepared, register_family
from cvae_tf.families.faces import FaceDataConfig, sample_request, write_face_test_output
from cvae_tf.families.pix2pix import Pix2PixTrainingConfig, pix2pix_trainer


@dataclass
class FaceRefinerModelConfig(ModelSection):
    family: str = "face_refiner"
    cvae_run: str = "saved_models/face_cvae"  # the face C-VAE run whose faces are refined
    base_filters: int = 32  # the ResNet generator at 64×64: its first stage's width
    residual_blocks: int = 6
    discriminator_filters: int = 64
    # The defaults and the variants are measured on CelebA in benchmarks/RESULTS.md (sixth session).
    upsampling: str = choice("resize", ("resize", "transpose"))  # transpose printed a fine grid
    residual: bool = True  # draw a change added to the C-VAE's face: faces and conditions are kept
    # What the refiner learns from: the C-VAE's faces decoded from each training face's posterior
    # mean ("mean") or from one sample of it ("posterior": measured worst, it paints faces over).
    inputs: str = choice("mean", ("mean", "posterior"))


@dataclass
class FaceRefinerTrainingConfig(Pix2PixTrainingConfig):
    epochs: int = 3
    batch_size: int = 16
    lambda_l1: float = 3.0  # at 10 the residual refiner's faces scored worse: Fréchet 8.05 against 5.51


class FaceRefiner(Family):
    """Evaluation, ``test_output.png`` and sample requests are the face C-VAE's; training is pix2pix's."""

    name = "face_refiner"
    data_config = FaceDataConfig
    model_config = FaceRefinerModelConfig
    training_config = FaceRefinerTrainingConfig
    # The last epoch is kept: the L1 distance that ranks pix2pix's epochs ranked the refiner's
    # blurriest first (its first epoch, in both runs of benchmarks/RESULTS.md).
    monitor = None
    description = "a pix2pix refiner that redraws a face C-VAE's faces (an experiment at sharpening them)"

    def prepare(self, config, data) -> Prepared:
        """Pairs of (the C-VAE's redrawing of a face, the face) for the training and validation faces:
        decoded from one seeded sample of the face's posterior, or from its mean (``model.inputs``)."""
        from cvae_tf.inference import as_model_input
        from cvae_tf.models.layers import Sampling

        cvae = _cvae_run(config)
        generator = cvae.family.inference(cvae)
        size, seed = config.training.batch_size, config.training.seed
        draw = Sampling(seed=seed)  # the C-VAE's own reparameterisation, seeded

        def pairs(split, training):
            faces = as_model_input(split.images)
            conditions = generator.condition.of_images(faces)
            encoded = generator.encode(faces, conditions)
            z = encoded["z_mean"]
            if config.model.inputs == "posterior":
                z = draw([z, encoded["z_log_var"]]).numpy()
            return _pair_batches(generator.decode(z, conditions), faces, size, training, seed)

        return Prepared(pairs(data.train, True), pairs(data.val, False), generator.condition)

    def build_models(self, config) -> dict:
        """The C-VAE's encoder and decoder (kept as they are) and the refiner and its critic (trained)."""
        from cvae_tf.models.pix2pix import build_discriminator, build_generator

        model, cvae = config.model, _cvae_run(config)
        return {
            "encoder": cvae.encoder,
            "decoder": cvae.decoder,
            "refiner": build_generator(
                3,
                model.base_filters,
                model.residual_blocks,
                name="cvae_refiner_model",
                upsampling=model.upsampling,
                residual=model.residual,
            ),
            "refiner_critic": build_discriminator(3, 3, model.discriminator_filters, name="cvae_refiner_critic"),
        }

    def build_trainer(self, config, models, steps_per_epoch=None):
        return pix2pix_trainer(models["refiner"], models["refiner_critic"], config.training, steps_per_epoch)

    def inference(self, run):
        import cvae_tf.models.pix2pix  # noqa: F401  registers ReflectionPadding2D etc. before a fresh process loads
        from cvae_tf.inference import ImageTranslator, LatentGenerator

        return LatentGenerator(run.encoder, run.decoder, run.condition, refiner=ImageTranslator(run.model("refiner")))

    def evaluate(self, run, options):
        from cvae_tf.families.conv_vae import evaluate_faces

        return evaluate_faces(run, options)

    def write_test_output(self, run, path, seed=0, values=None, **_):
        return write_face_test_output(run, path, seed, values)

    def sample_request(self, n, seed=0):
        return sample_request(n, seed)


def _cvae_run(config):
    """The C-VAE run that ``model.cvae_run`` names, checked: a face C-VAE drawing faces of ``data.image_size``."""
    from cvae_tf.errors import RunError
    from cvae_tf.saving import SavedRun

    try:
        run = SavedRun.open(config.model.cvae_run)
    except RunError as err:
        raise RunError(f"model.cvae_run: {err}; train one first (cvae-tf train face_cvae --output DIR)") from None
    if run.family.name != "face_cvae":
        raise RunError(f"model.cvae_run: {run.path} is a {run.family.name} run; expected a face_cvae run")
    size = list(run.decoder.output.shape[1:3])
    if size != list(config.data.image_size):
        raise ValueError(f"data.image_size = {config.data.image_size}, but {run.path} draws {size} faces")
    return run


def _pair_batches(blurry, faces, batch_size, training, seed):
    """tf.data batches {"sketch": the blurry face in [0, 1], "image": the face in [−1, 1]}, both
    mirrored together at random while training."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((blurry, faces * 2.0 - 1.0))
    if training:
        dataset = dataset.shuffle(len(faces), seed=seed, reshuffle_each_iteration=True)

    def pair(sketch, image):
        if training:
            both = tf.image.random_flip_left_right(tf.concat([sketch, image], axis=-1), seed=seed)
            sketch, image = both[..., :3], both[..., 3:]
        return {"sketch": sketch, "image": image}

    return dataset.map(pair, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


register_family(FaceRefiner())
