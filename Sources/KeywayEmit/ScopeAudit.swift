import Foundation
import KeywayContract
import KeywayModel

/// Every scope the product asks for: its level, why, which tools need it, and flags.
/// The JSON form is stable (documented in the README): pipelines read it, and
/// `--baseline` compares two of them.
public struct ScopeAudit: Codable, Equatable, Sendable {
    public static let currentVersion = 1

    public enum Flag: String, Codable, Sendable, CaseIterable, Comparable {
        /// Granted, but no tool needs it.
        case unused
        /// No level in Manifests/scopes/.
        case unknown
        /// Google's "sensitive" tier: app verification.
        case sensitive
        /// Google's "restricted" tier or an admin scope: the provider's strictest review.
        case restricted
        /// (With the call log) no call of a tool that needs it in the window.
        case unusedInProduction = "unused-in-production"
        /// (With the call log) calls of its tools were refused for authorisation
        /// (`needs_reauth`: the provider's 401/403, or a connection lacking the scope;
        /// `insufficient_scope`: the provider's answer that the token lacks a scope).
        case refused

        public static func < (a: Flag, b: Flag) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    public struct Scope: Codable, Equatable, Sendable {
        public var scope: String
        /// nil when no scope catalog knows the scope.
        public var level: ScopeLevel?
        public var reason: String
        /// Model-facing names of the tools that need it (`<slug>_<tool>`), sorted.
        public var tools: [String]
        public var flags: [Flag]
        /// What the call log shows of its tools' calls, when the audit read one.
        public var use: Use?
    }

    /// A scope's tools' calls in the call log's window.
    public struct Use: Codable, Equatable, Sendable {
        public var calls: Int
        /// RFC 3339, UTC; nil without calls.
        public var lastCalled: String?
        /// Calls refused for authorisation (`needs_reauth`, `insufficient_scope`).
        public var refused: Int

        public init(calls: Int, lastCalled: String?, refused: Int) {
            self.calls = calls
            self.lastCalled = lastCalled
            self.refused = refused
        }
    }

    /// The call log's window: from when, and how it was asked for (`30d`).
    public struct CallWindow: Codable, Equatable, Sendable {
        public var since: String
        public var window: String
    }

    public struct IntegrationScopes: Codable, Equatable, Sendable {
        public var key: String
        public var provider: String
        public var name: String
        public var scopes: [Scope]
        /// The highest level among the scopes, or nil.
        public var highestLevel: ScopeLevel?
    }

