"""Data rights: export of a person's or an organization's records, and their erasure, driven by the data registry
(``lily.core.retention``) over every declared table (docs/privacy.md)."""
