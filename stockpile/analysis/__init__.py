"""Analyses built on the solve pipeline: comparisons of modes, evaluation of fixed plans,
baselines and frontiers."""
