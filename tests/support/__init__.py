"""Helpers other suites use to set up users, organizations and members."""
