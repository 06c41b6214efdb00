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

-- The tenant of the request: the JWT claims' org_id, else sub (PostgREST sets
-- request.jwt.claims). Stable, so that policies call it once per statement when
-- wrapped as (select public.requesting_owner_id()); fixed search_path.
create function public.requesting_owner_id()
returns text
language sql
stable
set search_path = ''
as $function$
  select coalesce(
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id',
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
  )
$function$;
revoke all on function public.requesting_owner_id() from public;
grant execute on function public.requesting_owner_id() to authenticated, service_role;

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

-- One connection per owner and provider config key.
create table public.integrations (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null default public.requesting_owner_id(),
  provider_config_key text not null references public.integration_providers (provider_config_key),
  connection_id text not null,
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'error', 'revoked')),
  granted_scopes text[] not null default '{}',
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint integrations_owner_provider_key unique (owner_id, provider_config_key)
);
create index integrations_provider_config_key_idx on public.integrations (provider_config_key);

-- Several connections per owner, user and connector, told apart by instance_id.
create table public.connector_connections (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null default public.requesting_owner_id(),
  user_id text not null,
  connector_slug text not null references public.connectors (slug),
  instance_id text not null default 'default',
  connection_id text not null,
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'error', 'revoked')),
  granted_scopes text[] not null default '{}',
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint connector_connections_owner_user_instance_key unique (owner_id, user_id, connector_slug, instance_id)
);
create index connector_connections_connector_slug_idx on public.connector_connections (connector_slug);

-- Row-level security: every table enabled and forced. Tenants reach only their own rows,
-- one policy per command; anon gets nothing; service_role bypasses RLS (BYPASSRLS).
alter table public.integrations enable row level security;
alter table public.integrations force row level security;
revoke all on table public.integrations from public, anon, authenticated;
grant select, insert, update, delete on table public.integrations to authenticated;
grant select, insert, update, delete on table public.integrations to service_role;
create policy integrations_select_own on public.integrations for select to authenticated
  using (owner_id = (select public.requesting_owner_id()));
create policy integrations_insert_own on public.integrations for insert to authenticated
  with check (owner_id = (select public.requesting_owner_id()));
create policy integrations_update_own on public.integrations for update to authenticated
  using (owner_id = (select public.requesting_owner_id()))
  with check (owner_id = (select public.requesting_owner_id()));
create policy integrations_delete_own on public.integrations for delete to authenticated
  using (owner_id = (select public.requesting_owner_id()));

alter table public.connector_connections enable row level security;
alter table public.connector_connections force row level security;
revoke all on table public.connector_connections from public, anon, authenticated;
grant select, insert, update, delete on table public.connector_connections to authenticated;
grant select, insert, update, delete on table public.connector_connections to service_role;
create policy connector_connections_select_own on public.connector_connections for select to authenticated
  using (owner_id = (select public.requesting_owner_id()));
create policy connector_connections_insert_own on public.connector_connections for insert to authenticated
  with check (owner_id = (select public.requesting_owner_id()));
create policy connector_connections_update_own on public.connector_connections for update to authenticated
  using (owner_id = (select public.requesting_owner_id()))
  with check (owner_id = (select public.requesting_owner_id()));
create policy connector_connections_delete_own on public.connector_connections for delete to authenticated
  using (owner_id = (select public.requesting_owner_id()));

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
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('gmail', 'google-mail', 'Gmail', 'email', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('gmail', 'https://www.googleapis.com/auth/gmail.readonly');
insert into public.integration_scopes (provider_config_key, scope) values ('gmail', 'https://www.googleapis.com/auth/gmail.send');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('google-calendar', 'google-calendar', 'Google Calendar', 'calendar', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('google-calendar', 'https://www.googleapis.com/auth/calendar');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('hubspot', 'hubspot', 'HubSpot', 'crm', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.contacts.read');
insert into public.integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.contacts.write');
insert into public.integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.deals.read');
insert into public.integration_scopes (provider_config_key, scope) values ('hubspot', 'crm.objects.deals.write');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('linear', 'linear', 'Linear', 'project-management', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('linear', 'read');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('notion', 'notion', 'Notion', 'productivity', 'oauth2');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('slack', 'slack', 'Slack', 'communication', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('slack', 'channels:read');
insert into public.integration_scopes (provider_config_key, scope) values ('slack', 'chat:write');
insert into public.integration_scopes (provider_config_key, scope) values ('slack', 'users:read');
insert into public.integration_providers (provider_config_key, provider, name, category, auth_mode) values ('stripe', 'stripe', 'Stripe', 'payments', 'oauth2');
insert into public.integration_scopes (provider_config_key, scope) values ('stripe', 'read_only');
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('gmail', 'Gmail', 'gmail', true);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('google-calendar', 'Google Calendar', 'google-calendar', true);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('hubspot', 'HubSpot', 'hubspot', false);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('linear', 'Linear', 'linear', false);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('notion', 'Notion', 'notion', false);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('slack', 'Slack', 'slack', true);
insert into public.connectors (slug, name, provider_config_key, multiple_connections) values ('stripe', 'Stripe', 'stripe', false);
