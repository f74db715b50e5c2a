"""Dashboard widgets: each renders one piece of view data and holds no domain logic."""
