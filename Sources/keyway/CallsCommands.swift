import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayConnections
import KeywayDatabase
import KeywayModel

/// `keyway calls`: the call log (`tool_calls`) on keyway's PostgreSQL.
struct Calls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "Keeps the call log (tool_calls) on keyway's PostgreSQL short.",
        subcommands: [Prune.self])

    struct Prune: KeywayCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Deletes the calls older than a duration (30d, 12h, 90m), as the server's role.")

        @Option(name: .long, help: "Keep the calls of this last stretch: a whole number of days (d), hours (h) or minutes (m), like 30d.")
        var olderThan: String
        @Option(name: .long, help: "keyway's PostgreSQL (postgres://…; default: $DATABASE_URL).")
        var database: String?

        func validate() throws {
            guard Self.seconds(olderThan) != nil else {
                throw ValidationError("--older-than takes a whole number of days, hours or minutes, like 30d, 12h or 90m, not '\(olderThan.forDiagnostic)'")
            }
        }

        /// `30d` → 2,592,000; nil unless a whole number (at most 100 years) with d, h or m.
        static func seconds(_ text: String) -> Double? {
            guard let unit = text.last, let count = Int(text.dropLast()), count >= 0, count <= 36_500 * 24 * 60 else { return nil }
            switch unit {
            case "d": return Double(count) * 86_400
            case "h": return Double(count) * 3_600
            case "m": return Double(count) * 60
            default: return nil
            }
        }

        func run(_ run: CommandRun) async throws {
            guard let text = database ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
                throw DiagnosticsError([.error(.commandLine, "pass --database postgres://… (or set DATABASE_URL): the call log lives in keyway's PostgreSQL")])
            }
            let url = try ConnectionsDatabase.url(text)
            let (store, running) = try await ConnectionsDatabase.reachedStore(url)
            defer { running.cancel() }
            let cutoff = Date(timeIntervalSinceNow: -Self.seconds(olderThan)!)
            do {
                let deleted = try await store.pruneCalls(before: cutoff)
                run.output("keyway: \(deleted) call\(deleted == 1 ? "" : "s") older than \(olderThan) deleted from \(url.redacted)\n")
            } catch {
                throw DiagnosticsError([.error(.commandLine, "cannot prune the call log in \(url.redacted): \(MigrationError.reason(error)); run keyway migrate apply there first (table format 3)")])
            }
        }
    }
}
