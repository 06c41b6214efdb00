-- keyway migration 0003 "calendar_events_scope" for SQLite.
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.
-- SQLite has no row-level security and no roles: the application is the server, and
-- scopes every query by owner_id and user_id itself.

-- Catalog changes from the manifests.
delete from integration_scopes where provider_config_key = 'google-calendar' and scope in ('https://www.googleapis.com/auth/calendar');
insert into integration_scopes (provider_config_key, scope) values ('google-calendar', 'https://www.googleapis.com/auth/calendar.events');
update integrations set status = 'needs_reauth', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where provider_config_key = 'google-calendar' and status <> 'revoked' and (not exists (select 1 from json_each(granted_scopes) where value = 'https://www.googleapis.com/auth/calendar.events'));
update connector_connections set status = 'needs_reauth', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where connector_slug in (select slug from connectors where provider_config_key = 'google-calendar') and status <> 'revoked' and (not exists (select 1 from json_each(granted_scopes) where value = 'https://www.googleapis.com/auth/calendar.events'));
insert into integration_scopes (provider_config_key, scope) values ('hubspot', 'oauth');
update integrations set status = 'needs_reauth', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where provider_config_key = 'hubspot' and status <> 'revoked' and (not exists (select 1 from json_each(granted_scopes) where value = 'oauth'));
update connector_connections set status = 'needs_reauth', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where connector_slug in (select slug from connectors where provider_config_key = 'hubspot') and status <> 'revoked' and (not exists (select 1 from json_each(granted_scopes) where value = 'oauth'));
