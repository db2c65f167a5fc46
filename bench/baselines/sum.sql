-- sum.sql -- weighted sum per subject, the sqlite3 baseline of bench/run.py.
-- bench/run.py replaces @EVENTS@ and @WEIGHTS@ with file names and
-- @COLUMNS@ with the log's columns (from its header: the default log of
-- bench/gen has id,subject,type,ts,qty,group, the lean log no group; group
-- is called grp here), then runs `sqlite3 -batch :memory:` on it: .import of
-- the log into a typed table, then one GROUP BY joined with the weights
-- table.  Output: subject,sum in hundredths of a point.  Caps, validity and
-- the rest are ignored.
CREATE TABLE events(@COLUMNS@);
CREATE TABLE weights(type TEXT PRIMARY KEY, points INTEGER, unit INTEGER);
.import --csv --skip 1 '@EVENTS@' events
.import --csv --skip 1 '@WEIGHTS@' weights
.mode csv
SELECT e.subject,
       SUM(CASE WHEN w.unit = 1 THEN w.points * e.qty ELSE w.points END)
  FROM events AS e JOIN weights AS w ON w.type = e.type
 GROUP BY e.subject;
