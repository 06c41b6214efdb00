-- keyway migration 0003 "calendar_events_scope" for PostgreSQL (Supabase roles: anon, authenticated, service_role).
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.

-- Catalog changes from the manifests.
delete from public.integration_scopes where provider_config_key = 'google-calendar' and scope in ('https://www.googleapis.com/auth/calendar');
insert into public.integration_scopes (provider_config_key, scope) values ('google-calendar', 'https://www.googleapis.com/auth/calendar.events');
update public.integrations set status = 'needs_reauth', updated_at = now() where provider_config_key = 'google-calendar' and status <> 'revoked' and not (granted_scopes @> array['https://www.googleapis.com/auth/calendar.events']::text[]);
update public.connector_connections set status = 'needs_reauth', updated_at = now() where connector_slug in (select slug from public.connectors where provider_config_key = 'google-calendar') and status <> 'revoked' and not (granted_scopes @> array['https://www.googleapis.com/auth/calendar.events']::text[]);
insert into public.integration_scopes (provider_config_key, scope) values ('hubspot', 'oauth');
update public.integrations set status = 'needs_reauth', updated_at = now() where provider_config_key = 'hubspot' and status <> 'revoked' and not (granted_scopes @> array['oauth']::text[]);
update public.connector_connections set status = 'needs_reauth', updated_at = now() where connector_slug in (select slug from public.connectors where provider_config_key = 'hubspot') and status <> 'revoked' and not (granted_scopes @> array['oauth']::text[]);
