"""The explorer page's controls in a notebook: ipywidgets that redraw a digit on every change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from cvae_tf.generate import sample_latents
from cvae_tf.saving import SavedRun
from cvae_tf.serve.images import png_grid
from cvae_tf.serve.registry import DigitVAE


@dataclass
class Explorer:
    """Digit, thickness and latent sliders with the drawing they give; displays as its ``widget``."""

    model: DigitVAE
    z: np.ndarray
    seed: int = 0
    digit: widgets.Dropdown = field(init=False)
    white: widgets.FloatSlider = field(init=False)
    sliders: list = field(init=False)
    button: widgets.Button = field(init=False)
    image: widgets.Image = field(init=False)
    widget: widgets.Widget = field(init=False)

    def __post_init__(self):
        self.digit = widgets.Dropdown(options=list(range(10)), value=7, description="digit")
        self.white = widgets.FloatSlider(0.0, min=-1, max=1, step=0.05, description="thickness")
        self.sliders = [
            widgets.FloatSlider(float(self.z[i]), min=-3, max=3, step=0.05, description=f"z[{i}]")
            for i in self.model.directions
        ]
        self.button = widgets.Button(description="new random sample")
        self.image = widgets.Image(format="png", width=224, height=224)
        controls = ([self.digit, self.white] if self.model.conditional else []) + self.sliders + [self.button]
        self.widget = widgets.HBox([widgets.VBox(controls), self.image])
        for control in [self.digit, self.white, *self.sliders]:
            control.observe(self.redraw, names="value")
        self.button.on_click(self.resample)
        self.redraw()

    def redraw(self, _change=None) -> None:
        for index, slider in zip(self.model.directions, self.sliders):
            self.z[index] = slider.value
        condition = {"digit": self.digit.value, "white": self.white.value} if self.model.conditional else {}
        images, _ = self.model.generate(1, self.seed, z=self.z, **condition)
        self.image.value = png_grid(images, scale=8)

    def resample(self, _button=None) -> None:
        """A new style: a fresh prior latent, its coordinates put on the sliders."""
        self.seed += 1
        self.z = sample_latents(1, self.model.latent_dim, self.seed)[0]
        for index, slider in zip(self.model.directions, self.sliders):  # one redraw, not one per slider
            slider.unobserve(self.redraw, names="value")
            slider.value = float(np.clip(self.z[index], slider.min, slider.max))
            slider.observe(self.redraw, names="value")
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def explorer(run: SavedRun | str | Path, seed: int = 0) -> Explorer:
    """Explore a saved run in a notebook: ``explorer(run)`` as a cell's last line shows the controls."""
    run = run if isinstance(run, SavedRun) else SavedRun.open(run)
    model = DigitVAE(Path(run.path).name, run)
    return Explorer(model, sample_latents(1, model.latent_dim, seed)[0], seed)
