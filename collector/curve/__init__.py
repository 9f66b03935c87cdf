"""CURVE encryption and authentication: the collector's server side and key generation."""
