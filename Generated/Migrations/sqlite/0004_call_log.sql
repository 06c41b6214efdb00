-- keyway migration 0004 "call_log" for SQLite.
-- Released history: never edit this file; change the manifests and run `keyway migrate diff`.
-- SQLite has no row-level security and no roles: the application is the server, and
-- scopes every query by owner_id and user_id itself.

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
