"""All ORM models, imported so that `Base.metadata` holds every table (Alembic's autogenerate target)."""

from .base import NAMING_CONVENTION, Base, TimestampMixin
from .models import AuditLog, Bot, FreqAIModel, HyperoptResult, Strategy, StrategyBacktestResult, User

__all__ = [
    "NAMING_CONVENTION",
    "AuditLog",
    "Base",
    "Bot",
    "FreqAIModel",
    "HyperoptResult",
    "Strategy",
    "StrategyBacktestResult",
    "TimestampMixin",
    "User",
]
