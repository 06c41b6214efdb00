import PostgresNIO

/// `schema.name`: a table, view or function as `migrate lint` names it.
public struct QualifiedName: Hashable, Sendable, CustomStringConvertible {
    public var schema: String
    public var name: String

    public init(_ schema: String, _ name: String) {
        self.schema = schema
        self.name = name
    }

    public var description: String { "\(schema).\(name)" }
}

/// The command a policy applies to (`pg_policy.polcmd`; the raw value is the catalog's letter).
public enum PolicyCommand: String, Sendable, CaseIterable {
    case select = "r", insert = "a", update = "w", delete = "d", all = "*"

    /// How SQL spells it (`for select`, … `for all`).
    public var sql: String {
        switch self {
        case .select: "select"
        case .insert: "insert"
        case .update: "update"
        case .delete: "delete"
        case .all: "all"
        }
    }

    /// The single commands it covers: `all` covers the four.
    public var commands: [PolicyCommand] { self == .all ? [.select, .insert, .update, .delete] : [self] }

    /// Whether it lets rows be written (insert, update, delete, or all of them).
    public var writes: Bool { self != .select }
}

/// What `migrate lint` knows of a live database: the relations of the exposed schemas with
/// their policies and columns, and the functions. Read once by `load(from:schemas:)`; the
/// rules analyse it without touching the database, so they can be tested on a hand-built one.
/// Every list is in the catalog's order (schema, then name), as `name` columns sort (C).
public struct LintSnapshot: Sendable, Equatable {
    public var relations: [Relation]
    public var functions: [Function]

    public init(relations: [Relation] = [], functions: [Function] = []) {
        self.relations = relations
        self.functions = functions
    }

    /// The roles PostgREST runs requests as (Supabase): what a tenant acts as. Their column
    /// privileges are read into `Column.writers`.
    public static let apiRoles = ["anon", "authenticated"]

    public struct Relation: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case table = "r", partitionedTable = "p", view = "v", materializedView = "m"

