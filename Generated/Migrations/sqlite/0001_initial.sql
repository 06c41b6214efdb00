-- keyway migration 0001 "initial" for SQLite.
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.
-- SQLite has no row-level security: the application scopes every query by owner_id.

-- Catalog, seeded from the manifests: a connection to an unknown provider is refused
-- (keyway migrate apply turns foreign keys on).
create table integration_providers (
  provider_config_key text primary key not null check (provider_config_key not glob '*[^a-z0-9-]*' and provider_config_key glob '[a-z0-9]*'),
  provider text not null,
  name text not null,
  category text not null,
  auth_mode text not null
) strict;

create table integration_scopes (
  provider_config_key text not null references integration_providers (provider_config_key) on delete cascade,
  scope text not null,
  primary key (provider_config_key, scope)
) strict;

create table connectors (
  slug text primary key not null check (slug not glob '*[^a-z0-9-]*' and slug glob '[a-z0-9]*'),
  name text not null,
  provider_config_key text not null references integration_providers (provider_config_key),
  multiple_connections integer not null default 0 check (multiple_connections in (0, 1))
) strict;

-- One connection per owner and provider config key.
create table integrations (
  id text primary key not null default (lower(hex(randomblob(16)))),
  owner_id text not null,
  provider_config_key text not null references integration_providers (provider_config_key),
  connection_id text not null,
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'error', 'revoked')),
  granted_scopes text not null default '[]' check (json_valid(granted_scopes) and json_type(granted_scopes) = 'array'),
  metadata text not null default '{}' check (json_valid(metadata) and json_type(metadata) = 'object'),
  created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  unique (owner_id, provider_config_key)
) strict;
create index integrations_provider_config_key_idx on integrations (provider_config_key);

-- Several connections per owner, user and connector, told apart by instance_id.
create table connector_connections (
  id text primary key not null default (lower(hex(randomblob(16)))),
  owner_id text not null,
  user_id text not null,
  connector_slug text not null references connectors (slug),
  instance_id text not null default 'default',
  connection_id text not null,
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'error', 'revoked')),
  granted_scopes text not null default '[]' check (json_valid(granted_scopes) and json_type(granted_scopes) = 'array'),
  metadata text not null default '{}' check (json_valid(metadata) and json_type(metadata) = 'object'),
  created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  unique (owner_id, user_id, connector_slug, instance_id)
) strict;
create index connector_connections_connector_slug_idx on connector_connections (connector_slug);

-- Catalog changes from the manifests.
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('gmail', 'google-mail', 'Gmail', 'email', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('gmail', 'https://www.googleapis.com/auth/gmail.readonly');
insert into integration_scopes (provider_config_key, scope) values ('gmail', 'https://www.googleapis.com/auth/gmail.send');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('google-calendar', 'google-calendar', 'Google Calendar', 'calendar', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('google-calendar', 'https://www.googleapis.com/auth/calendar');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('hubspot', 'hubspot', 'HubSpot', 'crm', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.contacts.read');
insert into integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.contacts.write');
insert into integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.deals.read');
insert into integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.deals.write');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('linear', 'linear', 'Linear', 'project-management', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('linear', 'read');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('notion', 'notion', 'Notion', 'productivity', 'oauth2');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('slack', 'slack', 'Slack', 'communication', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('slack', 'channels:read');
insert into integration_scopes (provider_config_key, scope) values ('slack', 'chat:write');
insert into integration_scopes (provider_config_key, scope) values ('slack', 'users:read');
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('stripe', 'stripe', 'Stripe', 'payments', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('stripe', 'read_only');
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('gmail', 'Gmail', 'gmail', 1);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('google-calendar', 'Google Calendar', 'google-calendar', 1);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('hubspot', 'HubSpot', 'hubspot', 0);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('linear', 'Linear', 'linear', 0);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('notion', 'Notion', 'notion', 0);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('slack', 'Slack', 'slack', 1);
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('stripe', 'Stripe', 'stripe', 0);
