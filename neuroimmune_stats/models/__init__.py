"""Group models: ``lm`` (formula OLS with ANOVA, emmeans, contrasts) and ``group_compare``."""

from .group import group_compare
from .lm import LinearModel, lm

__all__ = ["LinearModel", "group_compare", "lm"]
