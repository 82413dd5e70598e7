"""The reference apps parts: settings, model calls, the apps tool, and one module per route."""