    public struct Change: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case added, removed, levelRaised = "level_raised", toolAdded = "tool_added" }
        public var kind: Kind
        public var integration: String
        public var scope: String
        public var from: ScopeLevel?
        public var to: ScopeLevel?
        public var tool: String?
    }

    public var version: Int
    public var integrations: [IntegrationScopes]
    /// Present when compared with a baseline.
    public var changes: [Change]?
    /// Present when the audit read a call log (`--calls`).
    public var calls: CallWindow?

    public init(_ catalog: Catalog) {
        self.init(catalog, index: CatalogIndex(catalog))
    }

    /// `index`: the catalog's, when the caller has one already.
    init(_ catalog: Catalog, index: CatalogIndex) {
        version = Self.currentVersion
        changes = nil
        integrations = catalog.integrations.map { integration in
            // Who needs each scope: one pass over the integration's tools.
            var users: [String: [String]] = [:]
            for c in index.connectors(of: integration) {
                for tool in c.tools {
                    let name = c.modelName(of: tool)
                    for scope in Set(tool.scopes) { users[scope, default: []].append(name) }
                }
            }
            var highest: ScopeLevel?
            let scopes = integration.auth.scopes.map { grant -> Scope in
                let level = index.scopeInfo(grant.scope, for: integration)?.level
                if let level, highest == nil || level.rank > highest!.rank { highest = level }
                let tools = (users[grant.scope] ?? []).sorted()
                var flags: [Flag] = []
                if tools.isEmpty && !grant.withoutTool { flags.append(.unused) }
                if level == nil { flags.append(.unknown) }
                if level == .sensitive { flags.append(.sensitive) }
                if level == .restricted || level == .admin { flags.append(.restricted) }
                return Scope(scope: grant.scope, level: level, reason: grant.reason, tools: tools, flags: flags)
            }
            return IntegrationScopes(key: integration.key, provider: integration.provider, name: integration.name, scopes: scopes, highestLevel: highest)
        }
    }

    /// What changed since `baseline`: scopes added, removed, raised in level, and tools
    /// that newly need a scope.
    public func comparing(with baseline: ScopeAudit) -> ScopeAudit {
        var result = self
        var changes: [Change] = []
        let before = Dictionary(baseline.integrations.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(integrations.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for integration in integrations {
            let old = Dictionary((before[integration.key]?.scopes ?? []).map { ($0.scope, $0) }, uniquingKeysWith: { a, _ in a })
            for scope in integration.scopes {
                guard let previous = old[scope.scope] else {
                    changes.append(Change(kind: .added, integration: integration.key, scope: scope.scope, from: nil, to: scope.level))
                    continue
                }
                if Self.rank(scope.level) > Self.rank(previous.level) {
                    changes.append(Change(kind: .levelRaised, integration: integration.key, scope: scope.scope, from: previous.level, to: scope.level))
                }
                for tool in scope.tools where !previous.tools.contains(tool) {
                    changes.append(Change(kind: .toolAdded, integration: integration.key, scope: scope.scope, from: nil, to: nil, tool: tool))
                }
            }
        }
        for integration in baseline.integrations {
            let current = Set((now[integration.key]?.scopes ?? []).map(\.scope))
            for scope in integration.scopes where !current.contains(scope.scope) {
                changes.append(Change(kind: .removed, integration: integration.key, scope: scope.scope, from: scope.level, to: nil))
            }
        }
        result.changes = changes.sorted { ($0.integration, $0.scope, $0.kind.rawValue, $0.tool ?? "") < ($1.integration, $1.scope, $1.kind.rawValue, $1.tool ?? "") }
        return result
    }

    static func rank(_ level: ScopeLevel?) -> Int { level?.rank ?? -1 }

    /// The audit with each scope's use from the call log (tool name → its calls since
    /// `since`): the calls of the tools that need it, when last, and how many were refused;
    /// a scope a tool needs with no call in the window is `unused-in-production`, one with
    /// refused calls `refused`. Scopes no tool needs (`without_tool`) get no use.
    public func withUse(_ use: [String: ToolUse], since: Date, window: String) -> ScopeAudit {
        var result = self
        result.calls = CallWindow(since: Self.timestamp(since), window: window)
        for i in result.integrations.indices {
            for j in result.integrations[i].scopes.indices {
                var scope = result.integrations[i].scopes[j]
                guard !scope.tools.isEmpty else { continue }
                let uses = scope.tools.compactMap { use[$0] }
                let calls = uses.reduce(0) { $0 + $1.calls }
                let refused = uses.reduce(0) { $0 + $1.refused }
                let last = uses.compactMap(\.lastCalled).max()
                scope.use = Use(calls: calls, lastCalled: last.map(Self.timestamp), refused: refused)
                if calls == 0 { scope.flags.append(.unusedInProduction) }
                if refused > 0 { scope.flags.append(.refused) }
                scope.flags.sort()
                result.integrations[i].scopes[j] = scope
            }
        }
        return result
    }

    /// RFC 3339 in UTC, to the second.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    // MARK: Renderings

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// RFC 4180 CSV, one row a scope; cells that a spreadsheet would run as a formula
    /// (=, +, -, @ first) are prefixed with a quote.
    public var csv: String {
        func cell(_ s: String) -> String {
            var s = s
            if let first = s.first, "=+-@\t\r".contains(first) { s = "'" + s }
            return s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let withUse = calls != nil
        var rows = [(["integration", "provider", "scope", "level", "reason", "tools", "flags"] + (withUse ? ["calls", "last_called", "refused"] : [])).joined(separator: ",")]
        for i in integrations {
            for s in i.scopes {
                let use = withUse ? [s.use.map { String($0.calls) } ?? "", s.use?.lastCalled ?? "", s.use.map { String($0.refused) } ?? ""] : []
                rows.append(([i.key, i.provider, s.scope, s.level?.rawValue ?? "", s.reason, s.tools.joined(separator: " "), s.flags.map(\.rawValue).joined(separator: " ")] + use).map(cell).joined(separator: ","))
            }
        }
        if let changes {
            rows.append("")
            rows.append("change,integration,scope,from,to,tool")
            for c in changes { rows.append([c.kind.rawValue, c.integration, c.scope, c.from?.rawValue ?? "", c.to?.rawValue ?? "", c.tool ?? ""].map(cell).joined(separator: ",")) }
        }
        return rows.joined(separator: "\r\n") + "\r\n"
    }

    /// Aligned columns for a terminal.
    public var text: String {
        var lines: [String] = []
        for i in integrations {
            lines.append("\(i.key) (\(i.provider))\(i.highestLevel.map { " — highest level: \($0.rawValue)" } ?? "")")
            if i.scopes.isEmpty { lines.append("  (no scopes)") }
            let width = i.scopes.map(\.scope.count).max() ?? 0
            for s in i.scopes {
                let flags = s.flags.isEmpty ? "" : "  [" + s.flags.map(\.rawValue).joined(separator: ", ") + "]"
                let use = s.use.map { u in "  · \(u.calls) call\(u.calls == 1 ? "" : "s")" + (u.lastCalled.map { ", last \($0)" } ?? "") + (u.refused > 0 ? ", \(u.refused) refused" : "") } ?? ""
                lines.append("  " + s.scope.forDiagnostic.padding(toLength: max(width, 1), withPad: " ", startingAt: 0) + "  "
                             + (s.level?.rawValue ?? "unknown").padding(toLength: 13, withPad: " ", startingAt: 0)
                             + (s.tools.isEmpty ? "no tool" : s.tools.joined(separator: ", ")) + use + flags)
            }
        }
        if let calls {
            lines.append("")
            lines.append("calls: the call log since \(calls.since) (\(calls.window))")
        }
        if let changes {
            lines.append("")
            lines.append(changes.isEmpty ? "no change since the baseline" : "changes since the baseline:")
            for c in changes { lines.append("  " + c.summary) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ScopeAudit.Change {
    public var summary: String {
        switch kind {
        case .added: "+ \(integration): \(scope.forDiagnostic) added (\(to?.rawValue ?? "unknown level"))"
        case .removed: "- \(integration): \(scope.forDiagnostic) removed"
        case .levelRaised: "^ \(integration): \(scope.forDiagnostic) level raised \(from?.rawValue ?? "unknown") → \(to?.rawValue ?? "unknown")"
        case .toolAdded: "~ \(integration): \(scope.forDiagnostic) now needed by \(tool ?? "")"
        }
    }
}
