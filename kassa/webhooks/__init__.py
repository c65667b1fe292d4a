"""Webhook mechanics: signing (pure), the endpoint URL policy, and outgoing HTTP."""
