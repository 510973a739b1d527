"""Neuron dynamics: hand-computed values, equivalence with snnTorch's Leaky, the fused scan vs the autograd loop,
and surrogate gradients against their formulas."""

import math

import pytest
import torch

from spiketext.core import neurons
from spiketext.core.neurons import SURROGATES, lif_loop, lif_scan, spike, surrogate_grad
from spiketext.settings.config import SNNConfig as N  # the neurons' settings (β, θ, reset, surrogate, slope, U[0])


def test_if_neuron_hand_computed():
    # I = 0.4 every step, θ = 1, β = 1, subtract: U = 0.4, 0.8, 1.2 (spike), 0.6, 1.0 (no spike: H(0) = 0), 1.4 ...
    current = torch.full((6, 1), 0.4)
    assert lif_scan(current).flatten().tolist() == [0, 0, 1, 0, 0, 1]
    assert lif_loop(current).flatten().tolist() == [0, 0, 1, 0, 0, 1]


def test_lif_hand_computed_with_leak_and_zero_reset():
    # β = 0.5, I = 1.2: U = 1.2 (spike) -> zero reset: U = 0·0.5 + 1.2 = 1.2 (spike) ...
    current = torch.full((3, 1), 1.2)
    assert lif_scan(current, N(beta=0.5, reset="zero")).flatten().tolist() == [1, 1, 1]
    # subtract: U = 1.2 (spike), 0.5·1.2 + 1.2 − 1 = 0.8, 0.4 + 1.2 = 1.6 (spike)
    assert lif_scan(current, N(beta=0.5)).flatten().tolist() == [1, 0, 1]
    # θ = 2, β = 1: U = 1.2, 2.4 (spike), 1.6, 2.8 (spike)
    assert lif_scan(torch.full((4, 1), 1.2), N(threshold=2.0)).flatten().tolist() == [0, 1, 0, 1]


def test_rate_of_if_neuron_approaches_input():
    # An IF neuron with reset by subtraction fires at rate ≈ I/θ for 0 ≤ I ≤ θ.
    rates = lif_scan(torch.tensor([0.1, 0.25, 0.5, 0.9]).expand(1000, 4).clone()).mean(0)
    torch.testing.assert_close(rates, torch.tensor([0.1, 0.25, 0.5, 0.9]), atol=2e-3, rtol=0)


@pytest.mark.parametrize("beta", [1.0, 0.9, 0.5])
@pytest.mark.parametrize("threshold", [1.0, 0.5])
def test_matches_snntorch_leaky(beta, threshold):
    snn = pytest.importorskip("snntorch")
    from snntorch import surrogate

    g = torch.Generator().manual_seed(1)
    current = torch.rand(40, 3, 17, generator=g) * threshold * 1.5 - 0.1 * threshold
    weights = torch.randn(40, 3, 17, generator=g)
    lif = snn.Leaky(
        beta=beta, threshold=threshold, spike_grad=surrogate.fast_sigmoid(slope=25), reset_mechanism="subtract"
    )
    ref_in = current.clone().requires_grad_()
    mem = lif.init_leaky()
    out = []
    for t in range(current.shape[0]):
        s, mem = lif(ref_in[t], mem)
        out.append(s)
    ref = torch.stack(out)
    (ref * weights).sum().backward()
    ours_in = current.clone().requires_grad_()
    ours = lif_scan(ours_in, N(beta=beta, threshold=threshold))
    (ours * weights).sum().backward()
    assert torch.equal(ours, ref) and ref.sum() > 0
    torch.testing.assert_close(ours_in.grad, ref_in.grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("beta,reset", [(1.0, "subtract"), (0.8, "subtract"), (1.0, "zero"), (0.7, "zero")])
@pytest.mark.parametrize("surrogate", list(SURROGATES))
def test_fused_scan_equals_autograd_loop(beta, reset, surrogate):
    g = torch.Generator().manual_seed(2)
    current = torch.rand(25, 4, 9, generator=g) * 1.2
    w = torch.randn(25, 4, 9, generator=g)
    a, b = current.clone().requires_grad_(), current.clone().requires_grad_()
    sa = lif_scan(a, N(beta=beta, reset=reset, surrogate=surrogate, slope=5.0))
    sb = lif_loop(b, N(beta=beta, reset=reset, surrogate=surrogate, slope=5.0))
    (sa * w).sum().backward()
    (sb * w).sum().backward()
    assert torch.equal(sa, sb)
    torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cache_floats", [1, 100])  # one step per block; blocks of 2 steps with a partial last one
def test_blocked_backward_equals_autograd_loop(monkeypatch, cache_floats):
    monkeypatch.setattr(neurons, "_CACHE_FLOATS", cache_floats)
    g = torch.Generator().manual_seed(3)
    current = torch.rand(25, 4, 9, generator=g) * 1.2
    w = torch.randn(25, 4, 9, generator=g)
    for beta, reset in [(1.0, "subtract"), (0.7, "zero")]:
        a, b = current.clone().requires_grad_(), current.clone().requires_grad_()
        (lif_scan(a, N(beta=beta, reset=reset)) * w).sum().backward()
        (lif_loop(b, N(beta=beta, reset=reset)) * w).sum().backward()
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-5)


