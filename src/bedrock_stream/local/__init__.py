"""The local stack: emulators that speak AWS's real wire formats on loopback.

Modules here need the ``local`` extra and are never imported by the Lambda-side code.
"""
