-- How articles are used: a view counter per article, and "was this helpful?" answers (a
-- member's latest answer only; anonymous answers all kept).

CREATE TABLE kb_article_views (
    portal_id   TEXT NOT NULL,
    article_id  TEXT NOT NULL,
    views       BIGINT NOT NULL,
    PRIMARY KEY (portal_id, article_id),
    FOREIGN KEY (portal_id, article_id) REFERENCES kb_articles(portal_id, id)
);

CREATE TABLE kb_feedback (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id   TEXT NOT NULL,
    article_id  TEXT NOT NULL,
    user_id     TEXT,
    helpful     BOOLEAN NOT NULL,
    comment     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    FOREIGN KEY (portal_id, article_id) REFERENCES kb_articles(portal_id, id)
);
CREATE INDEX kb_feedback_by_article ON kb_feedback (portal_id, article_id, id);
CREATE UNIQUE INDEX kb_feedback_one_per_member ON kb_feedback (portal_id, article_id, user_id);
