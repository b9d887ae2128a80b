"""The fixed, seeded datasets the scenarios run on: the mock's preset M scaled by a factor."""

from __future__ import annotations

from dataclasses import dataclass

from lookervault.mock.data import PRESETS

__all__ = ["DATASETS", "SEED", "Dataset", "dataset"]

SEED = 0  # seed of the generated data and of every mock knob, for every scenario
_BASE_PRESET = "M"
# "explores" is per model in the mock, so scaling the number of models scales explores too.
_PER_PARENT = frozenset({"explores"})


@dataclass(frozen=True)
class Dataset:
    """The mock's preset M with every count multiplied by `scale` (at least 1 of each type)."""

    name: str
    scale: float

    def counts(self) -> dict[str, int]:
        """Objects per content type, as given to `mock serve --count`."""
        base = PRESETS[_BASE_PRESET]
        return {
            name: n if name in _PER_PARENT else max(1, round(n * self.scale))
            for name, n in base.items()
        }

    def serve_args(self) -> list[str]:
        """The `mock serve` flags that generate this dataset."""
        args = ["--preset", _BASE_PRESET, "--seed", str(SEED)]
        if self.scale != 1:
            for name, n in self.counts().items():
                args += ["--count", f"{name}={n}"]
        return args

    def describe(self) -> dict[str, object]:
        """Name, scale, seed and counts, as written into the results."""
        return {"name": self.name, "scale": self.scale, "seed": SEED, "counts": self.counts()}


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("5M", 5.0),
        Dataset("M", 1.0),
        Dataset("M/10", 0.1),
        Dataset("M/40", 0.025),
        Dataset("M/100", 0.01),
        Dataset("M/400", 0.0025),
        Dataset("5M/400", 0.0125),
    )
}


def dataset(name: str) -> Dataset:
    """The dataset called `name` (KeyError when unknown)."""
    return DATASETS[name]
