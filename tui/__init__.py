"""The Textual dashboard. Widgets, screens and workers only; domain logic lives in router/analytics/hooks."""
