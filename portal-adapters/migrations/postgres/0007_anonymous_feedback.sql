-- The anonymous feedback limits count a portal's (and an article's) recent anonymous answers:
-- each count reads one of these indexes, never every answer ever given.

CREATE INDEX kb_feedback_anonymous_by_article ON kb_feedback (portal_id, article_id, at) WHERE user_id IS NULL;
CREATE INDEX kb_feedback_anonymous_by_portal ON kb_feedback (portal_id, at) WHERE user_id IS NULL;
