"""Reading a user's 1D ReLU network from a file, for `fpcheck spectrum FILE` (`fpcheck.reports.spectrum_file`).

The network is read from
- an `.npz` archive with arrays W0, b0, W1, b1, … (W_l of shape (out, in), b_l of shape (out,), the
  torch nn.Linear layout), or
- a torch `state_dict` (any other suffix) of a Sequential of Linear layers, loaded with
  `torch.load(..., weights_only=True)` (no code from the file runs): keys `<name>.weight` and
  `<name>.bias` in the order of their names (numeric parts compared as numbers); a Linear without a
  bias gets a zero bias.
Hidden layers are read with a ReLU after each, the last layer as affine; the input must be 1-D and
the output 1-D (checked by `fpcheck.theory.relu_spectrum.linear_pieces`). Weights come back as float64
numpy arrays in the layout `fpcheck.theory.relu_spectrum` reads. torch is imported only to read a
state_dict. A file that cannot be read as a network raises `InputFileError` (a ValueError; the CLI exits 2).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from fpcheck.errors import InputFileError
from fpcheck.theory import relu_spectrum

Layers = tuple[list[np.ndarray], list[np.ndarray]]
MAX_FILE_BYTES = 1 << 30
MAX_ARRAY_VALUES = 1 << 26
"""Values per weight array beyond which a file is refused before reading it (512 MiB of float64)."""


def load_network(path: str | Path) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    """(weights, biases, format) of the network in `path`; InputFileError with a one-line message otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputFileError(f"{path} is larger than the limit of {MAX_FILE_BYTES >> 20} MiB")
    if path.suffix == ".npz":
        weights, biases = _from_npz(path)
        kind = "npz"
    else:
        weights, biases = _from_state_dict(path)
        kind = "state_dict"
    try:
        relu_spectrum.linear_pieces(weights, biases)
    except ValueError as error:
        raise InputFileError(f"{path}: {error}") from None
    return weights, biases, kind


def _from_npz(path: Path) -> Layers:
    arrays = load_npz_arrays(path)
    count = sum(1 for name in arrays if re.fullmatch(r"W\d+", name))
    expected = {f"{letter}{index}" for index in range(count) for letter in "Wb"}
    if count == 0:
        raise InputFileError(f"{path} has no weight arrays: expected keys W0, b0, W1, b1, … (found {sorted(arrays)})")
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        raise InputFileError(
            f"{path}: expected keys W0, b0, …, W{count - 1}, b{count - 1}; missing {missing}, unexpected {extra}"
        )
    return [arrays[f"W{i}"] for i in range(count)], [arrays[f"b{i}"] for i in range(count)]


def load_npz_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive (no pickles), each header checked against MAX_ARRAY_VALUES before it is
    read, and the file against MAX_FILE_BYTES; InputFileError with one line otherwise. The one reader of
    user .npz files (weights here, saved predictions for `fpcheck monitor`)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputFileError(f"{path} is larger than the limit of {MAX_FILE_BYTES >> 20} MiB")
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{path} is not a readable .npz archive (not a zip file; .npy files are not accepted)")
    try:
        with zipfile.ZipFile(path) as members:
            for member in members.infolist():
                _check_member(path, members, member)
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except InputFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputFileError(f"{path} is not a readable .npz archive ({_first_line(error)})") from None


def _check_member(path: Path, members: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Refuse an array whose header declares more than MAX_ARRAY_VALUES values, before it is allocated."""
    with members.open(member) as stream:
        try:
            major, _ = np.lib.format.read_magic(stream)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, _, _ = read_header(stream)  # the header only: nothing is allocated yet
        except Exception as error:  # an untrusted header fails in many ways (ValueError, EOFError, TokenError, …)
            raise InputFileError(f"{path}: {member.filename} is not a .npy array ({_first_line(error)})") from None
    values = int(np.prod(shape, dtype=np.float64))
    if values > MAX_ARRAY_VALUES:
        raise InputFileError(f"{path}: {member.filename} declares shape {shape}, more than the limit of "
                             f"{MAX_ARRAY_VALUES} values per array")


def _natural_key(name: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split("."))


def _from_state_dict(path: Path) -> Layers:
    import torch

    try:
        with warnings.catch_warnings():  # torch warns about refused or old pickles: the one line below says it
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a file that is not a safe state_dict
        reason = _first_line(error)
        raise InputFileError(f"{path} is not a torch state_dict loadable with weights_only=True ({reason})") from None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise InputFileError(f"{path} does not hold a state_dict (a mapping of names to tensors)")
    layers: dict[str, dict[str, Any]] = {}
    for key, tensor in state.items():
        prefix, _, field = str(key).rpartition(".")
        if field not in ("weight", "bias"):
            raise InputFileError(f"{path}: unexpected key {key!r}; only Linear layers (.weight, .bias) are supported")
        layers.setdefault(prefix, {})[field] = _plain_array(path, str(key), tensor)
    if not layers:
        raise InputFileError(f"{path}: the state_dict is empty")
    weights, biases = [], []
    for prefix in sorted(layers, key=_natural_key):
        parts = layers[prefix]
        if "weight" not in parts:
            raise InputFileError(f"{path}: layer {prefix!r} has a bias but no weight")
        if parts["weight"].ndim != 2:
            raise InputFileError(f"{path}: {prefix}.weight has shape {parts['weight'].shape}, not that of a Linear "
                                 "layer")
        weights.append(parts["weight"])
        biases.append(parts.get("bias", np.zeros(parts["weight"].shape[0])))
    return weights, biases


def _plain_array(path: Path, key: str, tensor: Any) -> np.ndarray:
    """A dense, real, floating-point CPU tensor as float64; anything else is refused by name (sparse, meta,
    quantized, complex, integer or bool tensors would be silently converted or fail inside torch)."""
    import torch

    if tensor.layout != torch.strided or tensor.is_quantized or tensor.device.type != "cpu" or tensor.is_nested:
        raise InputFileError(f"{path}: {key} is a {tensor.layout} / {tensor.device.type} / "
                             f"{'quantized' if tensor.is_quantized else tensor.dtype} tensor; only dense real "
                             "floating-point tensors are read")
    if not tensor.dtype.is_floating_point:
        raise InputFileError(f"{path}: {key} has dtype {tensor.dtype}; only real floating-point tensors are read")
    if tensor.numel() > MAX_ARRAY_VALUES:
        raise InputFileError(f"{path}: {key} holds {tensor.numel()} values, more than the limit of {MAX_ARRAY_VALUES}")
    return tensor.detach().to(torch.float64).numpy()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
