-- The survey's matrix (services × third-party organisations, with phase marks) rebuilt from
-- the long CSV (`sporfri survey --format csv -o survey.csv`) loaded as the table `contacts`,
-- one row per contact of every session, every column text. Plain SQL that DuckDB and
-- SQLite both run. B: a contact cited by finding 1 (before any consent decision); A: one first
-- seen after "accept"; R: one cited by finding 2 (after "reject"); sessions: how many of the
-- service's sessions contacted the organisation; blocked: every attempt was blocked. Only the
-- third parties the findings count: a name the session's idle baseline saw (or first seen
-- before the visit mark) whose traffic did not grow has `background` set and is left out, as
-- the session's report lists it apart.
CREATE VIEW matrix AS
SELECT
    service,
    organisation,
    CASE WHEN max(before) = 1 THEN 'B' ELSE '' END
        || CASE WHEN max(accepted) = 1 THEN 'A' ELSE '' END
        || CASE WHEN max(rejected) = 1 THEN 'R' ELSE '' END AS marks,
    count(DISTINCT session) AS sessions,
    min(blocked) = 1 AS blocked
FROM (
    SELECT
        coalesce(nullif(site, ''), '(no site profile)') AS service,
        org AS organisation,
        session,
        CASE WHEN ' ' || coalesce(findings, '') || ' ' LIKE '% 1 %' THEN 1 ELSE 0 END AS before,
        CASE WHEN phase = 'consent-accepted' THEN 1 ELSE 0 END AS accepted,
        CASE WHEN ' ' || coalesce(findings, '') || ' ' LIKE '% 2 %' THEN 1 ELSE 0 END AS rejected,
        CASE WHEN coalesce(blocked, '') <> '' THEN 1 ELSE 0 END AS blocked
    FROM contacts
    WHERE party = 'third' AND coalesce(background, '') = ''
) AS third
GROUP BY service, organisation;
