"""The web console: server-rendered pages that call the public API (docs/console.md)."""
