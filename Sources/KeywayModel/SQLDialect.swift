/// The SQL dialects keyway writes migrations for (`keyway.yaml`'s `migrations.dialects`).
public enum SQLDialect: String, Sendable, CaseIterable, Codable {
    case postgres
    case sqlite
}
