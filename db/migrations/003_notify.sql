-- Every worker LISTENs on pfo3_notifications: a new notification wakes the
-- requests of its user that wait for one (GET /api/v1/notifications?wait=N),
-- whichever worker holds them.  NOTIFY is sent at commit, so a woken
-- request always finds the row.
CREATE FUNCTION notifications_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pfo3_notifications', NEW.user_id::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
	FOR EACH ROW EXECUTE FUNCTION notifications_notify();
