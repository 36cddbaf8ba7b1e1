import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    from_env = {line for line in pip_section if not line.startswith("-e")}
    assert from_env == set(project["dependencies"])


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"<!-- test-command -->\s*```bash\n(.+?)\n```", readme, re.S).group(1).strip()
    assert command in ci
    assert "cvae-tf" in project_scripts()


def project_scripts():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def test_code_passes_the_linter_and_the_formatter():
    import subprocess
    import sys

    folders = ["cvae_tf", "tests", "benchmarks", "scripts"]
    for command in (["check", "--select", "E,F,W", *folders], ["format", "--check", *folders]):
        result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def requirements_of_every_extra() -> list:
    """Every requirement of pyproject.toml: the dependencies and each extra's, the project itself left out."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + [line for extra in project["optional-dependencies"].values() for line in extra]
    return [Requirement(line) for line in lines if Requirement(line).name != project["name"]]


def test_the_constraints_pin_every_dependency_and_extra_within_its_range():
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin NAME==VERSION"
            pins[canonicalize_name(name)] = version.strip()
    for requirement in requirements_of_every_extra():
        name = canonicalize_name(requirement.name)
        assert name in pins, (
            f"constraints.txt pins no version of {requirement.name} (run scripts/refresh_constraints.sh)"
        )
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside pyproject.toml's {requirement}"
        )


def test_setup_installs_with_the_constraints():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "constraints.txt" in setup and '-c "$CONSTRAINTS"' in setup
