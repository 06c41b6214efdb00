import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayConnections
import KeywayDatabase
import KeywayContract
import KeywayCore
import KeywayModel
import KeywayNango
import KeywayRuntime
import Logging
import PostgresNIO

/// `keyway nango …`: the integration manifests as the desired state of a Nango environment.
struct Nango: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nango",
        abstract: "Reconciles Nango's integrations with the manifests (plan, apply, check) and finds connections that lack a tool's scopes.",
        subcommands: [Plan.self, Apply.self, Check.self, Connections.self])
}

/// A `keyway nango` subcommand: its output is data (the plan, the connections), so the
/// JSON report of diagnostics goes to standard error.
protocol NangoCommand: KeywayCommand {
    var options: CommonOptions { get }
}

extension NangoCommand {
    var diagnosticsFormat: OutputFormat { options.format }
    var printsData: Bool { true }
}

/// Where Nango is and the key it takes.
struct NangoOptions: ParsableArguments {
    @Option(name: .long, help: "Nango's API (default: $KEYWAY_NANGO_URL, else https://api.nango.dev).")
    var nangoURL: String?

    /// The API, with the secret key of `NANGO_SECRET_KEY`.
    func api(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(DiagnosticsError) -> NangoAPI {
        let text = nangoURL ?? environment["KEYWAY_NANGO_URL"] ?? "https://api.nango.dev"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host != nil,
              url.query == nil, url.fragment == nil else {
            throw DiagnosticsError([.error(.commandLine, "the Nango URL '\(text.forDiagnostic)' is not an http(s) URL of a server; pass --nango-url https://api.nango.dev (or a self-hosted Nango's URL)")])
        }
        guard let key = environment["NANGO_SECRET_KEY"], !key.isEmpty else {
            throw DiagnosticsError([.error(.commandLine, "NANGO_SECRET_KEY is not set; set it to the secret key of the Nango environment (Environment Settings → API keys)")])
        }
        guard key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw DiagnosticsError([.error(.commandLine, "NANGO_SECRET_KEY holds a space, a line break or another character no key has; set it to the key alone")])
        }
        return NangoAPI(client: NangoClient(secretKey: key, baseURL: url), redacting: secrets.compactMap { environment[$0] })
    }

    /// The environment variables of every integration's secrets: their values never appear in output.
    var secrets: [String] = []

    func api(for catalog: Catalog?, _ environment: [String: String] = ProcessInfo.processInfo.environment) throws(DiagnosticsError) -> NangoAPI {
        var options = self
        options.secrets = (catalog?.integrations ?? []).flatMap { $0.auth.secrets.map(\.value) }
        return try options.api(environment)
    }
}

/// A Nango answer that was not what its API says, as one diagnostic.
extension NangoAPI.Failure {
    var diagnostics: DiagnosticsError { DiagnosticsError([.error(.commandLine, description)]) }
}

/// The manifests, validated; nil (problems reported) when they do not validate.
private func catalog(_ options: CommonOptions, _ run: CommandRun) throws -> Catalog? {
    let config = try options.projectConfig()
    let result = Pipeline.validate(manifests: config.manifestsFolder, config: config)
    run.diagnostics.emit(contentsOf: result.diagnostics)
    return result.catalog
}

/// Reads Nango and plans; the plan's errors go to the run.
private func plan(_ catalog: Catalog, _ api: NangoAPI, prune: Bool, _ run: CommandRun) async throws -> NangoPlan {
    let state: NangoState
    do {
        state = try await NangoState.read(from: api, for: catalog)
    } catch {
        throw error.diagnostics
    }
    let plan = NangoPlan(catalog: catalog, state: state, environment: ProcessInfo.processInfo.environment, prune: prune)
    run.diagnostics.emit(contentsOf: plan.diagnostics)
    return plan
}

private struct PlanDocument: Encodable {
    var nango: String
    var changes: [NangoPlan.Change]
    var create: Int, update: Int, delete: Int, unmanaged: Int
}

