"""Autopilot: per-org settings, the daily run (drafts, schedules or a campaign by plan level) under hard caps,
its job log, notices at a limit, and the weekly report."""
