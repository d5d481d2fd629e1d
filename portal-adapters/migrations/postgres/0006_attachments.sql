-- Files attached to articles: what the portal knows of them (the bytes are in the blob store,
-- under a name made of portal and id).

CREATE TABLE kb_attachments (
    portal_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_by   TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (portal_id, id),
    FOREIGN KEY (portal_id, article_id) REFERENCES kb_articles(portal_id, id)
);
CREATE INDEX kb_attachments_by_article ON kb_attachments (portal_id, article_id, id);
