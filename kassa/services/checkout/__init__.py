"""Hosted checkout: sessions made through the API (``sessions``) and the page's completion."""
