"""Rendering what the store holds for people: audit timelines, KPI reports (text, JSON, HTML)."""
