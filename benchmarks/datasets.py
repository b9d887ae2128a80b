"""The fixed, seeded datasets the scenarios run on: the mock's preset M (some counts replaced) scaled by a factor."""

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
    """The mock's preset M with every count multiplied by `scale` (at least 1 of each type).

    `overrides` replace preset M's counts before scaling; `types` are what an extract of this
    dataset backs up (empty: every type).
    """

    name: str
    scale: float
    overrides: tuple[tuple[str, int], ...] = ()
    types: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Objects per content type, as given to `mock serve --count`."""
        base = {**PRESETS[_BASE_PRESET], **dict(self.overrides)}
        return {
            name: n if name in _PER_PARENT else max(1, round(n * self.scale))
            for name, n in base.items()
        }

    def serve_args(self) -> list[str]:
        """The `mock serve` flags that generate this dataset."""
        args = ["--preset", _BASE_PRESET, "--seed", str(SEED)]
        if self.scale != 1 or self.overrides:
            for name, n in self.counts().items():
                args += ["--count", f"{name}={n}"]
        return args

    def describe(self) -> dict[str, object]:
        """Name, scale, seed and counts, as written into the results."""
        out: dict[str, object] = {"name": self.name, "scale": self.scale, "seed": SEED}
        if self.types:
            out["types"] = list(self.types)
        return out | {"counts": self.counts()}


# S1's second dataset: large items, few requests (issue 12 section 2). Preset M's other types
# are still served; the extract backs up only these two.
_DASHBOARDS_USERS = {"overrides": (("dashboards", 10_000),), "types": ("dashboards", "users")}

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
        Dataset("DU", 1.0, **_DASHBOARDS_USERS),
        Dataset("DU/400", 0.0025, **_DASHBOARDS_USERS),
    )
}


def dataset(name: str) -> Dataset:
    """The dataset called `name` (KeyError when unknown)."""
    return DATASETS[name]
