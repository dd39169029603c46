"""Plain-Python domain: roles, business errors, route rules. Imports neither Flask nor SQLAlchemy."""
