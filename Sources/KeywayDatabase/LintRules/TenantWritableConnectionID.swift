/// COL102 `tenant_writable_connection_id` (keyway's): a Nango connection id a signed-in user
/// (or anon) may insert or update. The tenant could point its row at another tenant's
/// connection, and the server would then call the provider with the victim's grant; only
/// the server's role may write it.
public struct TenantWritableConnectionID: LintRule {
    public static let code = "COL102"
    public static let name = "tenant_writable_connection_id"
    public static let level = LintFinding.Level.error
    public static let summary = "anon or authenticated may insert or update a Nango connection id column"

    /// The columns that hold a Nango connection id.
    public static let columns: Set<String> = ["connection_id", "nango_connection_id"]

    public init() {}

    /// One finding per column and role, by table, column, then role.
    public func findings(in snapshot: LintSnapshot) -> [LintFinding] {
        snapshot.relations.filter { $0.kind != .materializedView }.flatMap { relation in
            relation.columns.filter { Self.columns.contains($0.name) }.flatMap { column in
                column.writers.map { writer in
                    let privileges = [writer.insert ? "insert" : nil, writer.update ? "update" : nil].compactMap { $0 }.joined(separator: " and ")
                    return finding(relation.name, "\(writer.role) may \(privileges) \(column.name): a tenant could point its row at another tenant's Nango connection and act with that grant; `revoke insert, update on \(relation.name) from \(writer.role)` and let the server (service_role) write connections")
                }
            }
        }
    }
}
