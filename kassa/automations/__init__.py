"""Automations: the adapters around the pure definitions (kassa.domain.automations) and the engine."""
