"""Runs: the run folder and its ledger (lock, restart, resume), each model family's stages in their declared
order, training loops, seeds, sweeps and executors (in-process, processes, Ray), saved runs, and the verbs on them
(evaluate, energy, attack, NIR export). May import everything below (`settings`, `data`, `core`, `energy`,
`attacks`); never `api` or `cli`."""
