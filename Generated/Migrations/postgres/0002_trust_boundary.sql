-- keyway migration 0002 "trust_boundary" for PostgreSQL (Supabase roles: anon, authenticated, service_role).
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.

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

-- Upgrade to the trust boundary (table format 2): connection rows become the server's.
-- Refuse, before changing anything, data that the new constraints would reject.
do $check$
declare
  shared text;
begin
  select string_agg(format('%s/%s', provider_config_key, connection_id), ', ' order by provider_config_key, connection_id) into shared
  from (select provider_config_key, connection_id from public.integrations group by 1, 2 having count(*) > 1) as d;
  if shared is not null then
    raise exception 'keyway: several integrations rows share one Nango connection (%); keep one row per connection, then apply again', shared;
  end if;
  select string_agg(format('%s/%s', k, id), ', ' order by k, id) into shared
  from (select c.provider_config_key as k, cc.connection_id as id
        from public.connector_connections cc join public.connectors c on c.slug = cc.connector_slug
        group by 1, 2 having count(*) > 1) as d;
  if shared is not null then
    raise exception 'keyway: several connector_connections rows share one Nango connection (%); keep one row per connection, then apply again', shared;
  end if;
  select string_agg(format('%s/%s', i.provider_config_key, i.connection_id), ', ' order by i.provider_config_key, i.connection_id) into shared
  from public.integrations i join public.connectors c on c.provider_config_key = i.provider_config_key
  join public.connector_connections cc on cc.connector_slug = c.slug and cc.connection_id = i.connection_id;
  if shared is not null then
    raise exception 'keyway: Nango connections back both an integrations row and a connector_connections row (%); keep one row per connection, then apply again', shared;
  end if;
  if exists (select 1 from public.integrations where owner_id = '' or connection_id = '')
     or exists (select 1 from public.connector_connections where owner_id = '' or user_id = '' or connection_id = '') then
    raise exception 'keyway: connection rows with an empty owner_id, user_id or connection_id belong to no one; delete them, then apply again';
  end if;
  select string_agg(format('%s (user %s)', cc.connector_slug, cc.user_id), ', ' order by cc.connector_slug, cc.user_id) into shared
  from public.connector_connections cc join public.connectors c on c.slug = cc.connector_slug
  where not c.multiple_connections and cc.instance_id <> 'default';
  if shared is not null then
    raise exception 'keyway: connectors that allow one connection per user hold connections with an instance_id other than ''default'' (%); remove them, then apply again', shared;
  end if;
end
$check$;

drop policy integrations_select_own on public.integrations;
drop policy integrations_insert_own on public.integrations;
drop policy integrations_update_own on public.integrations;
drop policy integrations_delete_own on public.integrations;
drop policy connector_connections_select_own on public.connector_connections;
drop policy connector_connections_insert_own on public.connector_connections;
drop policy connector_connections_update_own on public.connector_connections;
drop policy connector_connections_delete_own on public.connector_connections;

alter table public.connectors add constraint connectors_slug_provider_key unique (slug, provider_config_key);

alter table public.integrations alter column owner_id drop default;
alter table public.integrations drop constraint integrations_status_check;
alter table public.integrations add constraint integrations_status_check check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked'));
alter table public.integrations add column connected_by text;
alter table public.integrations add column expires_at timestamptz;
alter table public.integrations add constraint integrations_connection_key unique (provider_config_key, connection_id);
alter table public.integrations add constraint integrations_owner_id_check check (owner_id <> '');
alter table public.integrations add constraint integrations_connection_id_check check (connection_id <> '');

alter table public.connector_connections alter column owner_id drop default;
alter table public.connector_connections drop constraint connector_connections_status_check;
alter table public.connector_connections add constraint connector_connections_status_check check (status in ('active', 'needs_reauth', 'expired', 'error', 'revoked'));
alter table public.connector_connections add column expires_at timestamptz;
alter table public.connector_connections add column provider_config_key text;
update public.connector_connections cc set provider_config_key = c.provider_config_key from public.connectors c where c.slug = cc.connector_slug;
alter table public.connector_connections alter column provider_config_key set not null;
alter table public.connector_connections drop constraint connector_connections_connector_slug_fkey;
alter table public.connector_connections add constraint connector_connections_connection_key unique (provider_config_key, connection_id);
alter table public.connector_connections add constraint connector_connections_owner_id_check check (owner_id <> '');
alter table public.connector_connections add constraint connector_connections_user_id_check check (user_id <> '');
alter table public.connector_connections add constraint connector_connections_connection_id_check check (connection_id <> '');
alter table public.connector_connections add constraint connector_connections_connector_fkey foreign key (connector_slug, provider_config_key)
    references public.connectors (slug, provider_config_key) on update cascade;

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
