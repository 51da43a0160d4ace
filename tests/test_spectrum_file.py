"""fpcheck.empirics.weights_file and fpcheck.reports.spectrum_file: loading a user's network (.npz, torch
state_dict), the summary, bad files; the summary of an .npz file needs no torch.

Oracles: the torch module itself (its forward pass against the pieces found in the file), numeric
quadrature of the torch network for |c_k|, and the same network saved in both formats.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import integrate

from fpcheck.empirics.weights_file import load_network
from fpcheck.errors import BadArgument, InputFileError
from fpcheck.reports.spectrum_file import format_summary, summarise
from fpcheck.theory import relu_spectrum


def make_module(seed: int = 0) -> torch.nn.Sequential:
    generator = torch.Generator().manual_seed(seed)
    module = torch.nn.Sequential(
        torch.nn.Linear(1, 12), torch.nn.ReLU(), torch.nn.Linear(12, 12), torch.nn.ReLU(), torch.nn.Linear(12, 1)
    ).double()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
    return module


def save_npz(path, module):
    linears = [layer for layer in module if isinstance(layer, torch.nn.Linear)]
    arrays = {}
    for index, layer in enumerate(linears):
        arrays[f"W{index}"] = layer.weight.detach().numpy()
        arrays[f"b{index}"] = layer.bias.detach().numpy()
    np.savez(path, **arrays)


def test_state_dict_summary_matches_the_torch_module(tmp_path):
    module = make_module()
    path = tmp_path / "net.pt"
    torch.save(module.state_dict(), path)
    summary = summarise(path, kmax=8)
    weights, biases, kind = load_network(path)
    assert kind == "state_dict" and summary["layers"] == [[12, 1], [12, 12], [1, 12]]
    # the kinks and slopes read from the file describe the torch module itself
    pieces = relu_spectrum.linear_pieces(weights, biases)
    x = np.linspace(0, 1, 2001)
    with torch.no_grad():
        expected = module(torch.tensor(x[:, None])).numpy()[:, 0]
    np.testing.assert_allclose(pieces(x), expected, atol=1e-12 * (1 + np.abs(expected).max()))
    assert summary["pieces"] == len(summary["kinks"]) + 1 == pieces.n_pieces
    # |c_k| against quadrature of the torch network, split at the kinks
    edges = [0.0, *summary["kinks"], 1.0]

    def f(t):
        with torch.no_grad():
            return float(module(torch.tensor([[t]], dtype=torch.float64))[0, 0])

    for k in (1, 5):
        re = sum(integrate.quad(lambda t, k=k: f(t) * np.cos(2 * np.pi * k * t), a, b)[0]
                 for a, b in zip(edges[:-1], edges[1:], strict=True))
        im = sum(integrate.quad(lambda t, k=k: -f(t) * np.sin(2 * np.pi * k * t), a, b)[0]
                 for a, b in zip(edges[:-1], edges[1:], strict=True))
        assert abs(summary["abs_coefficient"][k - 1] - abs(complex(re, im))) < 1e-10
    assert all(a <= b * (1 + 1e-12) for a, b in zip(summary["abs_coefficient"], summary["decay_bound"], strict=True))
    assert all(a <= b for a, b in zip(summary["decay_bound"], summary["weight_bound"], strict=True))
    assert abs(summary["fitted_slope"] + 2) < 0.15
    assert summary["f_at_0"] == pytest.approx(f(0.0), abs=1e-12)
    assert summary["f_at_1"] == pytest.approx(f(1.0), abs=1e-12)


def test_npz_and_state_dict_give_the_same_summary(tmp_path):
    module = make_module(seed=1)
    torch.save(module.state_dict(), tmp_path / "net.pth")
    save_npz(tmp_path / "net.npz", module)
    from_npz, from_torch = summarise(tmp_path / "net.npz", 5), summarise(tmp_path / "net.pth", 5)
    assert from_npz["format"] == "npz"
    for key in ("pieces", "kinks", "abs_coefficient", "decay_bound", "weight_bound", "fitted_slope"):
        assert from_npz[key] == from_torch[key]


def test_summary_is_json_and_prints(tmp_path):
    save_npz(tmp_path / "net.npz", make_module(seed=2))
    summary = summarise(tmp_path / "net.npz", kmax=4)
    assert json.loads(json.dumps(summary))["k"] == [1, 2, 3, 4]
    text = format_summary(summary)
    assert "linear pieces on [0, 1]" in text and "exact-kink bound" in text
    assert len(text.splitlines()) == 9 + 4


def test_nested_module_names_are_ordered_numerically(tmp_path):
    """Layers named 2, 10 must come in that order (a string sort would put 10 first)."""
    layers = {"net.2.weight": torch.ones(3, 1), "net.2.bias": torch.zeros(3),
              "net.10.weight": torch.ones(1, 3), "net.10.bias": torch.zeros(1)}
    torch.save(layers, tmp_path / "nested.pt")
    weights, _, _ = load_network(tmp_path / "nested.pt")
    assert [w.shape for w in weights] == [(3, 1), (1, 3)]


def test_linear_without_bias_gets_zero_bias(tmp_path):
    module = torch.nn.Sequential(torch.nn.Linear(1, 4, bias=False), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    torch.save(module.state_dict(), tmp_path / "nobias.pt")
    _, biases, _ = load_network(tmp_path / "nobias.pt")
    np.testing.assert_array_equal(biases[0], np.zeros(4))


def test_a_straight_network_has_no_fitted_slope(tmp_path):
    np.savez(tmp_path / "line.npz", W0=np.array([[1.0]]), b0=np.array([1.0]), W1=np.array([[2.0]]), b1=np.array([0.0]))
    summary = summarise(tmp_path / "line.npz", kmax=3)
    assert summary["pieces"] == 1 and summary["fitted_slope"] is None
    assert "n/a" in format_summary(summary)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("gap.npz", {"W0": np.ones((2, 1)), "b0": np.zeros(2), "W2": np.ones((1, 2)), "b2": np.zeros(1)}, "missing"),
        ("none.npz", {"weights": np.ones(3)}, "no weight arrays"),
        ("nan.npz", {"W0": np.array([[np.nan]]), "b0": np.zeros(1), "W1": np.ones((1, 1)), "b1": np.zeros(1)}, "NaN"),
        ("two_in.npz", {"W0": np.ones((2, 2)), "b0": np.zeros(2), "W1": np.ones((1, 2)), "b1": np.zeros(1)}, "1-D"),
        ("two_out.npz", {"W0": np.ones((2, 1)), "b0": np.zeros(2), "W1": np.ones((2, 2)), "b1": np.zeros(2)},
         "1 output"),
        ("shapes.npz", {"W0": np.ones((2, 1)), "b0": np.zeros(3), "W1": np.ones((1, 2)), "b1": np.zeros(1)},
         "biases\\[0\\] has shape"),
    ],
)
def test_bad_npz_files(tmp_path, name, content, message):
    np.savez(tmp_path / name, **content)
    with pytest.raises(InputFileError, match=message):
        summarise(tmp_path / name)


def test_bad_files(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        summarise(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="not a readable .npz"):
        summarise(tmp_path / "junk.npz")
    (tmp_path / "junk.pt").write_bytes(b"not a pickle")
    with pytest.raises(InputFileError, match="weights_only=True"):
        summarise(tmp_path / "junk.pt")
    torch.save(make_module(), tmp_path / "whole_module.pt")  # a pickled module, not a state_dict
    with pytest.raises(InputFileError, match="weights_only=True"):
        summarise(tmp_path / "whole_module.pt")
    norm = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.BatchNorm1d(2), torch.nn.Linear(2, 1))
    torch.save(norm.state_dict(), tmp_path / "norm.pt")
    with pytest.raises(InputFileError, match="unexpected key"):
        summarise(tmp_path / "norm.pt")
    torch.save({"0.bias": torch.zeros(2)}, tmp_path / "bias_only.pt")
    with pytest.raises(InputFileError, match="no weight"):
        summarise(tmp_path / "bias_only.pt")
    torch.save([torch.zeros(2)], tmp_path / "list.pt")
    with pytest.raises(InputFileError, match="state_dict"):
        summarise(tmp_path / "list.pt")


@pytest.mark.parametrize("kmax", [0, -3, 2.5, True])
def test_bad_kmax(tmp_path, kmax):
    save_npz(tmp_path / "net.npz", make_module())
    with pytest.raises(BadArgument, match="kmax"):
        summarise(tmp_path / "net.npz", kmax=kmax)


def test_an_npz_summary_imports_no_torch(tmp_path):
    """The verdict layer's `spectrum` command reads an .npz without torch; only a state_dict needs it."""
    save_npz(tmp_path / "net.npz", make_module())
    code = ("import sys\nfrom fpcheck.reports.spectrum_file import summarise\n"
            f"summary = summarise({str(tmp_path / 'net.npz')!r}, kmax=4)\n"
            "print(summary['format'], 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert done.stdout.split() == ["npz", "False"], done.stderr


def test_a_bad_file_is_bad_input_for_the_cli(tmp_path):
    """Exit 2 with one line naming the file, not the exit 3 of a bug."""
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    done = subprocess.run([sys.executable, "-m", "fpcheck.reports.cli", "spectrum", str(tmp_path / "junk.npz")],
                          capture_output=True, text=True, cwd="/")
    assert done.returncode == 2 and "not a readable .npz" in done.stderr and len(done.stderr.splitlines()) == 1
