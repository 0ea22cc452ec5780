"""Sessions and transcripts: per-agent SQLite stores, the wire shapes, the events, upkeep."""
