"""Thin Flask blueprints over the services: parse input, call a service, return JSON."""
