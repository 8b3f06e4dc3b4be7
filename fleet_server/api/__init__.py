"""Head office's JSON API, one blueprint per area."""
