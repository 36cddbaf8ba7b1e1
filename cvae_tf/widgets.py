"""The explorer page's controls in a notebook: ipywidgets built from the model's condition
fields (a dropdown for a class, a slider for a number) and its latent directions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from cvae_tf.core.inference import sample_latents
from cvae_tf.core.saving import SavedRun
from cvae_tf.serve.images import png_grid
from cvae_tf.serve.registry import ServedGenerator, served


def field_widget(condition_field) -> widgets.Widget:
    """A dropdown for a whole-number field (a class), a slider for a number."""
    low, high = condition_field.minimum, condition_field.maximum
    if condition_field.type == "integer":
        options = list(range(int(low), int(high) + 1))
        value = options[len(options) * 7 // 10] if condition_field.default is None else int(condition_field.default)
        return widgets.Dropdown(options=options, value=value, description=condition_field.name)
    step = (high - low) / 40
    return widgets.FloatSlider(condition_field.default, min=low, max=high, step=step, description=condition_field.name)


@dataclass
class Explorer:
    """Condition and latent sliders with the drawing they give; displays as its ``widget``."""

    model: ServedGenerator
    z: np.ndarray
    seed: int = 0
    controls: dict = field(init=False)
    sliders: list = field(init=False)
    button: widgets.Button = field(init=False)
    image: widgets.Image = field(init=False)
    widget: widgets.Widget = field(init=False)

    def __post_init__(self):
        self.controls = {f.name: field_widget(f) for f in self.model.fields}
        self.sliders = [
            widgets.FloatSlider(float(self.z[i]), min=-3, max=3, step=0.05, description=f"z[{i}]")
            for i in self.model.directions
        ]
        self.button = widgets.Button(description="new random sample")
        self.image = widgets.Image(format="png", width=224, height=224)
        self.widget = widgets.HBox([widgets.VBox([*self.controls.values(), *self.sliders, self.button]), self.image])
        for control in [*self.controls.values(), *self.sliders]:
            control.observe(self.redraw, names="value")
        self.button.on_click(self.resample)
        self.redraw()

    def __getattr__(self, name):  # view.digit, view.white: the control of that condition field
        controls = self.__dict__.get("controls", {})
        if name in controls:
            return controls[name]
        raise AttributeError(name)

    def redraw(self, _change=None) -> None:
        for index, slider in zip(self.model.directions, self.sliders):
            self.z[index] = slider.value
        values = {name: control.value for name, control in self.controls.items()}
        images, _ = self.model.generate(1, self.seed, z=self.z, values=values)
        self.image.value = png_grid(images, scale=max(1, 224 // self.model.image_shape[0]))

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
    model = served(Path(run.path).name, run)
    return Explorer(model, sample_latents(1, model.latent_dim, seed)[0], seed)
