"""The app's screens: main dashboard, router control, composer, sprint review, help."""
