"""The data sets of the high-dimensional F-Principle experiments (Xu et al. 2019, arXiv:1901.06523).

Everything here is real data shipped inside an installed package or generated from a seed: nothing
is downloaded.

- `digits`: scikit-learn's bundled handwritten digits (1797 images of 8 × 8 pixels, 64 features);
- `mnist1d`: the `mnist1d` package's procedural generator (`make_dataset`, Greydanus 2020), whose
  defaults give the published 4000 training examples of length 40;
- `labelled_data`: either of the two by name (the `dataset` field of a filtering setup);
- `parity_cube`: every point of {-1, 1}^n with its parity label (Xu et al. 2019, parity; seed 001);
- `photograph`: a grey-level photograph shipped with scikit-learn (`china.jpg`, `flower.jpg`),
  downsampled by area averaging;
- `clustered_gaussians`: a synthetic high-dimensional set (Gaussian clusters) to scale n and d up
  in the filtering benchmark.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from fpcheck.empirics.seeding import numpy_rng

MNIST1D_PUBLISHED_SEED = 42  # the seed of mnist1d's default arguments (its published data set)
SAMPLE_IMAGES = ("china.jpg", "flower.jpg")


@dataclass(frozen=True)
class LabelledData:
    """Inputs (n, d) float64, integer class labels (n,) and the number of classes."""

    inputs: np.ndarray
    labels: np.ndarray
    classes: int

    def __post_init__(self) -> None:
        self.inputs.setflags(write=False)  # shared by the cache of the loaders below
        self.labels.setflags(write=False)

    @property
    def one_hot(self) -> np.ndarray:
        """The labels as one-hot rows (n, classes) float64: the regression target of a classifier."""
        return np.eye(self.classes)[self.labels]


@functools.lru_cache(maxsize=1)
def digits() -> LabelledData:
    """scikit-learn's bundled digits, pixel values scaled from 0 … 16 to [0, 1] (cached, read-only)."""
    from sklearn.datasets import load_digits

    inputs, labels = load_digits(return_X_y=True)
    return LabelledData(inputs.astype(np.float64) / 16.0, labels.astype(np.int64), 10)


@functools.lru_cache(maxsize=2)
def mnist1d(seed: int = MNIST1D_PUBLISHED_SEED) -> LabelledData:
    """The training split of mnist1d generated procedurally (4000 × 40 with the package defaults; cached).

    `mnist1d.data.make_dataset` seeds numpy's global generator; its state is restored afterwards so
    that generating the data never changes other code's random numbers. No download happens:
    `make_dataset` builds the examples from the package's ten templates.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"the mnist1d seed must be a non-negative integer, not {seed!r}")
    args = get_dataset_args()
    args.seed = int(seed)
    state = np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    return LabelledData(np.asarray(data["x"], dtype=np.float64), np.asarray(data["y"], dtype=np.int64), 10)


LABELLED_DATA = ("digits", "mnist1d")


def labelled_data(name: str) -> LabelledData:
    """The labelled data set called `name` ("digits" or "mnist1d" with its published seed; cached)."""
    if name == "digits":
        return digits()
    if name == "mnist1d":
        return mnist1d()
    raise ValueError(f"the labelled data set must be one of {', '.join(LABELLED_DATA)}, not {name!r}")


def parity_cube(bits: int, degree: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 2^bits points of {-1, 1}^bits (rows, in binary counting order) and their parity Π_i x_i.

    The parity is +1 when the number of -1 entries is even and -1 when it is odd (seed 001). With
    `degree` d < bits the labels are the parity of the first d bits only, Π_{i≤d} x_i (d = 1: y = x_1).
    """
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or not 1 <= bits <= 20:
        raise ValueError(f"the number of bits must be an integer in 1 … 20, not {bits!r}")
    degree = bits if degree is None else degree
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer) or not 1 <= degree <= bits:
        raise ValueError(f"the degree must be an integer in 1 … {bits}, not {degree!r}")
    codes = np.arange(2**bits)[:, None] >> np.arange(bits - 1, -1, -1)[None, :] & 1
    points = 1.0 - 2.0 * codes
    return points, np.prod(points[:, :degree], axis=1)


def training_half(size: int, seed: int) -> np.ndarray:
    """A random half of range(size) (sorted indices), drawn from the seed's "split" stream."""
    if size < 2:
        raise ValueError(f"a training half needs at least 2 points, not {size}")
    return np.sort(numpy_rng(seed, "split").permutation(size)[: size // 2])


def photograph(name: str = "china.jpg", shape: tuple[int, int] = (32, 48)) -> np.ndarray:
    """A sample photograph of scikit-learn in grey levels in [0, 1], downsampled to `shape` (rows, columns).

    The colour image is converted to luma (ITU-R 601-2, Pillow's "L" mode) and resized by area
    averaging (Pillow's BOX filter), so each pixel is the mean grey level of the block it covers.
    """
    from PIL import Image
    from sklearn.datasets import load_sample_image

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"photograph must be one of {', '.join(SAMPLE_IMAGES)}, not {name!r}")
    rows, columns = (int(size) for size in shape)
    if rows < 2 or columns < 2:
        raise ValueError(f"the downsampled shape needs at least 2 × 2 pixels, not {shape}")
    grey = Image.fromarray(load_sample_image(name)).convert("L")
    if rows > grey.height or columns > grey.width:
        raise ValueError(f"cannot downsample a {grey.height} × {grey.width} photograph to {rows} × {columns}")
    return np.asarray(grey.resize((columns, rows), Image.Resampling.BOX), dtype=np.float64) / 255.0


def clustered_gaussians(n: int, dimension: int, seed: int, clusters: int = 10, spread: float = 0.5) -> np.ndarray:
    """n float32 points in R^dimension: `clusters` unit-normal centres, each point a centre + N(0, spread²).

    A CIFAR-sized stand-in (dimension 3072) to scale n up in the filtering benchmark.
    """
    if min(n, dimension, clusters) < 1 or not spread > 0:
        raise ValueError(f"need n, dimension, clusters ≥ 1 and spread > 0, not {n}, {dimension}, {clusters}, {spread}")
    rng = numpy_rng(seed, "clustered_gaussians")
    centres = rng.standard_normal((clusters, dimension), dtype=np.float32)
    points = rng.standard_normal((n, dimension), dtype=np.float32)
    points *= np.float32(spread)
    points += centres[rng.integers(0, clusters, size=n)]
    return points
