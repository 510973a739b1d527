"""Settings: typed, self-validating dataclasses for every setting (data, models, SNN, training, the transformer
family, runs), the presets, the verbs' typed values, YAML/JSON reading. The lowest layer: imports nothing of
spiketext but `errors` and `io`, and no torch, so a configuration is parsed and checked before the heavy imports."""
