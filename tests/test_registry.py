"""The model registry (spiketext.core.models.registry): checkpoint JSON round trips and validation."""

import dataclasses

import pytest

from spiketext.settings.config import SNNConfig


def test_registry_round_trip_and_validation():
    from spiketext.core.frontend import FrontEnd
    from spiketext.core.models.registry import Architecture, build_model, snn_from_json
    from spiketext.errors import SpiketextError

    arch = Architecture(dim=6, num_classes=3, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4)
    assert Architecture.from_json(arch.to_json(), "x") == arch
    spec = SNNConfig(8, 0.9, 0.7, "zero", "arctan", 2.0, "regular", 0.5)
    assert snn_from_json(dataclasses.asdict(spec), "x") == spec
    snn = build_model("snn", arch, spec)
    assert snn.out_neuron.params is spec is snn.snn and snn.input_code == "regular" and snn.snn.input_scale == 0.5
    with pytest.raises(SpiketextError, match=r"m.json: setting snn.surrogate: 'bogus' is not a known surrogate"):
        snn_from_json({**dataclasses.asdict(spec), "surrogate": "bogus"}, "m.json")
    with pytest.raises(SpiketextError, match=r"m.json: setting snn.beta: 1.5 must lie in \(0, 1\]"):
        snn_from_json({**dataclasses.asdict(spec), "beta": 1.5}, "m.json")
    with pytest.raises(SpiketextError, match="dim = -3 is not a positive integer"):
        Architecture.from_json({**arch.to_json(), "dim": -3}, "m.json")
    signed = Architecture(dim=6, num_classes=3, input_domain="signed")
    assert Architecture.from_json(signed.to_json(), "x") == signed
    assert build_model("snn", signed, spec).input_domain == "signed" == build_model("tailored_cnn", signed).input_domain
    old = {k: v for k, v in arch.to_json().items() if k != "input_domain"}  # checkpoints from before the field
    assert Architecture.from_json(old, "x").input_domain == "positive"
    with pytest.raises(SpiketextError, match="activation 'qcfs' with 0 levels"):
        Architecture(dim=6, num_classes=3, activation="qcfs")  # built in code: checked by the value itself
    with pytest.raises(SpiketextError, match=r"m.json: activation 'qcfs' with 0 levels.*checkpoint is damaged"):
        Architecture.from_json({**arch.to_json(), "activation": "qcfs"}, "m.json")
    with pytest.raises(SpiketextError, match="input_domain = 'both' is not positive or signed"):
        Architecture.from_json({**arch.to_json(), "input_domain": "both"}, "m.json")
    noisy = SNNConfig(8, encoder="ttfs", input_noise=0.2)
    assert snn_from_json(dataclasses.asdict(noisy), "x") == noisy
    assert FrontEnd.of_snn("positive", noisy).stochastic and not FrontEnd.of_snn("positive", spec).stochastic
    assert build_model("snn", signed, noisy).stochastic
    no_noise = {k: v for k, v in dataclasses.asdict(noisy).items() if k != "input_noise"}  # older checkpoints
    assert snn_from_json(no_noise, "x").input_noise == 0.0
    with pytest.raises(SpiketextError, match="snn.input_noise: -1.0 must lie in"):
        snn_from_json({**dataclasses.asdict(noisy), "input_noise": -1}, "m.json")
    with pytest.raises(SpiketextError, match="snn.encoder: 'morse' is not a known input code"):
        build_model("snn", arch, SNNConfig(encoder="morse"))  # an SNN built in code checks its components too
    with pytest.raises(SpiketextError, match="m.json: setting snn.encoder: 'morse' is not a known input code"):
        snn_from_json({**dataclasses.asdict(noisy), "encoder": "morse"}, "m.json")
