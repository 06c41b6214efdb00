-- keyway migration 0001 "initial" for SQLite.
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.
-- SQLite has no row-level security and no roles: the application is the server, and
-- scopes every query by owner_id and user_id itself.

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

create unique index connectors_slug_provider_key on connectors (slug, provider_config_key);

-- An organisation's connections (shared by its members): one per owner and provider
-- config key, one row per Nango connection.
create table integrations (
  id text primary key not null default (lower(hex(randomblob(16)))),
  owner_id text not null check (owner_id <> ''),
  provider_config_key text not null references integration_providers (provider_config_key),
  connection_id text not null check (connection_id <> ''),
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked')),
  granted_scopes text not null default '[]' check (json_valid(granted_scopes) and json_type(granted_scopes) = 'array'),
  metadata text not null default '{}' check (json_valid(metadata) and json_type(metadata) = 'object'),
  created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  connected_by text,
  expires_at text,
  unique (owner_id, provider_config_key),
  unique (provider_config_key, connection_id)
) strict;
create index integrations_provider_config_key_idx on integrations (provider_config_key);

-- A user's own connections to a connector, told apart by instance_id (several only when
-- the connector allows multiple connections).
create table connector_connections (
  id text primary key not null default (lower(hex(randomblob(16)))),
  owner_id text not null check (owner_id <> ''),
  user_id text not null check (user_id <> ''),
  connector_slug text not null,
  instance_id text not null default 'default',
  connection_id text not null check (connection_id <> ''),
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked')),
  granted_scopes text not null default '[]' check (json_valid(granted_scopes) and json_type(granted_scopes) = 'array'),
  metadata text not null default '{}' check (json_valid(metadata) and json_type(metadata) = 'object'),
  created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  expires_at text,
  provider_config_key text not null,
  unique (owner_id, user_id, connector_slug, instance_id),
  unique (provider_config_key, connection_id),
  foreign key (connector_slug, provider_config_key) references connectors (slug, provider_config_key) on update cascade
) strict;
create index connector_connections_connector_slug_idx on connector_connections (connector_slug);

-- Rules the database keeps whoever writes: updated_at moves on every change; one Nango
-- connection backs one row across both tables; a connector without multiple connections
-- holds one per user (instance 'default').
create trigger integrations_touch_updated_at after update on integrations for each row when new.updated_at is old.updated_at
begin
  update integrations set updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = new.id;
end;
create trigger connector_connections_touch_updated_at after update on connector_connections for each row when new.updated_at is old.updated_at
begin
  update connector_connections set updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = new.id;
end;
create trigger integrations_one_row_per_connection before insert on integrations for each row
  when exists (select 1 from connector_connections c where c.provider_config_key = new.provider_config_key and c.connection_id = new.connection_id)
begin
  select raise(abort, 'keyway: this Nango connection already backs a connector_connections row; one Nango connection backs one row');
end;
create trigger integrations_one_row_per_connection_update before update of provider_config_key, connection_id on integrations for each row
  when exists (select 1 from connector_connections c where c.provider_config_key = new.provider_config_key and c.connection_id = new.connection_id)
begin
  select raise(abort, 'keyway: this Nango connection already backs a connector_connections row; one Nango connection backs one row');
end;
create trigger connector_connections_one_row_per_connection before insert on connector_connections for each row
  when exists (select 1 from integrations i where i.provider_config_key = new.provider_config_key and i.connection_id = new.connection_id)
begin
  select raise(abort, 'keyway: this Nango connection already backs an integrations row; one Nango connection backs one row');
end;
create trigger connector_connections_one_row_per_connection_update before update of provider_config_key, connection_id on connector_connections for each row
  when exists (select 1 from integrations i where i.provider_config_key = new.provider_config_key and i.connection_id = new.connection_id)
begin
  select raise(abort, 'keyway: this Nango connection already backs an integrations row; one Nango connection backs one row');
end;
create trigger connector_connections_one_connection_unless_multiple before insert on connector_connections for each row
  when new.instance_id <> 'default' and exists (select 1 from connectors c where c.slug = new.connector_slug and c.multiple_connections = 0)
begin
  select raise(abort, 'keyway: this connector allows one connection per user (multiple_connections: false in its manifest); use instance_id ''default'' to replace the connection');
end;
create trigger connector_connections_one_connection_unless_multiple_update before update of connector_slug, instance_id on connector_connections for each row
  when new.instance_id <> 'default' and exists (select 1 from connectors c where c.slug = new.connector_slug and c.multiple_connections = 0)
begin
  select raise(abort, 'keyway: this connector allows one connection per user (multiple_connections: false in its manifest); use instance_id ''default'' to replace the connection');
end;

-- The call log (table format 3): one row per tool call, written by the server; the
-- application reads a user's rows by owner_id and user_id.
create table tool_calls (
  id integer primary key autoincrement,
  called_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  tool text not null check (tool <> ''),
  connector_slug text not null,
  provider_config_key text not null,
  connection_id text,
  owner_id text not null check (owner_id <> ''),
  user_id text not null check (user_id <> ''),
  outcome text not null check (outcome <> ''),
  upstream_status integer check (upstream_status between 100 and 599),
  latency_ms integer not null check (latency_ms >= 0),
  scopes text not null default '[]' check (json_valid(scopes) and json_type(scopes) = 'array'),
  arguments text check (arguments is null or json_valid(arguments)),
  response text check (response is null or json_valid(response))
) strict;
create index tool_calls_owner_user_called_at_idx on tool_calls (owner_id, user_id, called_at desc);
create index tool_calls_called_at_idx on tool_calls (called_at);

-- Catalog changes from the manifests.
insert into integration_providers (provider_config_key, provider, name, category, auth_mode) values ('mail', 'google-mail', 'Mail', 'email', 'oauth2');
insert into integration_scopes (provider_config_key, scope) values ('mail', 'https://www.googleapis.com/auth/gmail.send');
insert into connectors (slug, name, provider_config_key, multiple_connections) values ('mail', 'Mail', 'mail', 1);
