-- keyway migration 0001 "initial" for PostgreSQL (Supabase roles: anon, authenticated, service_role).
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.

-- Roles as Supabase defines them, for servers that lack them (a no-op on Supabase).
do $roles$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$roles$;

-- (anon is named in the revokes: Supabase's default privileges grant it every new
-- function in public, which revoking from public alone leaves in place.)
-- The tenant of a request, from the JWT claims PostgREST sets (request.jwt.claims), by
-- the claim paths of keyway.yaml's `tenancy:` (sub for the user;
-- o.id, org_id for the organisation). requesting_owner_id(): the organisation,
-- else the user; requesting_user_id(): the user. Stable, so that policies call them once
-- per statement when wrapped as (select …); fixed search_path.
create or replace function public.requesting_owner_id()
returns text
language sql
stable
set search_path = ''
as $function$
  select coalesce(nullif(request.claims #>> '{o,id}', ''), nullif(request.claims #>> '{org_id}', ''), nullif(request.claims #>> '{sub}', ''))
  from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
$function$;
revoke all on function public.requesting_owner_id() from public, anon;
grant execute on function public.requesting_owner_id() to authenticated, service_role;

create or replace function public.requesting_user_id()
returns text
language sql
stable
set search_path = ''
as $function$
  select coalesce(nullif(request.claims #>> '{sub}', ''))
  from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
$function$;
revoke all on function public.requesting_user_id() from public, anon;
grant execute on function public.requesting_user_id() to authenticated, service_role;

-- Catalog, seeded from the manifests: a connection to an unknown provider is refused.
create table public.integration_providers (
  provider_config_key text primary key check (provider_config_key ~ '^[a-z0-9][a-z0-9-]*$'),
  provider text not null,
  name text not null,
  category text not null,
  auth_mode text not null
);

create table public.integration_scopes (
  provider_config_key text not null references public.integration_providers (provider_config_key) on delete cascade,
  scope text not null,
  primary key (provider_config_key, scope)
);

create table public.connectors (
  slug text primary key check (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  name text not null,
  provider_config_key text not null references public.integration_providers (provider_config_key),
  multiple_connections boolean not null default false
);
alter table public.connectors add constraint connectors_slug_provider_key unique (slug, provider_config_key);

-- An organisation's connections (shared by its members): one per owner and provider
-- config key. Written by the server (service_role) from Nango's webhooks.
create table public.integrations (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null check (owner_id <> ''),
  provider_config_key text not null references public.integration_providers (provider_config_key),
  connection_id text not null check (connection_id <> ''),
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked')),
  granted_scopes text[] not null default '{}',
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  connected_by text,
  expires_at timestamptz,
  constraint integrations_owner_provider_key unique (owner_id, provider_config_key),
  constraint integrations_connection_key unique (provider_config_key, connection_id)
);
create index integrations_provider_config_key_idx on public.integrations (provider_config_key);

-- A user's own connections to a connector, told apart by instance_id (several only when
-- the connector allows multiple connections). Written by the server from Nango's webhooks.
create table public.connector_connections (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null check (owner_id <> ''),
  user_id text not null check (user_id <> ''),
  connector_slug text not null,
  instance_id text not null default 'default',
  connection_id text not null check (connection_id <> ''),
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked')),
  granted_scopes text[] not null default '{}',
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz,
  provider_config_key text not null,
  constraint connector_connections_owner_user_instance_key unique (owner_id, user_id, connector_slug, instance_id),
  constraint connector_connections_connection_key unique (provider_config_key, connection_id),
  constraint connector_connections_connector_fkey foreign key (connector_slug, provider_config_key)
    references public.connectors (slug, provider_config_key) on update cascade
);
create index connector_connections_connector_slug_idx on public.connector_connections (connector_slug);

-- Rules the database keeps whoever writes: updated_at is the database's; one Nango
-- connection backs one row across both tables; a connector without multiple connections
-- holds one per user. The functions live in the private schema keyway (not served by
-- PostgREST).
create schema if not exists keyway;
revoke all on schema keyway from public;

create or replace function keyway.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $function$
begin
  new.updated_at := now();
  return new;
end
$function$;
revoke all on function keyway.touch_updated_at() from public, anon, authenticated;

-- One Nango connection backs one row, across both tables and at every isolation level:
-- each row claims its connection in keyway.nango_connections, whose primary key holds
-- even where a check on a snapshot would not (REPEATABLE READ, SERIALIZABLE). The
-- function runs as its owner (security definer, fixed search_path) so that the server's
-- role needs no privilege on the private schema; it runs after the row is written, so
-- an upsert that updates instead of inserting claims nothing twice.
create table keyway.nango_connections (
  provider_config_key text not null,
  connection_id text not null,
  primary key (provider_config_key, connection_id)
);
revoke all on table keyway.nango_connections from public;

create or replace function keyway.one_row_per_connection()
returns trigger
language plpgsql
security definer
set search_path = ''
as $function$
begin
  if tg_op = 'UPDATE' and old.provider_config_key = new.provider_config_key and old.connection_id = new.connection_id then
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    delete from keyway.nango_connections where provider_config_key = old.provider_config_key and connection_id = old.connection_id;
  end if;
  if tg_op = 'DELETE' then
    return null;
  end if;
  begin
    insert into keyway.nango_connections (provider_config_key, connection_id) values (new.provider_config_key, new.connection_id);
  exception when unique_violation then
    raise exception 'keyway: Nango connection % of % already backs a row; one Nango connection backs one row', new.connection_id, new.provider_config_key
      using errcode = '23505';
  end;
  return null;
end
$function$;
revoke all on function keyway.one_row_per_connection() from public, anon, authenticated;

create or replace function keyway.one_connection_unless_multiple()
returns trigger
language plpgsql
set search_path = ''
as $function$
begin
  if new.instance_id <> 'default' and exists (
       select 1 from public.connectors c where c.slug = new.connector_slug and not c.multiple_connections) then
    raise exception 'keyway: connector % allows one connection per user (multiple_connections: false in its manifest); use instance_id ''default'' to replace the connection', new.connector_slug
      using errcode = '23514';
  end if;
  return new;
end
$function$;
revoke all on function keyway.one_connection_unless_multiple() from public, anon, authenticated;

-- Connections already filed (an upgrade) claim theirs.
insert into keyway.nango_connections (provider_config_key, connection_id)
  select provider_config_key, connection_id from public.integrations
  union all select provider_config_key, connection_id from public.connector_connections;

create trigger integrations_touch_updated_at before update on public.integrations
  for each row execute function keyway.touch_updated_at();
create trigger integrations_one_row_per_connection after insert or update of provider_config_key, connection_id or delete on public.integrations
  for each row execute function keyway.one_row_per_connection();
create trigger connector_connections_touch_updated_at before update on public.connector_connections
  for each row execute function keyway.touch_updated_at();
create trigger connector_connections_one_row_per_connection after insert or update of provider_config_key, connection_id or delete on public.connector_connections
  for each row execute function keyway.one_row_per_connection();
create trigger connector_connections_one_connection_unless_multiple before insert or update of connector_slug, instance_id on public.connector_connections
  for each row execute function keyway.one_connection_unless_multiple();

-- Row-level security on the connection tables, enabled and forced. The trust boundary:
-- only the server (service_role, which bypasses RLS) inserts, updates and deletes. A
-- signed-in user reads: the organisation's integrations, and its own connector
-- connections (user_id is the caller's). It writes nothing — every column is either a
-- fact from Nango (connection, status, scopes, expiry) or a fact of tenancy — and it
-- disconnects through the server, which also deletes the connection at Nango (deleting
-- the row alone would leave the OAuth grant alive). anon gets nothing.
alter table public.integrations enable row level security;
alter table public.integrations force row level security;
revoke all on table public.integrations from public, anon, authenticated;
grant select on table public.integrations to authenticated;
grant select, insert, update, delete on table public.integrations to service_role;
create policy integrations_select_own on public.integrations for select to authenticated
  using (owner_id = (select public.requesting_owner_id()));

alter table public.connector_connections enable row level security;
alter table public.connector_connections force row level security;
revoke all on table public.connector_connections from public, anon, authenticated;
grant select on table public.connector_connections to authenticated;
grant select, insert, update, delete on table public.connector_connections to service_role;
create policy connector_connections_select_own on public.connector_connections for select to authenticated
  using (owner_id = (select public.requesting_owner_id()) and user_id = (select public.requesting_user_id()));

-- The call log (table format 3): one row per tool call, written by the server only (a
-- ToolExecutor's recorder, as service_role): the tool, its connection and tenant, the
-- outcome (ok, or the failure's kind; the provider's status for upstream_error), the
-- latency and the scopes the tool used. The arguments and the answer only for tools
-- that opt in. A signed-in user reads its own calls; `keyway calls prune` keeps it short.
create table public.tool_calls (
  id bigint generated always as identity primary key,
  called_at timestamptz not null default now(),
  tool text not null check (tool <> ''),
  connector_slug text not null,
  provider_config_key text not null,
  connection_id text,
  owner_id text not null check (owner_id <> ''),
  user_id text not null check (user_id <> ''),
  outcome text not null check (outcome <> ''),
  upstream_status integer check (upstream_status between 100 and 599),
  latency_ms integer not null check (latency_ms >= 0),
  scopes text[] not null default '{}',
  arguments jsonb,
  response jsonb
);
create index tool_calls_owner_user_called_at_idx on public.tool_calls (owner_id, user_id, called_at desc);
create index tool_calls_called_at_idx on public.tool_calls (called_at);
alter table public.tool_calls enable row level security;
alter table public.tool_calls force row level security;
revoke all on table public.tool_calls from public, anon, authenticated;
grant select on table public.tool_calls to authenticated;
grant select, insert, delete on table public.tool_calls to service_role;
create policy tool_calls_select_own on public.tool_calls for select to authenticated
  using (owner_id = (select public.requesting_owner_id()) and user_id = (select public.requesting_user_id()));

-- Catalog tables: readable by signed-in users, written by migrations only.
alter table public.integration_providers enable row level security;
alter table public.integration_providers force row level security;
revoke all on table public.integration_providers from public, anon, authenticated, service_role;
grant select on table public.integration_providers to authenticated, service_role;
create policy integration_providers_read on public.integration_providers for select to authenticated using (true);

alter table public.integration_scopes enable row level security;
alter table public.integration_scopes force row level security;
revoke all on table public.integration_scopes from public, anon, authenticated, service_role;
grant select on table public.integration_scopes to authenticated, service_role;
create policy integration_scopes_read on public.integration_scopes for select to authenticated using (true);

alter table public.connectors enable row level security;
alter table public.connectors force row level security;
revoke all on table public.connectors from public, anon, authenticated, service_role;
grant select on table public.connectors to authenticated, service_role;
create policy connectors_read on public.connectors for select to authenticated using (true);


-- Catalog changes from the manifests.
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('mail', 'google-mail', 'Mail', 'email', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('mail', 'https://www.googleapis.com/auth/gmail.send');
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('mail', 'Mail', 'mail', true);
