"""The preset scenarios shipped in ``sample_data/scenarios``."""

from __future__ import annotations

from pathlib import Path

from ..model.scenario import Scenario, load_scenario

PRESET_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "scenarios"
DEFAULT_PRESET = "saas_mid_market"


def preset_path(key: str) -> Path:
    """Path of a preset by its file stem (``saas_mid_market``)."""
    path = PRESET_DIR / f"{key}.toml"
    if not path.is_file():
        raise KeyError(f"no preset {key!r}; presets are {', '.join(list_presets())}")
    return path


def list_presets() -> list[str]:
    """File stems of every preset, the default first."""
    keys = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))
    return sorted(keys, key=lambda k: k != DEFAULT_PRESET)


def load_preset(key: str = DEFAULT_PRESET) -> Scenario:
    return load_scenario(preset_path(key))


def preset_titles() -> dict[str, str]:
    """``{key: scenario name}`` for every preset, the default first."""
    return {key: load_preset(key).name for key in list_presets()}
