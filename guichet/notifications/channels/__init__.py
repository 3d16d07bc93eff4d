"""Delivery channels. Each is a small class with the same interface; adding one touches nothing else."""

from guichet.notifications.channels.base import ChannelBackend, DeliveryError, backend_for

__all__ = ["ChannelBackend", "DeliveryError", "backend_for"]
