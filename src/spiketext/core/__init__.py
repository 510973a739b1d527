"""Core: neurons and surrogate gradients, input codes, the model families (the TextCNN and its SNN, the transformer
and its spiking twin), conversion, checkpoints, inference bundles, NIR export, seeded runtime helpers. May import
`settings` and `data` (and the top-level `errors`, `io`, `stats`, `viz`), never energy, attacks, runs, api or cli."""
