"""Adapters to outside services (payment providers), each behind a small protocol the services
use, handed to them by ``kassa.bootstrap``."""