def test_bf16_scan_gradient_close_to_fp32():
    # bf16 saves U − θ in bf16: spikes stay exact, the surrogate's argument carries a 2⁻⁹ relative error.
    g = torch.Generator().manual_seed(5)
    current = (torch.rand(30, 64, generator=g) * 1.2).bfloat16().float()
    w = torch.randn(30, 64, generator=g)
    a, b = current.clone().requires_grad_(), current.bfloat16().requires_grad_()
    sa, sb = lif_scan(a), lif_scan(b)
    (sa * w).sum().backward()
    (sb.float() * w).sum().backward()
    assert torch.equal(sa, sb.float())
    torch.testing.assert_close(b.grad.float(), a.grad, atol=0.05, rtol=0.02)


def test_bf16_currents_integrate_in_fp32():
    # 0.001 per step: a bf16 membrane would stall near 0.25 (its spacing there is 0.002) and never fire.
    current = torch.full((1500, 1), 0.001, dtype=torch.bfloat16)
    s = lif_scan(current)
    assert s.dtype == torch.bfloat16 and s.sum() == 1 and s[:999].sum() == 0  # fp32: crosses θ near step 1000


@pytest.mark.parametrize(
    "kind,formula",
    [
        ("fast_sigmoid", lambda x, k: 1 / (1 + k * abs(x)) ** 2),
        ("arctan", lambda x, k: (k / 2) / (1 + (math.pi / 2 * k * x) ** 2)),
        ("sigmoid", lambda x, k: k * math.exp(-k * x) / (1 + math.exp(-k * x)) ** 2),
        ("triangle", lambda x, k: max(0.0, 1 - k * abs(x)) * k),
        ("straight_through", lambda x, k: 1.0),
    ],
)
def test_surrogate_gradients_match_formulas(kind, formula):
    xs = [-0.3, -0.05, 0.0, 0.02, 0.4]
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    s = spike(x, kind, 25.0)
    s.sum().backward()
    assert s.tolist() == [0, 0, 0, 1, 1]  # H(x) with H(0) = 0
    expected = [formula(v, 25.0) for v in xs]
    torch.testing.assert_close(x.grad, torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(surrogate_grad(x.detach(), kind, 25.0), torch.tensor(expected, dtype=torch.float64))


def test_fast_sigmoid_known_value():
    # k = 25, x = 0.04: 1 / (1 + 1)² = 0.25
    assert surrogate_grad(torch.tensor(0.04), "fast_sigmoid", 25.0).item() == pytest.approx(0.25)


@pytest.mark.parametrize("beta,reset", [(1.0, "subtract"), (0.8, "subtract"), (0.7, "zero")])
def test_initial_membrane_half_threshold(beta, reset):
    # U[0] = θ/2: the fused scan equals the loop (spikes and gradients) ...
    g = torch.Generator().manual_seed(4)
    current = torch.rand(20, 3, 7, generator=g) * 1.2
    w = torch.randn(20, 3, 7, generator=g)
    a, b = current.clone().requires_grad_(), current.clone().requires_grad_()
    sa = lif_scan(a, N(beta=beta, threshold=0.8, reset=reset, slope=5.0, init_membrane=0.5))
    sb = lif_loop(b, N(beta=beta, threshold=0.8, reset=reset, slope=5.0, init_membrane=0.5))
    (sa * w).sum().backward()
    (sb * w).sum().backward()
    assert torch.equal(sa, sb)
    torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-5)


def test_initial_membrane_turns_floor_into_round():
    # An IF neuron with a constant input c over T steps fires floor(T·c/θ) times from rest, round(T·c/θ) from θ/2.
    T, theta = 8, 1.0
    c = torch.tensor([0.0, 0.1, 0.3, 0.44, 0.56, 0.8, 1.0])
    current = c.expand(T, -1).clone()
    rest = lif_scan(current, N(threshold=theta)).sum(0)
    half = lif_scan(current, N(threshold=theta, init_membrane=0.5)).sum(0)
    assert rest.tolist() == torch.floor(T * c / theta - 1e-6).clamp_min(0).tolist()  # H(0) = 0: exact hits wait
    assert half.tolist() == torch.floor(T * c / theta + 0.5).clamp(0, T).tolist()
