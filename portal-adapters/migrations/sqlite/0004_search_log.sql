-- Search analytics: one row per search run (no user id, only the kind of searcher), with the
-- first result opened from it.

CREATE TABLE search_events (
    portal_id  TEXT NOT NULL REFERENCES portals(id),
    id         TEXT NOT NULL,
    at         INTEGER NOT NULL,
    query      TEXT NOT NULL,
    locale     TEXT,
    searcher   TEXT NOT NULL,
    hits       INTEGER NOT NULL,
    clicked    TEXT,
    PRIMARY KEY (portal_id, id)
);
CREATE INDEX search_events_by_time ON search_events (portal_id, at);
