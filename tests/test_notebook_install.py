"""The notebooks' first cell installs cvae_tf on Colab from the user's own copy, never from a placeholder URL."""

import ast
import re
import sys
import types
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
URL = re.compile(r"(git\+|https?://|git@|github\.com)", re.IGNORECASE)


def install_cell(path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return next(cell for cell in notebook.cells if cell.cell_type == "code").source


def python_of(cell: str) -> str:
    """The cell as plain Python (IPython magics become ``get_ipython()`` calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell)


def string_literals(code: str) -> list[str]:
    return [
        node.value
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


EXTRAS_LINE = re.compile(r'^EXTRAS = "(.*?)".*$', re.MULTILINE)
FAMILY_EXTRAS = {"faces": "faces", "pix2pix": "pix2pix"}  # a family package -> the extra its imports need


def test_every_notebook_has_the_same_install_cell_but_for_its_extra():
    cells = {path.name: EXTRAS_LINE.sub("EXTRAS = ...", install_cell(path)) for path in NOTEBOOKS}
    assert len(cells) >= 5
    assert len(set(cells.values())) == 1, "the install cells differ; keep one recipe"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_installs_the_extra_of_the_families_it_uses(path):
    """The digit notebooks install no extra; a face or pix2pix notebook installs its family's extra,
    known from the family packages the notebook (or the notebook its data comes from) imports."""
    text = path.read_text()
    used = {extra for package, extra in FAMILY_EXTRAS.items() if f"cvae_tf.families.{package}" in text}
    declared = EXTRAS_LINE.search(install_cell(path)).group(1)
    assert set(re.findall(r"\w+", declared)) >= used, (path.name, declared, used)
    assert declared in ("", "[faces]", "[pix2pix]"), declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_install_cell_names_no_repository_url(path):
    code = python_of(install_cell(path))
    literals = string_literals(code)
    assert 'REPO_URL = ""' in install_cell(path), "REPO_URL must be empty until the user sets it"
    # Comments may show the form of a URL; no string in the code may name a repository itself.
    assert not [value for value in literals if URL.search(value) and value != "git+"], literals


class _Recorder:
    """Stands in for IPython: records line magics with ``{name}`` expanded, as IPython expands them."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line.format_map(self.namespace)))


def run_install_cell(monkeypatch, repo_url: str):
    """Run the install cell as if on Colab (a stand-in ``google.colab``), without TensorFlow's import."""
    cell = (
        install_cell(NOTEBOOKS[0])
        .replace('REPO_URL = ""', f"REPO_URL = {repo_url!r}")
        .replace("DRIVE = True", "DRIVE = False")
    )
    setup = python_of(cell).split("import tensorflow as tf")[0]
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(Path, "mkdir", lambda self, **kwargs: None)
    namespace = {}
    recorder = _Recorder(namespace)
    namespace["get_ipython"] = lambda: recorder
    exec(setup, namespace)  # noqa: S102 (the notebook cell, run as the notebook would)
    return recorder.magics, namespace


def test_on_colab_the_cell_installs_from_repo_url(monkeypatch):
    magics, namespace = run_install_cell(monkeypatch, "https://github.com/someone/cvae_tf")
    assert magics == [("pip", 'install -q "cvae_tf @ git+https://github.com/someone/cvae_tf"')]
    assert namespace["ROOT"] == Path("/content")


def test_on_colab_without_repo_url_or_archive_the_cell_says_what_to_do(monkeypatch):
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter(()))
    with pytest.raises(RuntimeError, match="REPO_URL"):
        run_install_cell(monkeypatch, "")


def test_on_colab_an_uploaded_archive_installs_with_the_notebook_s_extra(monkeypatch):
    archive = Path("/content/cvae_tf.zip")
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter([archive] if pattern.endswith(".zip") else []))
    monkeypatch.setattr(Path, "resolve", lambda self: self)
    magics, _ = run_install_cell(monkeypatch, "")
    assert magics == [("pip", 'install -q "cvae_tf @ file:///content/cvae_tf.zip"')]
