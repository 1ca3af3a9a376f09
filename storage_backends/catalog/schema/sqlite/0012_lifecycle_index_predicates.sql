-- Nothing on SQLite (the number keeps both dialects' schema versions in step). PostgreSQL's 0012 adds
-- "IS NOT NULL" to the lifecycle indexes' predicates so its planner cannot read them for a listing;
-- SQLite's planner does not take that predicate as implied by "last_modified <= ?", so the same change
-- here would make every lifecycle pass scan the table, and SQLite never chose these indexes for listings.
SELECT 1;
