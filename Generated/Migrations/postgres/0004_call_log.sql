-- keyway migration 0004 "call_log" for PostgreSQL (Supabase roles: anon, authenticated, service_role).
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.

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
