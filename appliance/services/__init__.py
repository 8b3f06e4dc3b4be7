"""Business rules of the till. Routes call these; these never call routes."""
