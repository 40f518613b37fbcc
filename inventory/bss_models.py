"""BSS tables (the BSS bridge's own data, kept in the one store): catalog and SLAs, customers
with billing accounts and contacts, product orders and their items, subscriptions (a
customer's product, realised by a service), service problems (outages), customer messages
and SLA credits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.choices import MessageState, OrderState, ProblemState
from inventory.domain import Secret
from inventory.fault_models import Service
from inventory.models import Base, _enum
from inventory.types import EncryptedSecret, UTCDateTime, utcnow

MONEY = Numeric(14, 2)


class Sla(Base):
    __tablename__ = "slas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    target_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    bands: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"below_pct": "99.9", "credit_pct": "10"}]
    cap_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(100))
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    exclude_planned: Mapped[bool] = mapped_column(Boolean, default=True)


class ProductOffering(Base):
    __tablename__ = "product_offerings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    service_model: Mapped[str] = mapped_column(String(64))
    # [{"name": "bandwidthMbps", "valueType": "integer", "required": true, "param": "bandwidth_mbps"}]
    characteristics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fixed_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    sla_id: Mapped[str | None] = mapped_column(ForeignKey("slas.id"), nullable=True)
    lifecycle_status: Mapped[str] = mapped_column(String(32), default="Active")

    sla: Mapped[Sla | None] = relationship()


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="approved")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    accounts: Mapped[list[BillingAccount]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[CustomerContact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class BillingAccount(Base):
    __tablename__ = "billing_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3))

    customer: Mapped[Customer] = relationship(back_populates="accounts")


class CustomerContact(Base):
    """Where a customer hears from us: an email address or a webhook (signed with its secret)."""

    __tablename__ = "customer_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook
    name: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(Text)  # the email address or the webhook URL
    secret: Mapped[Secret | None] = mapped_column(EncryptedSecret, nullable=True)  # webhook HMAC key

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class ProductOrder(Base):
    __tablename__ = "product_orders"
    __table_args__ = (
        UniqueConstraint("customer_id", "external_id", name="uq_order_external"),
        UniqueConstraint("idempotency_key", name="uq_order_idempotency"),
        Index("ix_product_orders_state", "state"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_digest: Mapped[str] = mapped_column(String(64))  # of the canonical request body
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    billing_account_id: Mapped[str | None] = mapped_column(ForeignKey("billing_accounts.id"), nullable=True)
    state: Mapped[OrderState] = mapped_column(
        _enum(OrderState, "order_state"), default=OrderState.ACKNOWLEDGED
    )
    order_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completion_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancellation_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the order as received (TMF622 shape)
    created_by: Mapped[str] = mapped_column(String(64), default="")

    items: Mapped[list[ProductOrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ProductOrderItem.id"
    )


class ProductOrderItem(Base):
    __tablename__ = "product_order_items"
    __table_args__ = (UniqueConstraint("order_id", "item_id", name="uq_order_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("product_orders.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # add | modify | delete
    offering_id: Mapped[str | None] = mapped_column(ForeignKey("product_offerings.id"), nullable=True)
    product_id: Mapped[str] = mapped_column(String(128))  # the product (= service external id)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the service parameters
    state: Mapped[OrderState] = mapped_column(
        _enum(OrderState, "order_item_state"), default=OrderState.ACKNOWLEDGED
    )
    transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    rollback_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    verify_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    order: Mapped[ProductOrder] = relationship(back_populates="items")
    offering: Mapped[ProductOffering | None] = relationship()


class Subscription(Base):
    """A customer's product, realised by a service: what is billed and what the SLA covers."""

    __tablename__ = "subscriptions"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(ForeignKey("billing_accounts.id"), nullable=True)
    offering_id: Mapped[str] = mapped_column(ForeignKey("product_offerings.id"))
    monthly_price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    service: Mapped[Service] = relationship()
    customer: Mapped[Customer] = relationship()
    offering: Mapped[ProductOffering] = relationship()


class ServiceProblem(Base):
    """One outage of one service (TMF656): opened by a root alarm that takes it down, resolved
    when its alarms clear."""

    __tablename__ = "service_problems"
    __table_args__ = (Index("ix_service_problems_open", "service_id", "state"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    state: Mapped[ProblemState] = mapped_column(
        _enum(ProblemState, "problem_state"), default=ProblemState.IN_PROGRESS
    )
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state_changed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alarm_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # underlyingAlarm
    root_alarm_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    service: Mapped[Service] = relationship()


class CustomerMessage(Base):
    """A TMF681 CommunicationMessage to one contact: exactly one per (problem, contact, kind)."""

    __tablename__ = "customer_messages"
    __table_args__ = (UniqueConstraint("dedup_key", name="uq_customer_message"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    problem_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_problems.id", ondelete="CASCADE"), nullable=True
    )
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_contacts.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # interrupted | restored | planned-work | planned-work-done
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[MessageState] = mapped_column(
        _enum(MessageState, "message_state"), default=MessageState.INITIAL
    )
    try_times: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class CreditRecord(Base):
    """A TMF678 AppliedCustomerBillingRate of type appliedBillingCredit. One per (problem,
    customer) for outages, recomputed in place (never duplicated); one per (service, month)
    for the month-end total."""

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_credit"),
        Index("ix_credits_month", "customer_id", "month"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # outage | month-end
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    billing_account_id: Mapped[str | None] = mapped_column(ForeignKey("billing_accounts.id"), nullable=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    problem_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_problems.id", ondelete="SET NULL"), nullable=True
    )
    month: Mapped[str] = mapped_column(String(7))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    unavailable_minutes: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    availability_pct: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    credit_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
