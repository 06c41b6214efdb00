-- keyway migration 0002 "trust_boundary" for SQLite.
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.
-- SQLite has no row-level security and no roles: the application is the server, and
-- scopes every query by owner_id and user_id itself.

-- Upgrade to table format 2: one row per Nango connection, connector connections carry
-- their provider config key, the 'expired' status, connected_by and expires_at. SQLite
-- cannot alter constraints, so the two connection tables are rebuilt (rows kept).
-- Data the new constraints would reject stops the migration with a clear message.
create temp table keyway_upgrade_check (
  ok integer constraint "keyway: a connection row has an empty owner, user or connection id, or several share one Nango connection (in one table or across both), or a connector without multiple connections holds an instance other than 'default'; fix the rows, then apply again" check (ok)
);
insert into keyway_upgrade_check (ok) select
  not exists (select 1 from integrations group by provider_config_key, connection_id having count(*) > 1)
  and not exists (select 1 from connector_connections cc join connectors c on c.slug = cc.connector_slug group by c.provider_config_key, cc.connection_id having count(*) > 1)
  and not exists (select 1 from connector_connections cc join connectors c on c.slug = cc.connector_slug where c.multiple_connections = 0 and cc.instance_id <> 'default')
  and not exists (select 1 from integrations i join connectors c on c.provider_config_key = i.provider_config_key join connector_connections cc on cc.connector_slug = c.slug and cc.connection_id = i.connection_id)
  and not exists (select 1 from integrations where owner_id = '' or connection_id = '')
  and not exists (select 1 from connector_connections where owner_id = '' or user_id = '' or connection_id = '');
drop table temp.keyway_upgrade_check;

alter table integrations rename to keyway_format1_integrations;
alter table connector_connections rename to keyway_format1_connector_connections;
drop index integrations_provider_config_key_idx;
drop index connector_connections_connector_slug_idx;

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

insert into integrations (id, owner_id, provider_config_key, connection_id, status, granted_scopes, metadata, created_at, updated_at)
  select id, owner_id, provider_config_key, connection_id, status, granted_scopes, metadata, created_at, updated_at from keyway_format1_integrations;
insert into connector_connections (id, owner_id, user_id, connector_slug, instance_id, connection_id, status, granted_scopes, metadata, created_at, updated_at, provider_config_key)
  select cc.id, cc.owner_id, cc.user_id, cc.connector_slug, cc.instance_id, cc.connection_id, cc.status, cc.granted_scopes, cc.metadata, cc.created_at, cc.updated_at, c.provider_config_key
  from keyway_format1_connector_connections cc join connectors c on c.slug = cc.connector_slug;
drop table keyway_format1_integrations;
drop table keyway_format1_connector_connections;

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
