"""The demo study that ``make run`` loads, built from a real thesis (study-003, shipped as JSON beside this module)."""
