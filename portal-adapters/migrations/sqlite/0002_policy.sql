-- casbin policy lines: one set for the installation (the portal is a value inside each line, as
-- casbin's domain). Columns follow casbin's usual v0..v5 layout; a value never is empty, so ''
-- marks an absent one and the unique index can see every line whole.

CREATE TABLE policy_rules (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    ptype  TEXT NOT NULL,
    v0     TEXT NOT NULL DEFAULT '',
    v1     TEXT NOT NULL DEFAULT '',
    v2     TEXT NOT NULL DEFAULT '',
    v3     TEXT NOT NULL DEFAULT '',
    v4     TEXT NOT NULL DEFAULT '',
    v5     TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX policy_rules_line ON policy_rules (ptype, v0, v1, v2, v3, v4, v5);
