-- A submitter may withdraw while the window is open: the submission is kept, never
-- considered or published, and counted as withdrawn.
ALTER TABLE submissions ADD COLUMN withdrawn_at TIMESTAMP;

-- What each published version did with each opinion, so a receipt page can show a person
-- their own opinion as published (and what answered it) without reading the whole version.
-- Private: it ties opinions, and so receipt numbers, to the published text.
CREATE TABLE published_opinions (
    opinion_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    answer TEXT,
    PRIMARY KEY (opinion_id, version)
);