/// The plan on standard output: one line per change and a summary, or one JSON document.
private func show(_ plan: NangoPlan, _ api: NangoAPI, format: OutputFormat, _ run: CommandRun) {
    let count = { (action: NangoPlan.Change.Action) in plan.changes.filter { $0.action == action }.count }
    let updated = Set(plan.changes.filter { $0.action == .update }.map(\.integration)).count
    switch format {
    case .json:
        let document = PlanDocument(nango: api.displayURL, changes: plan.changes,
                                    create: count(.create), update: updated, delete: count(.delete), unmanaged: count(.unmanaged))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        run.output(String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n")
    case .text:
        var text = plan.changes.map { $0.line + "\n" }.joined()
        text += plan.hasDrift
            ? "keyway: Nango at \(api.displayURL): \(count(.create)) to create, \(updated) to update, \(count(.delete)) to delete, \(count(.unmanaged)) unmanaged\n"
            : plan.hasErrors ? "keyway: Nango at \(api.displayURL): no change planned, but the plan has errors\n"
            : "keyway: Nango at \(api.displayURL) matches the manifests\n"
        run.output(text)
    }
}

extension Nango {
    struct Plan: NangoCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Prints what `nango apply` would change in Nango, one line per change (never writes). Exit 1 on an error only.")

        @OptionGroup var options: CommonOptions
        @OptionGroup var nango: NangoOptions
        @Flag(name: .long, help: "Plan to delete the integrations Nango has and no manifest names.")
        var prune = false

        func run(_ run: CommandRun) async throws {
            guard let catalog = try catalog(options, run) else { return }
            let api = try nango.api(for: catalog)
            show(try await plan(catalog, api, prune: prune, run), api, format: options.format, run)
        }
    }

    struct Check: NangoCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "The CI gate: exit 0 when Nango matches the manifests, 1 on any drift or error, printing the plan (never writes).")

        @OptionGroup var options: CommonOptions
        @OptionGroup var nango: NangoOptions

        func run(_ run: CommandRun) async throws {
            guard let catalog = try catalog(options, run) else { return }
            let api = try nango.api(for: catalog)
            let plan = try await plan(catalog, api, prune: false, run)
            show(plan, api, format: options.format, run)
            for change in plan.changes {
                run.diagnostics.error(change.location, "Nango differs from the manifests: \(change.line); run keyway nango apply\(change.action == .unmanaged ? " --prune" : "")")
            }
        }
    }

    struct Apply: NangoCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Plans, then makes Nango match the manifests; refuses before any write when the plan has an error.")

        @OptionGroup var options: CommonOptions
        @OptionGroup var nango: NangoOptions
        @Flag(name: .long, help: "Also delete the integrations Nango has and no manifest names (their connections go with them).")
        var prune = false

        func run(_ run: CommandRun) async throws {
            guard let catalog = try catalog(options, run) else { return }
            let api = try nango.api(for: catalog)
            let plan = try await plan(catalog, api, prune: prune, run)
            show(plan, api, format: options.format, run)
            if plan.hasErrors {
                run.diagnostics.error(.commandLine, "nothing was applied: the plan has errors; fix them and apply again")
                return
            }
            let result = await NangoApplyResult.apply(plan.writes, with: api)
            if options.format == .text {
                run.output(result.applied.map { "applied    \($0.text)\n" }.joined())
            }
            if let failure = result.failure {
                let applied = result.applied.map(\.text).joined(separator: ", ")
                run.diagnostics.error(.commandLine,
                    "\(failure.description); applied: \(applied.isEmpty ? "nothing" : applied); not applied: \(result.notApplied.map(\.text).joined(separator: ", ")); run keyway nango apply again to finish")
            } else if options.format == .text {
                run.output("keyway: \(result.applied.count) change\(result.applied.count == 1 ? "" : "s") applied to Nango\n")
            }
        }
    }

    struct Connections: NangoCommand {
        static let configuration = CommandConfiguration(
            commandName: "connections",
            abstract: "Lists the connections of managed integrations and names each that lacks a scope one of its tools needs (exit 1 when any does).")

        @OptionGroup var options: CommonOptions
        @OptionGroup var nango: NangoOptions
        @Flag(name: .long, help: "Create a reconnect session for each connection that lacks a scope, and print its link.")
        var reconnect = false
        @Option(name: .long, help: "keyway's PostgreSQL (postgres://…): mark each connection that lacks a scope needs_reauth there, as the server's role, so tools refuse it before calling.")
        var database: String?

        func validate() throws {
            if let database { _ = try ConnectionsDatabase.url(database) }
        }

        func run(_ run: CommandRun) async throws {
            guard let catalog = try catalog(options, run) else { return }
            let api = try nango.api(for: catalog)
            let managed = Set(catalog.integrations.map(\.key))
            let list: [NangoAPI.Connection]
            do { list = try await api.connections() } catch { throw error.diagnostics }
            var read: [(NangoAPI.Connection, JSONValue)] = []
            var unusable: [ConnectionGap] = []
            var withoutCredentials: [String] = []
            for connection in list where managed.contains(connection.providerConfigKey) {
                do {
                    let details = try await api.connection(connection.connectionID, providerConfigKey: connection.providerConfigKey)
                    if details["credentials"] == nil || details["credentials"] == .object([:]) { withoutCredentials.append(connection.connectionID) }
                    read.append((connection, details))
                } catch {
                    switch error.status {
                    case 424?:
                        // Nango can no longer refresh its token: the user must connect again.
                        unusable.append(ConnectionGap(connectionID: connection.connectionID, integration: connection.providerConfigKey, provider: connection.provider,
                                                      tags: connection.tags, granted: nil, verified: false, missing: [], problem: "Nango cannot refresh its token (\(error.message))"))
                    case 404?:
                        run.diagnostics.warning(.commandLine, "connection '\(connection.connectionID.forDiagnostic)' of \(connection.providerConfigKey) was deleted while keyway read it; skipped")
                    default:
                        throw error.diagnostics
                    }
                }
            }
            if !withoutCredentials.isEmpty {
                throw DiagnosticsError([.error(.commandLine,
                    "Nango left out the credentials of \(withoutCredentials.count) connection\(withoutCredentials.count == 1 ? "" : "s") (first '\(withoutCredentials[0].forDiagnostic)'): the secret key lacks the environment:connections:read_credentials permission, and the granted scopes are in the credentials; use a key with that permission")])
            }
            var separators: [String: String] = [:]
            for provider in Set(read.map { $0.0.providerConfigKey }).compactMap({ key in catalog.integrations.first { $0.key == key }?.provider }).sorted() {
                do { separators[provider] = try await api.provider(provider)?.scopeSeparator } catch { throw error.diagnostics }
            }
            var gaps = ConnectionGap.gaps(catalog: catalog, connections: read, separators: separators) + unusable
            if reconnect {
                for i in gaps.indices where gaps[i].needsReconnect {
                    do {
                        gaps[i].reconnectLink = try await api.reconnectLink(connectionID: gaps[i].connectionID, integration: gaps[i].integration)
                    } catch {
                        run.diagnostics.error(.commandLine, "no reconnect link for connection '\(gaps[i].connectionID.forDiagnostic)' of \(gaps[i].integration): \(error.description)")
                    }
                }
            }
            switch options.format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                struct Document: Encodable { var connections: [ConnectionGap] }
                run.output(String(decoding: (try? encoder.encode(Document(connections: gaps))) ?? Data(), as: UTF8.self) + "\n")
            case .text:
                let lacking = gaps.filter(\.needsReconnect).count
                run.output(gaps.map { $0.line + "\n" }.joined()
                    + "keyway: \(gaps.count) connection\(gaps.count == 1 ? "" : "s") of managed integrations, \(lacking) lacking a scope or unusable\n")
            }
            if let database, gaps.contains(where: \.needsReconnect) {
                try await markNeedsReauth(gaps.filter(\.needsReconnect), database: database, nango: api, run)
            }
            for gap in gaps where gap.needsReconnect {
                let integration = catalog.integrations.first { $0.key == gap.integration }
                if let problem = gap.problem {
                    run.diagnostics.error(integration?.location ?? .commandLine,
                        "connection '\(gap.connectionID.forDiagnostic)' of \(gap.integration) cannot be used: \(problem); the user must connect again\(reconnect ? "" : " (keyway nango connections --reconnect makes a link)")")
                    continue
                }
                let at = integration.flatMap { i in i.auth.scopes.first { $0.scope == gap.missing[0].scope }?.location ?? i.location } ?? .commandLine
                run.diagnostics.error(at,
                    "connection '\(gap.connectionID.forDiagnostic)' of \(gap.integration) lacks \(gap.missing.map(\.scope).joined(separator: ", ")), which \(Set(gap.missing.flatMap(\.tools)).sorted().joined(separator: ", ")) need; the user must connect again\(reconnect ? " (link above)" : " (keyway nango connections --reconnect makes a link)")")
            }
        }

        /// Marks the connections `needs_reauth` in keyway's tables (`ConnectionStore`, as the
        /// server's role, as the webhook path writes).
        func markNeedsReauth(_ gaps: [ConnectionGap], database: String, nango: NangoAPI, _ run: CommandRun) async throws {
            let url = try ConnectionsDatabase.url(database)
            let (store, running) = try await ConnectionsDatabase.reachedStore(url, nango: nango.client)
            defer { running.cancel() }
            var marked = 0
            for gap in gaps {
                do {
                    marked += try await store.markNeedsReauth(connectionID: gap.connectionID, providerConfigKey: gap.integration)
                } catch {
                    throw DiagnosticsError([.error(.commandLine, "cannot mark connection '\(gap.connectionID.forDiagnostic)' of \(gap.integration) needs_reauth in \(url.redacted): \(MigrationError.reason(error))")])
                }
            }
            if options.format == .text {
                run.output("keyway: \(marked) row\(marked == 1 ? "" : "s") of \(url.redacted) marked needs_reauth\n")
            }
        }
    }
}
