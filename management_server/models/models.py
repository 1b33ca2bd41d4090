"""ORM models of the management server: users, bots, strategies, audit logs, FreqAI models and results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Double, ForeignKey, Integer, String, Text, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin

# Double, not Float: MySQL's FLOAT is 4 bytes and would round stakes and profits (0.05 -> 0.0500000007).


class User(TimestampMixin, Base):
    """A person who logs in to the management server."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    hashed_password: Mapped[str] = mapped_column(String(200), nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    bots: Mapped[list[Bot]] = relationship(back_populates="owner", foreign_keys="Bot.created_by")
    strategies: Mapped[list[Strategy]] = relationship(back_populates="author")


class FreqAIModel(TimestampMixin, Base):
    """A FreqAI model trained by a Celery task, with its backtest results."""

    __tablename__ = "freqai_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    celery_task_id: Mapped[str | None] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(String(255))
    model_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending", server_default=text("'pending'"))
    backtest_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    bots: Mapped[list[Bot]] = relationship(back_populates="freqai_model")


class Bot(TimestampMixin, Base):
    """A Freqtrade bot process managed by the server."""

    __tablename__ = "bots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    strategy_name: Mapped[str] = mapped_column(String(100), nullable=False)
    exchange: Mapped[str] = mapped_column(String(50), nullable=False)
    stake_currency: Mapped[str | None] = mapped_column(String(10))
    stake_amount: Mapped[float | None] = mapped_column(Double)
    max_open_trades: Mapped[int] = mapped_column(Integer, nullable=False, default=3, server_default=text("3"))
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="stopped", server_default=text("'stopped'"))
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    restart_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    freqai_model_id: Mapped[int | None] = mapped_column(ForeignKey("freqai_models.id"), nullable=True)
    total_trades: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    profitable_trades: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    total_profit: Mapped[float] = mapped_column(Double, nullable=False, default=0.0, server_default=text("0"))
    max_drawdown: Mapped[float] = mapped_column(Double, nullable=False, default=0.0, server_default=text("0"))

    owner: Mapped[User] = relationship(back_populates="bots", foreign_keys=[created_by])
    freqai_model: Mapped[FreqAIModel | None] = relationship(back_populates="bots")


class Strategy(TimestampMixin, Base):
    """A trading strategy's source code and parameters, versioned."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    version: Mapped[str] = mapped_column(String(20), nullable=False, default="1.0.0", server_default=text("'1.0.0'"))
    tags: Mapped[list[str] | None] = mapped_column(JSON)

    author: Mapped[User] = relationship(back_populates="strategies")


class AuditLog(TimestampMixin, Base):
    """One request to the server's API: who, from where, what, and the outcome."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    username: Mapped[str | None] = mapped_column(String(50), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    http_method: Mapped[str | None] = mapped_column(String(10), index=True)
    path: Mapped[str | None] = mapped_column(String(255), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class _TaskResult(TimestampMixin):
    """Columns shared by the results of Celery backtest and hyperopt tasks."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    celery_task_id: Mapped[str | None] = mapped_column(String(100), index=True)
    strategy_name: Mapped[str] = mapped_column(String(100), nullable=False)
    bot_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending", server_default=text("'pending'"))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class StrategyBacktestResult(_TaskResult, Base):
    """The result of one backtest run."""

    __tablename__ = "strategy_backtest_results"


class HyperoptResult(_TaskResult, Base):
    """The result of one hyperparameter optimisation run."""

    __tablename__ = "hyperopt_results"
