"""Muon on the parameters as a 1 x 2 matrix: torch's Newton-Schulz in bfloat16, bit for bit, and
what it leaves on two parameters (a normalised Nesterov step); offered only by its lesson."""

import numpy as np
import pytest

import optviz
from optviz.core.optimizers import OPTIMIZERS
from optviz.core.optimizers.orthogonal import bfloat16, newton_schulz
from optviz.core.optimizers.wrappers import BASES
from tests.core.test_against_torch import DATA


@pytest.mark.parametrize(("steps", "eps"), [(5, 1e-7), (2, 1e-3)])
def test_newton_schulz_is_torchs_in_bfloat16_bit_for_bit(steps, eps):
    matrices = DATA["ns_in"]  # 4,000 1 x 2 matrices, 1e-12 to 1e12, zeros, norms below eps
    ours = newton_schulz(matrices.T.copy(), steps, eps).T
    np.testing.assert_array_equal(ours, DATA[f"ns_out_{steps}_{eps:g}"])


def test_bfloat16_rounds_to_nearest_even_and_keeps_nan_and_infinity():
    values = np.array([1.0, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 1.0 + 2**-9, 3.4e38, np.inf, -np.inf, np.nan], np.float32)
    rounded = bfloat16(values)
    assert rounded[:4].tolist() == [1.0, 1.0, 1.0 + 2**-6, 1.0]  # ties to the even mantissa
    assert rounded[4] == np.inf  # past bfloat16's largest finite value
    assert rounded[5] == np.inf
    assert rounded[6] == -np.inf
    assert np.isnan(rounded[7])


def test_on_two_parameters_muon_is_a_normalised_nesterov_step():
    lr, mu = 0.05, 0.95
    t = optviz.run("muon", "valley", start=(-2.5, 1.0), steps=100, lr=lr, weight_decay=0.0, record="state")
    steps = np.diff(t.points, axis=0)
    lengths = np.linalg.norm(steps, axis=1) / lr
    assert lengths.min() > 0.67
    assert lengths.max() < 0.73  # every step about 0.69 lr long, however steep the surface
    buffer, blend = np.zeros(2), []
    for g in t.grads[
        :-1
    ]:  # each step's gradient, at the point it started from. Nesterov's update in float64: torch's lerp, then the look-ahead
        buffer = buffer + (1 - mu) * (g - buffer)
        blend.append(g + mu * (buffer - g))
    direction = -np.array(blend) / np.linalg.norm(blend, axis=1)[:, None]
    cosines = np.sum(direction * steps, axis=1) / np.linalg.norm(steps, axis=1)
    assert cosines.min() > 0.9999  # its direction, to bfloat16's precision


def test_muon_refuses_a_network_and_is_offered_only_by_its_lesson():
    with pytest.raises(ValueError, match="1 × 2 matrix"):
        OPTIMIZERS["muon"].init(np.zeros((5, 1)), OPTIMIZERS["muon"].defaults())
    assert not OPTIMIZERS["muon"].listed
    assert "muon" not in BASES
    assert all(spec.listed for name, spec in OPTIMIZERS.items() if name != "muon")
