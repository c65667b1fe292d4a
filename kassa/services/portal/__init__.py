"""The customer portal's use cases: links and visits (``sessions``), and what the portal pages
show and change, each through the same services as the API."""
