import Foundation
import Testing
import KeywayCore
import KeywayEmit
import KeywayModel

/// Emitter snippets: a small manifest in, every generated file out, compared byte for byte
/// with `Tests/Fixtures/Golden/emit/<case>/` (like swift-openapi-generator's
/// FileBasedReferenceTests); a mismatch prints a unified diff, `KEYWAY_RECORD=1` re-records.
/// `generate` covers Swift, JSON and Markdown; `migrate diff` the SQL of both dialects.
@Suite("Emitter references: small manifests, exact output")
struct EmitterReferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var connector: String
        /// Whether the SQL is part of the case's point: the schema depends on the
        /// connectors only through their rows, so one case's SQL references are enough.
        var sql = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "json-body", connector: Fixture.connector, sql: true),
        Case(name: "query-form-and-wire-names", connector: """
        slug: mail
        name: Mail
        nango:
          provider_key: mail
        tools:
          - name: list_labels
            description: List labels, filtered
            method: GET
            endpoint: /gmail/v1/users/{user}/labels
            scopes: [https://www.googleapis.com/auth/gmail.send]
            input:
              user: { type: string, in: path, description: Whose labels }
              ids: { type: array, items: { type: string }, optional: true, style: comma, max_length: 5 }
              page_size: { type: integer, optional: true, default: 10, minimum: 1, maximum: 100, wire: maxResults }
              trace: { type: string, in: header, optional: true, wire: X-Trace-Id }
          - name: send_form
            description: Send a form-encoded message
            method: POST
            endpoint: /gmail/v1/send
            encoding: form
            scopes: [https://www.googleapis.com/auth/gmail.send]
            input:
              to: { type: string, format: email }
              kind: { type: string, enum: [plain, html], default: plain, optional: true }
              meta: { type: object, values: { type: string }, optional: true }

        """),
    ]

    @Test("generate: every file equals its reference", arguments: cases)
    func generate(_ c: Case) throws {
        let dir = Fixture.folder(connector: c.connector)
        #expect(Fixture.diagnostics(dir).filter { $0.severity == .error } == [])
        let files = try generateFiles(dir.path).filter { c.sql || !$0.path.hasPrefix("Migrations/") }
        for file in files {
            Golden.expect(file.contents, matches: "emit/\(c.name)/\(file.path)")
        }
        // No reference without a file: a file keyway stopped writing fails too.
        let expected = Set(files.map(\.path) + (c.sql ? Self.migrationPaths : []))
        let recorded = Golden.files(under: "emit/\(c.name)")
        #expect(recorded == expected, "references without a generated file: \(recorded.subtracting(expected).sorted())")
    }

    static let migrationPaths = ["Migrations/postgres/0001_initial.sql", "Migrations/sqlite/0001_initial.sql"]

    @Test("migrate diff: the first migration of each dialect equals its reference", arguments: cases.filter(\.sql))
    func migrations(_ c: Case) throws {
        let dir = Fixture.folder(connector: c.connector), out = TempDir()
        _ = try migrateDiffWriting(manifests: dir.path, output: out.path, name: "initial", allowDestructive: false,
                                     templates: Pipeline.templates(overrides: nil))
        for path in Self.migrationPaths {
            let written = try #require(out.read(path), "\(path) was not written")
            Golden.expect(written, matches: "emit/\(c.name)/\(path)")
        }
    }
}
