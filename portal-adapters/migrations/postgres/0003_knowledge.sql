-- Knowledge base: categories, articles, their revisions, and the change feed the search index
-- follows. Same conventions as 0001: ids are UUID text, times microseconds since the epoch;
-- tags are a JSON array of strings.

CREATE TABLE kb_categories (
    portal_id   TEXT NOT NULL REFERENCES portals(id),
    id          TEXT NOT NULL,
    parent_id   TEXT,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, slug)
);

CREATE TABLE kb_articles (
    portal_id         TEXT NOT NULL REFERENCES portals(id),
    id                TEXT NOT NULL,
    category_id       TEXT,
    kind              TEXT NOT NULL,
    locale            TEXT NOT NULL,
    translation_of    TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    body_html         TEXT NOT NULL,
    tags              TEXT NOT NULL,
    visibility        TEXT NOT NULL,
    status            TEXT NOT NULL,
    publish_at        BIGINT,
    published_at      BIGINT,
    author_id         TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    last_reviewed_at  BIGINT,
    review_due_at     BIGINT,
    version           BIGINT NOT NULL,
    PRIMARY KEY (portal_id, id),
    FOREIGN KEY (portal_id, category_id) REFERENCES kb_categories(portal_id, id)
);
CREATE INDEX kb_articles_by_translation ON kb_articles (portal_id, translation_of);

CREATE TABLE kb_revisions (
    portal_id    TEXT NOT NULL,
    article_id   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    tags         TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    category_id  TEXT,
    status       TEXT NOT NULL,
    edited_by    TEXT,
    edited_at    BIGINT NOT NULL,
    note         TEXT NOT NULL,
    PRIMARY KEY (portal_id, article_id, version),
    FOREIGN KEY (portal_id, article_id) REFERENCES kb_articles(portal_id, id)
);

-- The feed's positions come from one counter row that every appending transaction updates: the
-- row lock orders appenders (a second one waits, or on PostgreSQL is refused and re-run), so
-- positions are handed out in commit order and a rolled-back append leaves no gap.
CREATE TABLE kb_change_counter (
    id    BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    last  BIGINT NOT NULL
);
INSERT INTO kb_change_counter (id, last) VALUES (1, 0);

CREATE TABLE kb_changes (
    seq        BIGINT PRIMARY KEY NOT NULL,
    portal_id  TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL
);
