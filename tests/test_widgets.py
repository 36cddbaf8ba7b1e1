"""The notebook explorer: ipywidgets that redraw on every change, without a notebook frontend."""

import io

from PIL import Image

from cvae_tf.widgets import explorer


def test_explorer_redraws_on_digit_thickness_latent_and_new_sample(tiny_run):
    view = explorer(tiny_run[0])
    drawings = [view.image.value]
    view.digit.value = 3
    drawings.append(view.image.value)
    view.white.value = 1.0
    drawings.append(view.image.value)
    view.sliders[0].value = -2.5
    drawings.append(view.image.value)
    view.button.click()
    drawings.append(view.image.value)
    assert len(set(drawings)) == len(drawings)  # every change drew something new
    assert Image.open(io.BytesIO(drawings[-1])).size == (224, 224)
    assert len(view.sliders) == 4
    assert "application/vnd.jupyter.widget-view+json" in view._repr_mimebundle_()