            /// A table (plain or partitioned): what row level security and policies apply to.
            public var isTable: Bool { self == .table || self == .partitionedTable }
        }

        public var name: QualifiedName
        public var kind: Kind
        /// `relrowsecurity`: row level security is enabled.
        public var rowSecurity: Bool
        /// By name.
        public var policies: [Policy]
        /// By name.
        public var columns: [Column]

        public init(_ name: QualifiedName, kind: Kind = .table, rowSecurity: Bool, policies: [Policy] = [], columns: [Column] = []) {
            self.name = name
            self.kind = kind
            self.rowSecurity = rowSecurity
            self.policies = policies
            self.columns = columns
        }
    }

    public struct Policy: Sendable, Equatable {
        public var name: String
        public var command: PolicyCommand
        /// Permissive (combined with OR) rather than restrictive (AND).
        public var permissive: Bool
        /// The roles of its `TO` clause, by name; `public` when it has none (every role).
        public var roles: [String]
        /// `USING`, as PostgreSQL deparses it; nil when absent.
        public var using: String?
        /// `WITH CHECK`, as PostgreSQL deparses it; nil when absent.
        public var check: String?

        public init(_ name: String, command: PolicyCommand, permissive: Bool = true, roles: [String], using: String? = nil, check: String? = nil) {
            self.name = name
            self.command = command
            self.permissive = permissive
            self.roles = roles
            self.using = using
            self.check = check
        }

        /// `USING` and `WITH CHECK`, those present.
        public var expressions: [String] { [using, check].compactMap { $0 } }
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        /// The API roles (`apiRoles`) that may insert or update this column, by role name.
        public var writers: [Writer]

        public init(_ name: String, writers: [Writer] = []) {
            self.name = name
            self.writers = writers
        }
    }

    /// An API role's write privileges on a column (`has_column_privilege`).
    public struct Writer: Sendable, Equatable {
        public var role: String
        public var insert: Bool
        public var update: Bool

        public init(_ role: String, insert: Bool, update: Bool) {
            self.role = role
            self.insert = insert
            self.update = update
        }
    }

    public struct Function: Sendable, Equatable {
        public var name: QualifiedName
        /// Part of an extension (`pg_depend` deptype `e`): not the schema owner's to fix.
        public var fromExtension: Bool
        /// Its `proconfig` sets `search_path`.
        public var fixesSearchPath: Bool

        public init(_ name: QualifiedName, fromExtension: Bool = false, fixesSearchPath: Bool) {
            self.name = name
            self.fromExtension = fromExtension
            self.fixesSearchPath = fixesSearchPath
        }
    }

    /// Reads the snapshot of `schemas` (tables, partitioned tables, views and materialized
    /// views; their policies and columns; functions and procedures).
    public static func load(from database: PostgresMigrationDatabase, schemas: [String]) async throws -> LintSnapshot {
        var policies: [QualifiedName: [Policy]] = [:]
        for row in try await database.query("""
            select n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                   coalesce((select array_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end order by 1) from unnest(p.polroles) r), '{}')
            from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(\(schemas))
            order by 1, 2, 3
            """) {
            let (schema, table, name, command, permissive, using, check, roles) = try row.decode((String, String, String, String, Bool, String?, String?, [String]).self)
            guard let command = PolicyCommand(rawValue: command) else { throw MigrationError("policy \(name) on \(schema).\(table) has an unknown command \(command)") }
            policies[QualifiedName(schema, table), default: []].append(Policy(name, command: command, permissive: permissive, roles: roles, using: using, check: check))
        }
        // One row a column and API role (or a column alone, with no such role), in order.
        var columns: [(relation: QualifiedName, column: Column)] = []
        for row in try await database.query("""
            select n.nspname, c.relname, a.attname, r.rolname::text,
                   coalesce(has_column_privilege(r.oid, c.oid, a.attnum, 'INSERT'), false),
                   coalesce(has_column_privilege(r.oid, c.oid, a.attnum, 'UPDATE'), false)
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            left join pg_roles r on r.rolname = any(\(apiRoles))
            where n.nspname = any(\(schemas)) and c.relkind in ('r', 'p', 'v', 'm') and a.attnum > 0 and not a.attisdropped
            order by 1, 2, 3, 4
            """) {
            let (schema, table, name, role, insert, update) = try row.decode((String, String, String, String?, Bool, Bool).self)
            let relation = QualifiedName(schema, table)
            if columns.last?.relation != relation || columns.last?.column.name != name { columns.append((relation, Column(name))) }
            if let role, insert || update { columns[columns.count - 1].column.writers.append(Writer(role, insert: insert, update: update)) }
        }
        let columnsOf = Dictionary(grouping: columns, by: \.relation).mapValues { $0.map(\.column) }
        var relations: [Relation] = []
        for row in try await database.query("""
            select n.nspname, c.relname, c.relkind::text, c.relrowsecurity
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm') and n.nspname = any(\(schemas))
            order by 1, 2
            """) {
            let (schema, table, kind, rowSecurity) = try row.decode((String, String, String, Bool).self)
            guard let kind = Relation.Kind(rawValue: kind) else { throw MigrationError("\(schema).\(table) has an unknown relation kind \(kind)") }
            let name = QualifiedName(schema, table)
            relations.append(Relation(name, kind: kind, rowSecurity: rowSecurity, policies: policies[name] ?? [], columns: columnsOf[name] ?? []))
        }
        var functions: [Function] = []
        for row in try await database.query("""
            select n.nspname, p.proname,
                   exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e'),
                   coalesce(exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%'), false)
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = any(\(schemas)) and p.prokind in ('f', 'p')
            order by 1, 2, p.oid
            """) {
            let (schema, name, fromExtension, fixesSearchPath) = try row.decode((String, String, Bool, Bool).self)
            functions.append(Function(QualifiedName(schema, name), fromExtension: fromExtension, fixesSearchPath: fixesSearchPath))
        }
        return LintSnapshot(relations: relations, functions: functions)
    }
}
