"""Energy: operation counters, the reviewer's accounting (constants with their sources), the reports of both model
families and their files. May import `settings`, `data` and `core`; never attacks, runs, api or cli."""
