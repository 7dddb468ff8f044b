"""The partnership's framework as data: models, and loading them from YAML files."""

from qaframework.framework.loading import Framework, load_framework

__all__ = ["Framework", "load_framework"]
