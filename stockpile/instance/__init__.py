"""Instances: the schema, the cross-field rules, loading and hashing."""

from .load import content_hash, dump_yaml, load, parse
from .schema import Instance
from .validate import InstanceError, Problem

__all__ = ["Instance", "InstanceError", "Problem", "content_hash", "dump_yaml", "load", "parse"]
